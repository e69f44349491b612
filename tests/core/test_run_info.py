"""run.info is typed (RunInfo) but stored exactly as before: known keys and
keys this version does not know round-trip through run files and the library."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from warmdesk.core.engine import solve
from warmdesk.core.library import Library
from warmdesk.core.run_info import RUN_INFO_KEYS
from warmdesk.core.runfile import read_runfile, write_runfile
from warmdesk.core.runs import Run

from .factories import build, rosenbrock


def test_known_keys_cover_what_runs_write() -> None:
    run = solve(build(rosenbrock(n=3)))
    assert set(run.info) <= set(RUN_INFO_KEYS)
    assert {"layout", "optimality", "saving", "guard", "fit_report"} <= set(RUN_INFO_KEYS)


def test_round_trip_keeps_unknown_keys(tmp_path: Path) -> None:
    run = solve(build(rosenbrock(n=3)))
    future: dict[str, Any] = {"from_a_newer_warmdesk": {"x": [1, 2]}}
    run.info.update(future)  # type: ignore[typeddict-item]
    want = json.loads(json.dumps(run.info))
    (back,) = read_runfile(write_runfile(tmp_path / "i.wdrun", [run]))
    assert back.info == {k: v for k, v in want.items() if k != "base_dir"}
    with Library(tmp_path / "lib") as lib:
        lib.save_run(run)
        assert lib.get_run(run.id).info == want
        lib.set_info(run.id, warning="worse than cold")
        got: Run = lib.get_run(run.id)
        assert got.info["warning"] == "worse than cold"
        assert got.info["from_a_newer_warmdesk"] == {"x": [1, 2]}  # type: ignore[typeddict-item]
