"""The ``network`` kind's warm starts: an exact resume, or a fine-tune.

**Exact resume**: the source run was interrupted (it holds a training state
that is not done) and the problem is the same (same content hash: spec and
data). The packed state (weights, optimizer moments and step, the shuffle
generator at the epoch's start, epoch and mini-batch, early-stopping counters)
is handed over as it is, and training goes on bit for bit.

**Fine-tune** from any other usable network run with the same hidden layers,
activation and output type:

- the input layer is matched by feature name. The standardisation is fitted
  again on the new training split, and a matched feature's weights are
  rescaled (``w * new_scale / old_scale``) with the difference of the means
  folded into the first biases, so the first layer computes exactly what it
  did for every input; a new feature starts at zero weight; a dropped one is
  removed (the same as holding it at its old training mean);
- the output layer is matched by class: a new class gets the fresh
  initialisation's column, a dropped one is removed (a binary output whose
  two classes differ starts fresh). A regression's target standardisation is
  fitted again too, and the output layer rescaled (``w * old_scale /
  new_scale``, the biases shifted by the change of mean), so the network
  predicts the same values in the target's units; a run stored before targets
  were standardised predicted the target as it is (mean 0, scale 1);
- then the ``fine_tune`` mode: ``plain`` (as mapped), ``shrink_perturb``
  (``shrink * mapped + noise * a fresh initialisation``, drawn from its own
  stream, not the seed's cold start: ``network_data.perturbation``; see
  ``network_settings.SHRINK_DEFAULT``) or ``freeze`` (as mapped; only the last
  layer is trained). The optimizer starts afresh.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import WarmStartError
from ..problem_types import Problem
from ..runs import Run
from ..solvers.base import WarmStart
from ..solvers.network_optim import RESUME_PAYLOAD
from ..status import Status
from ..warm_start_type import EXACT_RESUME, RESTART
from . import mapping

__all__ = ["RESUME_PAYLOAD", "warm_start"]


def warm_start(problem: Problem, run: Run) -> WarmStart:
    from ..solvers import network_data
    from ..solvers.network_optim import TrainState
    data = network_data.prepare(problem)
    report = mapping.new_report(run)
    packed = run.state.get("x")
    if (run.status is Status.INTERRUPTED and packed is not None
            and run.problem_hash == problem.content_hash() and run.method == problem.method):
        try:
            state = TrainState.unpack(packed, data.arch.size)
        except ValueError:
            state = None
        if state is not None and not state.done:
            report.update(payload=[RESUME_PAYLOAD], mode=EXACT_RESUME,
                          matched=[name for name, _ in problem.layout],
                          note=f"resumes epoch {state.epoch + 1} at mini-batch "
                               f"{state.batch + 1}, bit for bit")
            return WarmStart(run.id, [RESUME_PAYLOAD], x0=_resume_start(run, state, data,
                                                                        report),
                             state={RESUME_PAYLOAD: np.array(packed, dtype=float)},
                             mode=EXACT_RESUME, report=report)
    x0 = fine_tune_weights(problem, run, data, report)
    return WarmStart(run.id, ["weights"], x0=x0, state={}, mode=RESTART, report=report)


def _resume_start(run: Run, state: Any, data: Any, report: dict[str, Any]) -> np.ndarray:
    """The start point an exact resume shows (the advisor's merit): the state's
    weights, as the same function in this problem's target standardisation
    when the state was trained on another (one stored before targets were
    standardised: mean 0, scale 1). The training itself resumes from the
    packed state, on the target as that state was trained."""
    x0 = np.array(state.theta, dtype=float)
    if data.arch.output == "regression" and state.target != (data.target_mean,
                                                            data.target_scale):
        w, b = data.arch.unpack(x0)[-1]
        _map_target(run.id, {"target_mean": state.target_mean,
                             "target_scale": state.target_scale}, data, w, b, {})
        report["note"] += (f"; trained on the target as mean {state.target_mean:g}, scale "
                           f"{state.target_scale:g} (stored before targets were "
                           "standardised), and resumed so")
    return x0


def fine_tune_weights(problem: Problem, run: Run, data: Any, report: dict[str, Any]) -> np.ndarray:
    from ..solvers import network_data
    s = network_data.settings_of(problem)
    arch = data.arch
    net = run.info.get("network") or {}
    old_hidden = [int(w) for w in net.get("layers", [])]
    for what, old, new in (("output", net.get("output"), arch.output),
                           ("hidden layers", old_hidden, list(arch.hidden)),
                           ("activation", net.get("activation"), arch.activation)):
        if old != new:
            raise WarmStartError(f"run {run.id} trained a network with {what} {old}; the "
                                 f"problem's are {new}: start cold")
    old_features = [str(f) for f in run.info.get("features", [])]
    old_classes = [float(c) for c in run.info.get("classes", [])]
    old_mean = _stored_vector(run.id, net, "input_mean", len(old_features))
    old_scale = _stored_vector(run.id, net, "input_scale", len(old_features))
    if not np.all(old_scale > 0):
        raise WarmStartError(f"run {run.id}'s stored input standardisation has a scale "
                             f"that is not above 0 ({old_scale.tolist()}): start cold")
    old_arch = network_data.architecture(s, len(old_features), old_classes)
    theta_old = np.concatenate([np.ravel(run.solution[name]) for name, _ in old_arch.layout()
                                if name in run.solution])
    if theta_old.size != old_arch.size:
        raise WarmStartError(f"run {run.id}'s weights do not fit its own layout")
    fresh = network_data.initial_weights(arch, s.seed)
    theta = fresh.copy()
    old_layers, new_layers = old_arch.unpack(theta_old), arch.unpack(theta)
    cols = _output_columns(arch.output, old_classes, data.classes, report)
    last = len(new_layers) - 1
    for i, ((w_new, b_new), (w_old, b_old)) in enumerate(zip(new_layers, old_layers)):
        keep: list[tuple[int, int | None]] = (
            cols if i == last else [(k, k) for k in range(w_new.shape[1])])
        for k, k_old in keep:
            if k_old is not None:    # else the fresh column stays
                b_new[k] = b_old[k_old]
                if i:
                    w_new[:, k] = w_old[:, k_old]
        if i == 0:
            _map_inputs(data, old_features, old_mean, old_scale, w_old, w_new, b_new, keep,
                        report)
    if arch.output == "regression":
        w_last, b_last = new_layers[last]
        _map_target(run.id, net, data, w_last, b_last, report)
    mode = s.fine_tune
    report["mode"] = mode
    report["payload"] = ["weights"]
    report["fine_tune"] = {"mode": mode}
    if mode == "shrink_perturb":
        theta = s.shrink * theta + s.noise * network_data.perturbation(arch, s.seed)
        report["fine_tune"].update(shrink=s.shrink, noise=s.noise)
        report["note"] = (f"shrink and perturb: weights x {s.shrink:g} + {s.noise:g} x a "
                          f"fresh initialisation (seed {s.seed}, its noise stream)")
    elif mode == "freeze":
        report["note"] = "freeze: only the last layer is trained"
    else:
        report["note"] = "plain: the mapped weights as they are"
    report["refused"]["optimizer state"] = "a fine-tune starts the optimizer afresh"
    return theta


def _map_inputs(data: Any, old_features: list[str], old_mean: np.ndarray,
                old_scale: np.ndarray, w_old: np.ndarray, w_new: np.ndarray,
                b_new: np.ndarray, cols: list[tuple[int, int | None]],
                report: dict[str, Any]) -> None:
    """The first layer's rows by feature, rescaled to the new standardisation
    (the mean shift folded into the biases); a new feature's row is zero."""
    index = {f: i for i, f in enumerate(old_features)}
    mapped = [(k, k_old) for k, k_old in cols if k_old is not None]
    for j, f in enumerate(data.features):
        i = index.get(f)
        if i is None:
            w_new[j] = 0.0
            report["defaulted"].append(f"input {f} (zero weight)")
            continue
        for k, k_old in mapped:
            w_new[j, k] = w_old[i, k_old] * (data.scale[j] / old_scale[i])
            b_new[k] += w_old[i, k_old] * ((data.mean[j] - old_mean[i]) / old_scale[i])
        report["matched"].append(f"input {f}")
    report["dropped"] += [f"input {f}" for f in old_features if f not in data.features]
    report["standardisation"] = "re-fitted on the new training split; first layer adjusted"


def _map_target(run_id: str, net: dict[str, Any], data: Any, w: np.ndarray, b: np.ndarray,
                report: dict[str, Any]) -> None:
    """The output layer (mapped already) rescaled from the old run's target
    standardisation to the new one: the prediction ``mean + scale * z`` stays."""
    old_mean, old_scale = net.get("target_mean", 0.0), net.get("target_scale", 1.0)
    if not (_finite(old_mean) and _finite(old_scale) and old_scale > 0):
        raise WarmStartError(f"run {run_id}'s stored target standardisation (mean "
                             f"{old_mean!r}, scale {old_scale!r}) is unusable: start cold")
    w *= old_scale / data.target_scale
    b *= old_scale / data.target_scale
    b += (old_mean - data.target_mean) / data.target_scale
    report["target standardisation"] = (
        f"re-fitted on the new training split (mean {data.target_mean:.6g}, scale "
        f"{data.target_scale:.6g}; was {old_mean:.6g}, {old_scale:.6g}); output layer adjusted")


def _stored_vector(run_id: str, net: dict[str, Any], key: str, n: int) -> np.ndarray:
    """``net[key]``: one finite number per feature, else a WarmStartError naming
    the run (a damaged or hand-edited record must not become a bare ValueError,
    or weights divided by an infinite scale)."""
    value = net.get(key)
    if value is None:
        raise WarmStartError(f"run {run_id}'s stored input standardisation has no {key}: "
                             "start cold")
    ok = isinstance(value, (list, tuple)) and len(value) == n and all(_finite(v) for v in value)
    if not ok:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise WarmStartError(f"run {run_id}'s stored input standardisation {key} is not "
                             f"{n} finite numbers, one per feature: {shown}: start cold")
    return np.array(value, dtype=float)


def _finite(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _output_columns(output: str, old: list[float], new: list[float],
                    report: dict[str, Any]) -> list[tuple[int, int | None]]:
    """(new output, old output or None: fresh) for the last layer's columns."""
    if output == "regression" or (output == "binary" and old == new):
        report["matched"].append("output")
        return [(0, 0)]
    if output == "binary":
        report["defaulted"].append(f"output (classes {old} -> {new}: fresh)")
        return [(0, None)]
    where = {c: k for k, c in enumerate(old)}
    cols: list[tuple[int, int | None]] = []
    for k, c in enumerate(new):
        cols.append((k, where.get(c)))
        (report["matched"] if c in where else report["defaulted"]).append(
            f"class {c:g}" + ("" if c in where else " (fresh)"))
    report["dropped"] += [f"class {c:g}" for c in old if c not in set(new)]
    return cols
