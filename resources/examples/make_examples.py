"""Write WarmDesk's example problems (JSON specs and CSV data) into this folder.

Each family comes as a pair: ``<family>_base.json`` (today's problem) and
``<family>_next.json`` (what the user solves tomorrow: the same structure with
slightly different numbers or data). Solve the base, then warm-start the next
one from it::

    warmdesk solve resources/examples/peaks_base.json --json
    warmdesk solve resources/examples/peaks_next.json --warm RUN_ID

The script is deterministic (numpy ``default_rng`` with fixed seeds, fixed
number formatting, ``\\n`` line endings), needs no network, and running it
twice gives byte-identical files. Run it with ``python make_examples.py``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
FORMAT = "warmdesk.problem/1"


# --------------------------------------------------------------------------- writing

def to_json(value: Any, indent: str = "") -> str:
    """Indented JSON with short lists and small objects kept on one line."""
    flat = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if not isinstance(value, (dict, list)) or (
            len(indent) + len(flat) <= (92 if isinstance(value, list) else 76)
            and not any(isinstance(v, (dict, list)) for v in (
                value.values() if isinstance(value, dict) else value))):
        return flat
    inner = indent + "  "
    if isinstance(value, list):
        items = [inner + to_json(v, inner) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + indent + "]"
    items = [f"{inner}{json.dumps(k)}: {to_json(v, inner)}" for k, v in value.items()]
    return "{\n" + ",\n".join(items) + "\n" + indent + "}"


def write_json(name: str, spec: dict[str, Any]) -> None:
    text = to_json(spec) + "\n"
    assert json.loads(text) == spec
    (HERE / name).write_text(text, encoding="utf-8", newline="\n")


def write_csv(name: str, columns: dict[str, tuple[np.ndarray, str]]) -> None:
    """``columns`` maps a column name to (values, format spec such as '.4f')."""
    names = list(columns)
    rows = len(next(iter(columns.values()))[0])
    lines = [",".join(names)]
    for i in range(rows):
        cells = []
        for values, fmt in columns.values():
            cell = format(float(values[i]), fmt)
            if cell in ("-0", "-0.0", "-0.00", "-0.000", "-0.0000"):
                cell = cell[1:]  # no negative zero: the same bytes on every platform
            cells.append(cell)
        lines.append(",".join(cells))
    path = HERE / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    size = path.stat().st_size
    assert size < 100_000, f"{name} is {size} bytes; keep example data under 100 KB"


def spec(name: str, kind: str, description: str, tags: list[str], **fields: Any) -> dict[str, Any]:
    return {"format": FORMAT, "name": name, "kind": kind, "description": description,
            "tags": tags, **fields}


def rounded(values: np.ndarray, digits: int) -> list[float]:
    return [round(float(v), digits) for v in values]


# --------------------------------------------------------------------------- minimize

def rosenbrock() -> None:
    # The example of the issue that introduced the format, without its bounds: BFGS takes
    # none, and a spec giving them to it is refused (issue 12).
    base = {"format": FORMAT, "name": "rosenbrock", "kind": "minimize",
            "variables": {"x": {"size": 10, "start": 0.0}},  # BFGS takes no bounds
            "parameters": {"a": 1.0, "b": 100.0},
            "objective": "sum(b*(x[1:] - x[:-1]**2)**2 + (a - x[:-1])**2)",
            "solver": {"method": "BFGS", "options": {"gtol": 1e-8}}}
    write_json("rosenbrock_base.json", base)
    nxt = copy.deepcopy(base)
    nxt["description"] = ("The 10-dimensional Rosenbrock function with a = 1.01: the minimum "
                          "moves slightly away from x = 1.")
    nxt["tags"] = ["example", "minimize", "unconstrained", "benchmark"]
    nxt["parameters"]["a"] = 1.01
    write_json("rosenbrock_next.json", nxt)


def portfolio() -> None:
    """Mean-variance portfolio of 8 assets under a one-factor risk model."""
    rng = np.random.default_rng(20240101)
    n = 8
    beta = np.round(rng.uniform(0.6, 1.4, n), 3)            # market loadings
    idio = np.round(rng.uniform(0.15, 0.35, n) ** 2, 5)     # idiosyncratic variances
    mu = np.round(rng.uniform(0.04, 0.12, n), 4)            # expected annual returns

    def make(mu_now: np.ndarray, description: str) -> dict[str, Any]:
        return spec(
            "portfolio", "minimize", description,
            ["example", "minimize", "constrained", "finance", "SLSQP"],
            variables={"w": {"size": n, "start": 1.0 / n, "lower": 0, "upper": 1}},
            parameters={"mu": rounded(mu_now, 4), "beta": rounded(beta, 3),
                        "idio_var": rounded(idio, 5), "market_var": 0.04,
                        "risk_aversion": 3.0},
            objective=("risk_aversion*(market_var*dot(beta, w)**2 + sum(idio_var*w**2))"
                       " - dot(mu, w)"),
            constraints=[{"type": "eq", "expr": "sum(w) - 1", "name": "budget"}],
            solver={"method": "SLSQP", "options": {"ftol": 1e-12, "maxiter": 500}})

    write_json("portfolio_base.json", make(
        mu, "Long-only weights of 8 assets that minimise risk minus expected return "
            "(one-factor risk model), fully invested."))
    moved = mu * (1.0 + rng.uniform(-0.05, 0.05, n))
    write_json("portfolio_next.json", make(
        moved, "The same portfolio a day later: every expected return moved by up to 5%."))


def tank() -> None:
    """Cheapest closed cylindrical tank holding a given volume (trust-constr)."""
    def make(volume: float, description: str) -> dict[str, Any]:
        return spec(
            "tank", "minimize", description,
            ["example", "minimize", "constrained", "engineering", "trust-constr"],
            variables={"r": {"start": 1.0, "lower": 0.1, "upper": 10},
                       "h": {"start": 1.0, "lower": 0.1, "upper": 20}},
            parameters={"volume": volume, "wall_cost": 1.0, "lid_cost": 1.5},
            objective="wall_cost*2*pi*r*h + lid_cost*2*pi*r**2",
            constraints=[{"type": "ineq", "expr": "pi*r**2*h - volume", "name": "capacity"}],
            solver={"method": "trust-constr", "options": {"gtol": 1e-8, "xtol": 1e-10}})

    write_json("tank_base.json", make(
        50.0, "Radius and height of the cheapest closed cylindrical tank that holds 50 m^3, "
              "with lids dearer than the wall."))
    write_json("tank_next.json", make(
        52.0, "The same tank for a 4% larger volume (52 m^3)."))


# --------------------------------------------------------------------------- fit

PEAKS_MODEL = ("A[0]*exp(-0.5*((wavenumber - c[0])/w[0])**2)"
               " + A[1]*exp(-0.5*((wavenumber - c[1])/w[1])**2)"
               " + A[2]*exp(-0.5*((wavenumber - c[2])/w[2])**2)"
               " + b0 + b1*(wavenumber - centre)/halfspan")


def peaks() -> None:
    """Three Gaussian bands on a sloping baseline, measured on two days."""
    x = np.linspace(400.0, 1800.0, 401)
    days = {
        "base": dict(seed=101, A=[120.0, 80.0, 45.0], c=[800.0, 1050.0, 1420.0],
                     w=[25.0, 40.0, 18.0], b0=10.0, b1=3.0),
        "next": dict(seed=102, A=[126.0, 74.4, 49.5], c=[806.0, 1046.0, 1428.0],
                     w=[25.8, 41.2, 18.5], b0=10.6, b1=2.7),
    }
    for day, t in days.items():
        rng = np.random.default_rng(t["seed"])
        y = t["b0"] + t["b1"] * (x - 1100.0) / 700.0
        for a, c, w in zip(t["A"], t["c"], t["w"]):
            y = y + a * np.exp(-0.5 * ((x - c) / w) ** 2)
        y = y + rng.normal(0.0, 2.0, x.size)
        write_csv(f"peaks_{day}.csv", {"wavenumber": (x, ".1f"), "intensity": (y, ".3f")})
    for day, description in (
            ("base", "Three Gaussian bands on a linear baseline fitted to a noisy spectrum."),
            ("next", "The same three bands in the next day's spectrum: shifted by a few "
                     "wavenumbers and a few percent higher or lower.")):
        write_json(f"peaks_{day}.json", spec(
            "peaks", "fit", description,
            ["example", "fit", "spectroscopy", "gaussian", "peaks"],
            variables={"A": {"size": 3, "start": [100.0, 100.0, 50.0], "lower": 0,
                             "upper": 1000},
                       "c": {"size": 3, "start": [790.0, 1060.0, 1410.0], "lower": 400,
                             "upper": 1800},
                       "w": {"size": 3, "start": [20.0, 30.0, 20.0], "lower": 1, "upper": 200},
                       "b0": {"start": 0.0},
                       "b1": {"start": 0.0}},
            parameters={"centre": 1100.0, "halfspan": 700.0},
            data={"file": f"peaks_{day}.csv"},
            model=PEAKS_MODEL, target="intensity", sigma=2.0,
            solver={"method": "trf", "options": {"xtol": 1e-10, "ftol": 1e-10}}))


def decay() -> None:
    """Detector calibration: an exponential decay on a background, counted with
    Poisson noise (sigma = sqrt(counts)) and a few bad readings."""
    days = {"base": dict(seed=201, N0=1000.0, tau=12.5, bg=20.0, bad=(7, 23, 41)),
            "next": dict(seed=202, N0=980.0, tau=12.8, bg=21.0, bad=(11, 30, 52))}
    time = np.arange(0.0, 60.0, 1.0)
    for day, t in days.items():
        rng = np.random.default_rng(t["seed"])
        mean = t["N0"] * np.exp(-time / t["tau"]) + t["bg"]
        counts = rng.poisson(mean).astype(float)
        for i in t["bad"]:  # glitches: readings far off, what soft_l1 is for
            counts[i] = np.round(counts[i] * 1.6 + 15)
        sigma = np.sqrt(np.maximum(counts, 1.0))
        write_csv(f"decay_{day}.csv", {"time": (time, ".1f"), "counts": (counts, ".0f"),
                                      "sigma": (sigma, ".4f")})
    for day, description in (
            ("base", "Decay constant, amplitude and background of a detector calibration, "
                     "fitted robustly to Poisson counts with a few glitches."),
            ("next", "The next calibration run: a slightly longer decay time and new "
                     "glitches.")):
        write_json(f"decay_{day}.json", spec(
            "decay", "fit", description,
            ["example", "fit", "calibration", "robust", "exponential"],
            variables={"N0": {"start": 500.0, "lower": 0, "upper": 100000},
                       "tau": {"start": 5.0, "lower": 0.1, "upper": 1000},
                       "bg": {"start": 1.0, "lower": 0, "upper": 10000}},
            data={"file": f"decay_{day}.csv"},
            model="N0*exp(-time/tau) + bg", target="counts", sigma="sigma",
            loss="soft_l1", f_scale=2.0,
            solver={"method": "dogbox", "options": {"xtol": 1e-10, "ftol": 1e-10}}))


# --------------------------------------------------------------------------- train

def churn() -> None:
    """Binary logistic regression: does a customer leave within a year?"""
    names = ["tenure_years", "monthly_spend_100", "support_calls", "usage_hours", "discount"]
    days = {"base": dict(seed=301, shift=np.zeros(5), coef=[-0.45, 0.9, 0.55, -0.08, -1.2],
                         b=0.4),
            "next": dict(seed=302, shift=np.array([0.3, 0.05, 0.3, -1.0, 0.03]),
                         coef=[-0.43, 0.95, 0.57, -0.08, -1.25], b=0.4)}
    for day, t in days.items():
        rng = np.random.default_rng(t["seed"])
        n = 400
        X = np.column_stack([
            rng.gamma(2.0, 1.5, n) + t["shift"][0],                 # years
            rng.normal(0.65, 0.25, n).clip(0.1) + t["shift"][1],    # hundreds per month
            rng.poisson(1.5 + t["shift"][2], n).astype(float),      # calls last quarter
            rng.normal(12.0, 4.0, n).clip(0.0) + t["shift"][3],     # hours a week
            (rng.uniform(size=n) < 0.3 + t["shift"][4]).astype(float),
        ])
        X = np.round(X, 3)
        z = X @ np.asarray(t["coef"]) + t["b"]
        y = (rng.uniform(size=n) < 1.0 / (1.0 + np.exp(-z))).astype(float)
        cols = {nm: (X[:, j], ".3f" if j in (0, 1, 3) else ".0f") for j, nm in enumerate(names)}
        cols["churned"] = (y, ".0f")
        write_csv(f"churn_{day}.csv", cols)
    for day, description in (
            ("base", "Logistic regression of customer churn (0/1) on five account features "
                     "(spend in hundreds a month)."),
            ("next", "The same churn model on next month's customers, whose features have "
                     "drifted a little.")):
        write_json(f"churn_{day}.json", spec(
            "churn", "train", description,
            ["example", "train", "logistic", "classification", "customers"],
            data={"file": f"churn_{day}.csv"}, target="churned", features=names,
            model="logistic", l2=0.001, fit_intercept=True,
            solver={"method": "BFGS", "options": {"gtol": 1e-6}}))


def species() -> None:
    """Multinomial (3-class) logistic regression on four flower measurements."""
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    means = np.array([[5.0, 3.4, 1.6, 0.4], [5.9, 2.8, 4.2, 1.3], [6.5, 3.0, 5.2, 2.0]])
    sds = np.array([0.45, 0.38, 0.6, 0.3])
    days = {"base": dict(seed=401, drift=np.zeros(4)),
            "next": dict(seed=402, drift=np.array([0.1, -0.05, 0.12, 0.05]))}
    for day, t in days.items():
        rng = np.random.default_rng(t["seed"])
        rows = []
        for k in range(3):
            X = rng.normal(means[k] + t["drift"], sds, size=(150, 4)).clip(0.1)
            rows.append(np.column_stack([X, np.full(150, float(k))]))
        data = np.vstack(rows)
        data = data[rng.permutation(data.shape[0])]
        cols = {nm: (data[:, j], ".2f") for j, nm in enumerate(names)}
        cols["species"] = (data[:, 4], ".0f")
        write_csv(f"species_{day}.csv", cols)
    for day, description in (
            ("base", "Multinomial logistic regression of three species (0, 1, 2) on four "
                     "flower measurements."),
            ("next", "The species classifier on a new field season, with every measurement "
                     "shifted slightly.")):
        write_json(f"species_{day}.json", spec(
            "species", "train", description,
            ["example", "train", "multinomial", "classification", "botany"],
            data={"file": f"species_{day}.csv"}, target="species", features=names,
            model="multinomial", l2=0.01,
            solver={"method": "Newton-CG", "options": {"xtol": 1e-8}}))


def housing() -> None:
    """Linear regression of a flat's price on its size, rooms, age and distance."""
    names = ["area_100m2", "rooms", "age_decades", "distance_km"]
    days = {"base": dict(seed=501, coef=[180.0, 12.0, -9.0, -6.5], b=95.0, shift=0.0),
            "next": dict(seed=502, coef=[186.0, 12.0, -9.4, -6.8], b=97.0, shift=0.05)}
    for day, t in days.items():
        rng = np.random.default_rng(t["seed"])
        n = 300
        area = rng.gamma(6.0, 0.14, n) + t["shift"]
        rooms = np.clip(np.round(area * 3.2 + rng.normal(0.0, 0.7, n)), 1, 8)
        age = rng.uniform(0.0, 8.0, n)
        dist = rng.gamma(2.0, 3.0, n)
        X = np.round(np.column_stack([area, rooms, age, dist]), 3)
        price = X @ np.asarray(t["coef"]) + t["b"] + rng.normal(0.0, 15.0, n)
        cols = {nm: (X[:, j], ".3f" if j != 1 else ".0f") for j, nm in enumerate(names)}
        cols["price_k"] = (price, ".2f")
        write_csv(f"housing_{day}.csv", cols)
    for day, description in (
            ("base", "Linear regression of flat prices (thousands) on floor area, rooms, age "
                     "and distance to the centre."),
            ("next", "The price model refitted on next quarter's sales, where prices rose "
                     "a little.")):
        write_json(f"housing_{day}.json", spec(
            "housing", "train", description,
            ["example", "train", "linear", "regression", "real-estate"],
            data={"file": f"housing_{day}.csv"}, target="price_k", features=names,
            model="linear", l2=0.0,
            solver={"method": "L-BFGS-B", "options": {"gtol": 1e-8, "ftol": 1e-14}}))


# --------------------------------------------------------------------------- ode

def lotka_volterra() -> None:
    def make(alpha: float, description: str) -> dict[str, Any]:
        return spec(
            "lotka_volterra", "ode", description,
            ["example", "ode", "non-stiff", "population", "DOP853"],
            state={"prey": {"start": 10.0}, "predator": {"start": 5.0}},
            parameters={"alpha": alpha, "beta": 0.4, "delta": 0.1, "gamma": 0.4},
            rhs={"prey": "alpha*prey - beta*prey*predator",
                 "predator": "delta*prey*predator - gamma*predator"},
            t_span=[0.0, 50.0], t_eval=501, checkpoints=10,
            solver={"method": "DOP853", "options": {"rtol": 1e-9, "atol": 1e-9}})

    write_json("lotka_volterra_base.json", make(
        1.1, "Predator-prey cycles of the Lotka-Volterra equations over 50 time units."))
    write_json("lotka_volterra_next.json", make(
        1.122, "The same predator-prey system with a 2% higher prey growth rate alpha."))


def robertson() -> None:
    def make(k1: float, description: str) -> dict[str, Any]:
        return spec(
            "robertson", "ode", description,
            ["example", "ode", "stiff", "chemistry", "kinetics", "BDF"],
            state={"y1": {"start": 1.0}, "y2": {"start": 0.0}, "y3": {"start": 0.0}},
            parameters={"k1": k1, "k2": 3.0e7, "k3": 1.0e4},
            rhs={"y1": "-k1*y1 + k3*y2*y3",
                 "y2": "k1*y1 - k3*y2*y3 - k2*y2**2",
                 "y3": "k2*y2**2"},
            t_span=[0.0, 40000.0], t_eval=101, checkpoints=10,
            solver={"method": "BDF", "options": {"rtol": 1e-6, "atol": 1e-10}})

    write_json("robertson_base.json", make(
        0.04, "Robertson's stiff chemical kinetics (three species, rates over nine orders "
              "of magnitude) integrated to t = 40000."))
    write_json("robertson_next.json", make(
        0.0408, "The same reaction with a 2% faster first step (k1 = 0.0408)."))


def mlp() -> None:
    """A neural network (an MLP): is a machine's run good (0/1) from four sensor
    readings? A synthetic process with a curved boundary (a ring in temperature
    and vibration, tilted by pressure) and 5% of the labels flipped; the next
    batch comes from machines that run warmer and shakier, with a fifth reading
    (``load``) that the base data lacked."""
    names = ["temperature", "pressure", "vibration", "humidity"]
    days = {"base": dict(seed=401, n=600, shift=np.zeros(4), load=False),
            "next": dict(seed=402, n=800, shift=np.array([0.4, 0.0, 0.3, -0.1]), load=True)}
    for day, t in days.items():
        rng = np.random.default_rng(t["seed"])
        n = t["n"]
        X = rng.normal(size=(n, 4)) + t["shift"]
        load = rng.uniform(0.0, 1.0, n)
        r = X[:, 0] ** 2 + (1.3 * X[:, 2]) ** 2 - 0.8 * X[:, 1] + 0.2 * X[:, 3]
        if t["load"]:
            r = r + 0.6 * (load - 0.5)
        y = (r < 1.6).astype(float)
        flip = rng.uniform(size=n) < 0.05
        y[flip] = 1.0 - y[flip]
        scale = np.array([8.0, 0.5, 1.2, 10.0])
        centre = np.array([70.0, 3.0, 4.0, 45.0])
        cols = {nm: (np.round(centre[j] + scale[j] * X[:, j], 3), ".3f")
                for j, nm in enumerate(names)}
        if t["load"]:
            cols["load"] = (np.round(load, 3), ".3f")
        cols["good"] = (y, ".0f")
        write_csv(f"mlp_{day}.csv", cols)
    for day, description, fine_tune in (
            ("base", "A small neural network (one hidden layer of 16) that tells good runs "
                     "(1) from bad ones (0) by four sensor readings.", None),
            ("next", "The same network on the next batch of machines: warmer, shakier, and a "
                     "new 'load' reading. Fine-tuned from the base run by shrink and perturb.",
             {"mode": "shrink_perturb", "shrink": 0.3, "noise": 0.1})):
        fields: dict[str, Any] = dict(
            data={"file": f"mlp_{day}.csv"}, target="good", output="binary", layers=[16],
            activation="relu", weight_decay=0.0001, epochs=60, batch_size=32, seed=0,
            schedule="constant", validation={"fraction": 0.2},
            early_stopping={"patience": 10, "min_delta": 0.0})
        if fine_tune:
            fields["fine_tune"] = fine_tune
        write_json(f"mlp_{day}.json", spec(
            "mlp", "network", description,
            ["example", "network", "mlp", "classification", "sensors"], **fields,
            solver={"method": "adam", "options": {"learning_rate": 0.003}}))


def main() -> None:
    for make in (rosenbrock, portfolio, tank, peaks, decay, churn, species, housing,
                 lotka_volterra, robertson, mlp):
        make()


if __name__ == "__main__":
    main()
