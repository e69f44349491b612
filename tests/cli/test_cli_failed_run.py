"""A run that fails after progress keeps its last iterate as its solution and
seeds a warm start (docs/library.md), through the CLI and the advisor."""

from __future__ import annotations

import json
import math
from pathlib import Path

from warmdesk.cli import main
from warmdesk.core.library import Library

#: Nelder-Mead walks towards x = 0, where log(x) ends; after a few iterations a
#: trial point crosses it and the objective is NaN there: the run fails.
TO_THE_EDGE = {"format": "warmdesk.problem/1", "name": "to-the-edge", "kind": "minimize",
               "variables": {"x": {"start": 3.0}}, "objective": "(x + 1)**2 + log(x)",
               "solver": {"method": "Nelder-Mead", "options": {}}}


def test_a_failed_run_keeps_its_last_iterate_as_a_warm_start_source(tmp_path: Path,
                                                                     capsys) -> None:
    lib = str(tmp_path / "lib")
    spec = tmp_path / "edge.json"
    spec.write_text(json.dumps(TO_THE_EDGE))
    assert main(["solve", str(spec), "--json", "--library", lib]) == 1
    failed = json.loads(capsys.readouterr().out)
    assert failed["status"] == "failed" and failed["nit"] > 0
    assert "is nan at evaluation" in failed["message"]
    assert "last iterate" in failed["message"] and "warm start" in failed["message"]
    x = failed["solution"]["x"]
    assert 0 < x < 3.0 and failed["fun"] == (x + 1) ** 2 + math.log(x)  # progress kept

    with Library(lib) as library:
        assert library.get_run(failed["run_id"]).usable
    assert main(["suggest", str(spec), "--json", "--library", lib]) == 0
    advice = json.loads(capsys.readouterr().out)
    assert [s["run_id"] for s in advice["suggestions"]] == [failed["run_id"]]

    main(["solve", str(spec), "--warm", failed["run_id"][:10], "--no-guard", "--json",
          "--library", lib])
    warm = json.loads(capsys.readouterr().out)
    assert warm["warm_source"] == failed["run_id"] and warm["warm_report"]["matched"] == ["x"]
