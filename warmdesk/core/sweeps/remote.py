"""What runs on a Dask worker: one chain of a sweep (:func:`run_chain`).

The worker receives the chain as plain data. After each point it first
records the chain's resume state in a ``distributed.Variable`` (the points
done, the last two good points, the last point's whole message), then sends the
point to the client through a ``distributed.Queue``. When a worker is lost
mid-chain the scheduler runs the task again on another worker; it reads that
state, sends the last point again (the client keeps one copy of a point) and
resumes after it, from its solution. So no finished point is lost or solved
twice, and each point's ``previous`` is a run the client stored. Workers never
open the library.
"""

from __future__ import annotations

import os
import time
from typing import Any

from ..process import lower_priority
from .chain import ChainSolver, ChainTask

#: How often a running solve asks the scheduler whether the sweep was cancelled.
CANCEL_POLL_S = 0.25


def names(key: str, chain: int | None = None) -> dict[str, str]:
    """The scheduler-side objects of sweep execution ``key``."""
    return {"queue": f"warmdesk-sweep-{key}-points", "cancel": f"warmdesk-sweep-{key}-cancel",
            "state": f"warmdesk-sweep-{key}-chain-{chain}"}


class EventFlag:
    """A ``distributed.Event`` read at most every ``CANCEL_POLL_S`` seconds: a
    solve checks its cancel flag at every evaluation."""

    def __init__(self, event: Any) -> None:
        self.event = event
        self._set = False
        self._next = 0.0

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now >= self._next:
            self._next = now + CANCEL_POLL_S
            self._set = bool(self.event.is_set())
        return self._set

    def set(self) -> None:
        self.event.set()


def run_chain(task: dict[str, Any], key: str, nice: int = 0) -> int:
    """Solve one chain on a worker; returns the number of points it solved."""
    from distributed import Event, Queue, Variable, get_client

    if nice:     # absolute, so a worker's second chain leaves it as it is
        lower_priority(os.getpid(), nice)
    chain = ChainTask.from_dict(task)
    client = get_client()
    where = names(key, chain.chain)
    queue = Queue(where["queue"], client=client)
    state_var = Variable(where["state"], client=client)
    resume = state_var.get()     # the client sets it before submitting: never waits
    state = {"done": list(resume.get("done", [])), "trail": list(resume.get("trail", [])),
             "last": resume.get("last")}
    if state["last"] is not None:    # lost with its worker before it was sent, maybe
        queue.put(state["last"])

    def on_point(message: dict[str, Any]) -> None:
        state["done"].append(message["index"])
        if message["ok"]:
            final = next(r for r in message["runs"] if r["meta"]["id"] == message["final"])
            state["trail"] = (state["trail"] + [final])[-2:]
        state["last"] = message
        state_var.set(state)
        queue.put(message)

    flag = EventFlag(Event(where["cancel"], client=client))
    return ChainSolver(chain, flag).run(on_point, state)
