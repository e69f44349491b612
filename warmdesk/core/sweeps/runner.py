"""The client side of a sweep: order and cut the points into chains, seed each
chain's first point from the library (the advisor's top suggestion), run the
chains on an executor, and store every finished point in the library as it
arrives, with its lineage.

Driving it (the CLI does this in its main thread; a GUI in a worker thread,
forwarding the events as signals, like the solve jobs' runner)::

    runner = SweepRunner(library, load_sweep("sweep.json"), on_event=print,
                         executor=DaskExecutor(workers=2))   # or InlineExecutor()
    result = runner.run()          # SweepStarted, PointFinished*, SweepFinished|SweepFailed
    runner.cancel()                # from any thread: chains stop, finished points stay stored

Every run of a point carries ``info["sweep"]``: the sweep's id, name, spec
identity (``spec``: a chained and a cold run of one spec share it), number of
points (``total``), whether it was swept cold, the chain, the
point's index and values, its role (``point``, or ``step`` for a halved
step's intermediate run), how it was seeded, the previous point's run id and
the check's verdict (``check``: None when it passed). Its ``warm`` is the
previous point's run (or the advisor's source), so the library's lineage
links the chain. Only the client writes the library; workers never open it.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any, Callable

from ..advisor import suggest
from ..errors import WarmDeskError
from ..kinds.registry import kind
from ..jobs.ending import record_outcomes
from ..library import Library
from . import codec
from .chain import ChainTask
from .chaining import Chain, cut_chains, order_points
from .events import (PointFinished, PointResult, SweepEvent, SweepFailed, SweepFinished,
                     SweepResult, SweepStarted)
from .executors import Executor, InlineExecutor
from .spec import SweepSpec, sweep_key


class SweepRunner:
    def __init__(self, library: Library, sweep: SweepSpec,
                 on_event: Callable[[SweepEvent], None] | None = None, cold: bool = False,
                 executor: Executor | None = None, advise: bool = True) -> None:
        self.library = library
        self.sweep = sweep
        self.on_event = on_event or (lambda event: None)
        #: a kind whose warm start is not judged by the new problem's objective (an
        #: ode's checkpoint would carry the neighbour's system) is swept cold
        self.note = "" if cold or not sweep.points or kind(sweep.points[0].spec["kind"]) \
            .has_merit else (f"{sweep.points[0].spec['kind']} problems are swept cold: a "
                             "neighbour's warm start would carry its own system")
        self.cold = cold or bool(self.note)
        self.executor: Executor = executor or InlineExecutor()
        self.advise = advise and not self.cold
        self.sweep_id = uuid.uuid4().hex
        self.result = SweepResult(self.sweep_id, sweep.name, len(sweep.points))
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop every chain (any thread); the points that finished stay stored."""
        self._cancel.set()

    def chains(self) -> list[Chain]:
        return cut_chains(self.sweep, order_points(self.sweep), self.executor.workers)

    def run(self) -> SweepResult:
        try:
            chains = self.chains()
            tasks = [self._task(c) for c in chains]
            self.on_event(SweepStarted(self.sweep_id, len(self.sweep.points),
                                       [c.points for c in chains],
                                       getattr(self.executor, "where", ""), self.note))
            self.result.errors = self.executor.run(tasks, self._received, self._cancel)
        except (WarmDeskError, OSError) as exc:
            self._cancel.set()
            self.on_event(SweepFailed(self.result, exc))
            return self.result
        self.result.cancelled = self._cancel.is_set()
        self.on_event(SweepFinished(self.result))
        return self.result

    def _task(self, chain: Chain) -> ChainTask:
        sweep = self.sweep
        first = chain.points[0]
        seed = None
        if self.advise:
            top = suggest(self.library, sweep.problem(first), top=3).top
            if top is not None:
                seed = codec.encode_warm(top.warm)
        return ChainTask(
            sweep_id=self.sweep_id, chain=chain.number,
            points=[{"index": i, "values": dict(sweep.points[i].values),
                     "spec": sweep.points[i].spec} for i in chain.points],
            parameters=sweep.parameters,
            base_dir=str(sweep.base_dir) if sweep.base_dir is not None else None,
            seed=seed, cold=self.cold, max_halvings=sweep.max_halvings,
            predictor=sweep.predictor, max_fun=sweep.check.max_fun,
            max_optimality=sweep.check.max_optimality, name=sweep.name,
            spec_key=sweep_key(sweep), total=len(sweep.points))

    def _received(self, message: dict[str, Any]) -> None:
        """One finished point from a chain: store its runs, then report it. A
        point received twice (a lost worker's chain solved it again) is kept once."""
        message = codec.plain(message)
        index = int(message["index"])
        if index in self.result.points or not 0 <= index < len(self.sweep.points):
            return
        runs = [codec.decode_run(r) for r in message["runs"]]
        if not runs:
            return
        self.library.save_runs(runs)
        record_outcomes(self.library, runs)
        final = next((r for r in runs if r.id == message.get("final")), runs[-1])
        point = PointResult(index, int(message["chain"]), dict(self.sweep.points[index].values),
                            final, runs, bool(message["ok"]), message["reason"],
                            str(message["seed"]), int(message["evaluations"]))
        self.result.points[index] = point
        self.on_event(PointFinished(self.sweep_id, point, len(self.result.points),
                                    self.result.total))
