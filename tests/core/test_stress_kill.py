"""The crash-safety stress test, short: SIGKILL a process that is solving and
saving runs 12 times; after every kill the library opens, checks sound, has
no run left ``running``, and holds every run reported saved, whole.

The full version is ``python benchmarks/stress_kill.py --kills 1000``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "stress_kill.py"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180),
              pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL")]


def _stress_module():
    spec = importlib.util.spec_from_file_location("warmdesk_stress_kill", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_twelve_kills_lose_nothing(tmp_path: Path) -> None:
    # real processes (benchmarks/stress_kill.py starts them): each is killed with SIGKILL
    stress = _stress_module()
    lines: list[str] = []
    result = stress.run_stress(12, seed=20261127, libdir=tmp_path / "library",
                               workdir=tmp_path / "work", cli_every=6, progress_every=0,
                               out=lines.append)
    stress.report(result, out=lines.append)
    text = "\n".join(lines)
    assert result.failures == [], text
    assert result.kills == 12, text
    assert result.cli_checks >= 2, text         # `warmdesk check` ran (and exited 0)
    assert result.reported > 0, text            # the children did save runs
    assert result.found == result.reported, text
    assert result.runs_in_library >= result.reported, text
    assert "history rows lost per kill" in text   # durable progress, measured per kill
    assert all(rows >= 0 for rows in result.lost_rows), text
