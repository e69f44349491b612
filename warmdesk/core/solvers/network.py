"""``network``: an MLP trained by mini-batch Adam or SGD, epoch by epoch, with
a seeded shuffle, a validation split, early stopping, and an exact resume.

Each mini-batch is one evaluation of the recorder (it checks the control: an
interrupt or a cancel is honoured between two mini-batches) and each epoch is
one history row: ``iter`` the epoch (counted across resumes), ``nfev`` and
``njev`` the mini-batches of this run, ``fun`` the training loss of the epoch's
weights on the whole training split, ``grad_norm`` the mean mini-batch gradient
norm, ``step`` how far the weights moved in the epoch. The training curves
(:data:`EPOCH_COLUMNS`: validation loss, accuracies, learning rate) are the
run's ``outputs["epochs"]`` table, kept up to date while the run trains.

A regression trains on its target standardised (``network_data``); every loss
recorded here (the epoch table, the history, ``run.fun``, ``info.network``) is
the mean squared error in the target's own units.

The whole training state (:class:`~.network_optim.TrainState`) is the run's
``state["x"]``, packed, at every end and in every epoch's last iterate (the
durable progress of a job), so an interrupted run resumes bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

from ..runs import Run
from ..status import Status
from ..warm_start_type import EXACT_RESUME
from .base import Recorder, SolveContext, Stopped
from .network_data import SHUFFLE_STREAM, NetworkData, prepare, settings_of
from .network_model import loss_and_grad
from .network_optim import RESUME_PAYLOAD, Optimizer, TrainState, new_generator
from .network_settings import NetworkSettings, optimizer_options

#: The columns of ``run.outputs["epochs"]``, in stored order (never reorder).
EPOCH_COLUMNS = ("epoch", "train_loss", "val_loss", "train_acc", "val_acc", "learning_rate",
                 "wall_s")


def initial_state(ctx: SolveContext, s: NetworkSettings,
                  data: NetworkData) -> tuple[TrainState, bool]:
    """The state to train from, and whether it resumes an earlier run exactly."""
    warm = ctx.warm
    if warm is not None and warm.mode == EXACT_RESUME and RESUME_PAYLOAD in warm.state:
        return TrainState.unpack(warm.state[RESUME_PAYLOAD], data.arch.size), True
    rng = np.random.default_rng([s.seed, SHUFFLE_STREAM])
    return TrainState.fresh(ctx.problem.method, ctx.start_point(), rng,
                            (data.target_mean, data.target_scale)), False


def solve_network(ctx: SolveContext) -> None:
    p, run, rec = ctx.problem, ctx.run, ctx.recorder
    s = settings_of(p)
    data = prepare(p, s)
    state, resumed = initial_state(ctx, s, data)
    if resumed and state.target != (data.target_mean, data.target_scale):
        data = prepare(p, s, state.target)   # a state stored before targets were scaled
    arch = data.arch
    freeze = s.fine_tune == "freeze" and ctx.warm is not None and not resumed
    opt = Optimizer(p.method, optimizer_options(p.method, p.options),
                    arch.last_layer_mask() if freeze else np.ones(arch.size))
    _describe(run, p.target, data, s, freeze)
    mask = arch.weight_mask()
    lr0 = float(opt.o["learning_rate"])
    n = data.x_train.shape[0]
    batches = math.ceil(n / s.batch_size)
    table: list[list[float]] = []
    try:
        while state.epoch < s.epochs and not state.done:
            rng = new_generator(state.rng_state)   # the state at the epoch's start
            perm = rng.permutation(n)
            lr = lr0 * s.schedule.factor_at(state.epoch, s.epochs)
            start = state.theta.copy()
            norms = 0.0
            while state.batch < batches:
                rows = perm[state.batch * s.batch_size:(state.batch + 1) * s.batch_size]
                _, objective, g = loss_and_grad(arch, state.theta, data.x_train[rows],
                                                data.y_train[rows], s.weight_decay, mask)
                rec.evaluation(objective * data.loss_factor)   # counts; honours interrupt
                rec.njev += 1
                norms += float(np.sqrt(g @ g))
                opt.update(state, g, lr)
                state.batch += 1
            state.rng_state = dict(rng.bit_generator.state)   # the next epoch's start
            _end_epoch(rec, state, data, s, table, lr, start, norms / batches)
            run.outputs["epochs"] = np.asarray(table, dtype=float)
    except Stopped as stop:
        _stopped(ctx, stop.status, state, table)
        return
    _finished(ctx, state, data, s, table)


def _end_epoch(rec: Recorder, state: TrainState, data: NetworkData, s: NetworkSettings,
               table: list[list[float]], lr: float, start: np.ndarray, gnorm: float) -> None:
    """Evaluate the epoch's weights, update early stopping, record the row and
    the checkpoint (the packed state: the recorder's last iterate)."""
    train_loss, train_acc = data.evaluate(state.theta, "train")
    val_loss, val_acc = data.evaluate(state.theta, "val")
    epoch = state.epoch
    if math.isfinite(val_loss):
        if val_loss < state.best_val - s.min_delta:
            state.best_val, state.best_epoch, state.bad_epochs = val_loss, epoch, 0
            state.best_theta = state.theta.copy()
        else:
            state.bad_epochs += 1
        if s.patience is not None and state.bad_epochs >= s.patience:
            state.done = True
    state.epoch, state.batch = epoch + 1, 0
    table.append([epoch + 1, train_loss, val_loss, train_acc, val_acc, lr, rec.elapsed()])
    d = state.theta - start
    rec.nit = epoch            # the row's iter is the epoch, counted across resumes
    packed = state.pack()
    rec.last_x, rec.last_fun = packed, train_loss   # the epoch's checkpoint
    rec.row(fun=train_loss, grad_norm=gnorm, step=float(np.sqrt(d @ d)))


def _describe(run: Run, target: str, data: NetworkData, s: NetworkSettings,
              freeze: bool) -> None:
    arch = data.arch
    run.info.update({"features": list(data.features), "target": target, "model": "mlp"})
    if data.classes:
        run.info["classes"] = list(data.classes)
    run.info["network"] = {
        "output": arch.output, "layers": list(arch.hidden), "activation": arch.activation,
        "train_rows": int(data.x_train.shape[0]), "val_rows": int(data.x_val.shape[0]),
        "epochs": s.epochs, "batch_size": s.batch_size, "seed": s.seed,
        "trained": "last layer (freeze)" if freeze else "all layers",
        "epoch_columns": list(EPOCH_COLUMNS),
        # with the run's facts, not its arrays: a warm start reads a run without
        # its outputs (JSON keeps a float64 exactly)
        "input_mean": [float(v) for v in data.mean],
        "input_scale": [float(v) for v in data.scale]}
    if arch.output == "regression":
        # the network predicts (y - target_mean) / target_scale; its losses are
        # mean squared errors in the target's units
        run.info["network"].update(target_mean=data.target_mean,
                                   target_scale=data.target_scale)


def _finished(ctx: SolveContext, state: TrainState, data: NetworkData, s: NetworkSettings,
              table: list[list[float]]) -> None:
    run, rec = ctx.run, ctx.recorder
    state.done = True
    keep_best = s.patience is not None and state.best_epoch >= 0
    theta = state.best_theta if keep_best else state.theta
    _keep(ctx, state, theta, table)
    run.status = Status.CONVERGED
    run.fun, _ = data.evaluate(theta, "train")
    val_loss, val_acc = data.evaluate(theta, "val")
    net = run.info["network"]
    net.update(epochs_done=state.epoch, best_epoch=state.best_epoch + 1,
               val_loss=_num(val_loss), val_acc=_num(val_acc),
               stopped_early=bool(s.patience is not None and state.epoch < s.epochs))
    why = (f"stopped early after epoch {state.epoch}: the validation loss had not improved "
           f"for {s.patience} epochs" if net["stopped_early"] else
           f"trained {state.epoch} epochs")
    kept = f"; the weights of epoch {state.best_epoch + 1} are kept" if keep_best else ""
    run.message = f"{why}{kept}"
    run.nit, run.nfev, run.njev = state.epoch, rec.nfev, rec.njev


def _stopped(ctx: SolveContext, status: Status, state: TrainState,
             table: list[list[float]]) -> None:
    run, rec = ctx.run, ctx.recorder
    run.status = status
    run.nit, run.nfev, run.njev = state.epoch, rec.nfev, rec.njev
    if status is not Status.INTERRUPTED:
        run.message = f"cancelled by the user in epoch {state.epoch + 1}"
        return
    _keep(ctx, state, state.theta, table)
    run.fun = rec.last_fun if math.isfinite(rec.last_fun) else None
    run.message = (f"interrupted in epoch {state.epoch + 1} before mini-batch "
                   f"{state.batch + 1}; a warm start from this run resumes it exactly")


def _keep(ctx: SolveContext, state: TrainState, theta: np.ndarray,
          table: list[list[float]]) -> None:
    run = ctx.run
    run.solution = {k: np.array(v, dtype=float) for k, v in ctx.problem.split(theta).items()}
    run.state = {"x": state.pack()}
    run.outputs["epochs"] = np.asarray(table, dtype=float).reshape(-1, len(EPOCH_COLUMNS))


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None

