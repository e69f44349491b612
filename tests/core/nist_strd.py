"""Three NIST StRD nonlinear-regression problems (public domain), with their
published "start 1" values and certified results, as fit specs.

https://www.itl.nist.gov/div898/strd/nls/nls_main.shtml (BoxBOD: higher
difficulty, MGH10: higher, Rat43: higher)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

PROBLEMS: dict[str, dict[str, Any]] = {
    "BoxBOD": {
        "x": [1, 2, 3, 5, 7, 10],
        "y": [109, 149, 149, 191, 213, 224],
        "model": "b1*(1 - exp(-b2*x))",
        "start1": {"b1": 1.0, "b2": 1.0},
        "certified": {"b1": 2.1380940889e+02, "b2": 5.4723748542e-01},
        "stderr": {"b1": 1.2354515176e+01, "b2": 1.0455993237e-01},
        "rss": 1.1680088766e+03},
    "MGH10": {
        "x": list(range(50, 126, 5)),
        "y": [34780, 28610, 23650, 19630, 16370, 13720, 11540, 9744, 8261, 7030, 6005, 5147,
              4427, 3820, 3307, 2872],
        "model": "b1*exp(b2/(x + b3))",
        "start1": {"b1": 0.02, "b2": 4000.0, "b3": 250.0},
        "certified": {"b1": 5.6096364710e-03, "b2": 6.1813463463e+03, "b3": 3.4522363462e+02},
        "rss": 8.7945855171e+01},
    "Rat43": {
        "x": list(range(1, 16)),
        "y": [16.08, 33.83, 65.80, 97.20, 191.55, 326.20, 386.87, 520.53, 590.03, 651.92,
              724.93, 699.56, 689.96, 637.56, 717.41],
        "model": "b1/((1 + exp(b2 - b3*x))**(1/b4))",
        "start1": {"b1": 100.0, "b2": 10.0, "b3": 1.0, "b4": 1.0},
        "certified": {"b1": 6.9964151270e+02, "b2": 5.2771253025e+00, "b3": 7.5962938329e-01,
                      "b4": 1.2792483859e+00},
        "stderr": {"b1": 1.6302297817e+01, "b2": 2.0828735829e+00, "b3": 1.9566123451e-01,
                   "b4": 6.8761936385e-01},
        "rss": 8.7864049080e+03},
}


def nist_spec(folder: Path, name: str, method: str = "trf", **options: Any) -> Path:
    """Write ``name``'s data and spec (start 1) into ``folder``; the spec's path."""
    d = PROBLEMS[name]
    csv = folder / f"{name}.csv"
    csv.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in zip(d["x"], d["y"])))
    spec = {"format": "warmdesk.problem/1", "name": name, "kind": "fit",
            "variables": {k: {"start": v} for k, v in d["start1"].items()},
            "data": {"file": csv.name}, "model": d["model"], "target": "y",
            "solver": {"method": method, "options": dict(options)}}
    path = folder / f"{name}_{method}.json"
    path.write_text(json.dumps(spec))
    return path


def nist_dict(name: str) -> dict[str, Any]:
    return copy.deepcopy(PROBLEMS[name])
