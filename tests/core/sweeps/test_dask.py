"""Sweeps on a real Dask ``LocalCluster`` of worker processes: the chains run
there, the points stream back and are stored by the client; a worker killed
mid-chain loses no finished point and its chain resumes after the last one."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from warmdesk.core.library import Library
from warmdesk.core.sweeps import PointFinished, SweepRunner
from warmdesk.core.sweeps.dask_runner import DaskExecutor

from .helpers import bratu_sweep

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    import logging

    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=logging.CRITICAL)
    try:
        yield local
    finally:
        local.close(timeout=30)


@pytest.fixture
def executor(cluster: Any) -> Iterator[DaskExecutor]:
    ex = DaskExecutor(scheduler=cluster.scheduler_address)
    try:
        yield ex
    finally:
        ex.close()


@pytest.mark.timeout(120)
def test_chains_run_on_the_cluster_and_every_point_is_stored(tmp_path: Path,
                                                             executor: DaskExecutor) -> None:
    sweep = bratu_sweep()
    with Library(tmp_path / "lib") as library:
        runner = SweepRunner(library, sweep, executor=executor)
        assert len(runner.chains()) == 2          # one per worker
        result = runner.run()
        assert not result.errors and not result.missing
        assert result.failed == [i for i, p in enumerate(sweep.points) if p.values["lam"] > 3.52]
        stored = library.get_run(result.points[20].run.id)
        assert stored.info["sweep"]["id"] == result.sweep_id
        assert stored.warm_source == stored.info["sweep"]["previous"] is not None
        assert library.count() == sum(len(p.runs) for p in result.points.values())
    assert {p.chain for p in result.points.values()} == {0, 1}


@pytest.mark.timeout(120)
def test_cancel_stops_every_chain_and_keeps_what_finished(tmp_path: Path,
                                                          executor: DaskExecutor) -> None:
    sweep = bratu_sweep(vary={"lam": {"from": 0.1, "to": 3.4, "num": 400}})
    with Library(tmp_path / "lib") as library:
        runner = SweepRunner(library, sweep, executor=executor)

        def on_event(event: object) -> None:
            if isinstance(event, PointFinished) and event.done == 4:
                runner.cancel()
        runner.on_event = on_event
        result = runner.run()
        assert result.cancelled and 4 <= len(result.points) < 400
        assert library.count() == sum(len(p.runs) for p in result.points.values())
    assert not any(f for f in executor.client.processing().values())   # nothing left running


@pytest.mark.timeout(120)
def test_warmdesk_sweep_uses_a_running_scheduler(tmp_path: Path, cluster: Any) -> None:
    from ...cli_runner import run_cli
    from .helpers import EXAMPLES

    done = run_cli("sweep", EXAMPLES / "rosenbrock_sweep.json", "--scheduler",
                   cluster.scheduler_address, "--json", library=tmp_path / "lib")
    result = json.loads(done.stdout)
    assert done.returncode == 0 and result["done"] == 15 and not result["failed"]
    assert {p["chain"] for p in result["points"]} == {0, 1}   # the cluster's two workers


@pytest.mark.timeout(180)
def test_a_worker_killed_mid_chain_loses_no_finished_point(tmp_path: Path,
                                                           executor: DaskExecutor) -> None:
    sweep = bratu_sweep(vary={"lam": {"from": 0.1, "to": 3.4, "num": 240}})
    client = executor.client
    received_before_kill: dict[int, str] = {}
    killed: list[int] = []

    def on_event(event: object) -> None:
        if not isinstance(event, PointFinished) or killed:
            return
        received_before_kill[event.point.index] = event.point.run.id
        if event.point.chain == 0 and len(received_before_kill) >= 3:
            busy = [w for w, keys in client.processing().items()
                    if any(str(k).endswith("-0") for k in keys)]
            pid = client.run(os.getpid, workers=busy)[busy[0]]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with Library(tmp_path / "lib") as library:
        runner = SweepRunner(library, sweep, on_event=on_event, executor=executor)
        chain0 = runner.chains()[0].points
        result = runner.run()
        assert killed, "the chain ended before a worker could be killed"
        assert not result.missing and not result.errors
        for index, run_id in received_before_kill.items():   # the same runs, stored once
            assert result.points[index].run.id == run_id
            assert library.get_run(run_id).info["sweep"]["point"] == index
        assert library.count() == sum(len(p.runs) for p in result.points.values())
        resumed = [i for i in chain0 if result.points[i].run.info["sweep"]["resumed"]]
        assert len(resumed) == 1                # the chain went on from where it was
        first = resumed[0]
        before = chain0[chain0.index(first) - 1]
        run = library.get_run(result.points[first].run.id)
        assert run.warm_source == result.points[before].run.id   # from its last finished point
        assert run.info["sweep"]["seed"] in ("secant", "previous")
