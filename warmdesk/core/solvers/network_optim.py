"""Mini-batch optimizers (Adam, SGD with momentum) and the exact resume state.

The resume state is everything the next mini-batch depends on, packed into
one float64 vector (what a run stores as ``state/x``, and what durable progress
writes while it runs: run arrays are float64, never pickled). The weights come
first, so ``problem.split`` of the vector is the run's solution (what the
engine and durable progress do with a last iterate). Its layout::

    theta | slot1 | slot2 | best theta | header (HEADER values, below)

``slot1``/``slot2``: Adam's first and second moments, or SGD's velocity and
zeros. The header holds the counters and the shuffle generator's state at the
start of the current epoch: the epoch's permutation is drawn again from it on
resume, so it need not be stored. A 128-bit PCG64 word is stored as four
32-bit pieces (exact in a float64). Version 2 ends the header with the
regression target's standardisation the weights were trained for (mean,
scale); a version-1 state (stored before targets were standardised, header
of ``HEADER_V1`` values) was trained on the target as it is: 0 and 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

VERSION = 2
#: The warm-start payload of an exact resume: a packed :class:`TrainState`.
RESUME_PAYLOAD = "training_state"
METHOD_CODES = {"adam": 0.0, "sgd": 1.0}
#: version, method, n, epoch, batch, step, best_val, best_epoch, bad_epochs,
#: done, then the generator: state (4 pieces), inc (4 pieces), has_uint32, uinteger,
#: then the target's mean and scale
HEADER = 22
#: The header of a version-1 state (no target standardisation: 0 and 1).
HEADER_V1 = 20
NO_BEST = 1e308
_WORD = 1 << 32


@dataclass
class TrainState:
    """The whole state of a training run between two mini-batches."""

    method: str
    theta: np.ndarray
    slot1: np.ndarray
    slot2: np.ndarray
    best_theta: np.ndarray
    epoch: int = 0          #: the epoch under way (0-based)
    batch: int = 0          #: the next mini-batch of that epoch
    step: int = 0           #: optimizer steps taken (Adam's bias correction)
    best_val: float = NO_BEST
    best_epoch: int = -1
    bad_epochs: int = 0     #: epochs since the validation loss last improved
    done: bool = False
    rng_state: dict[str, Any] = field(default_factory=dict)  #: at the epoch's start
    #: The regression target's standardisation these weights are trained for.
    target_mean: float = 0.0
    target_scale: float = 1.0

    @classmethod
    def fresh(cls, method: str, theta: np.ndarray, rng: np.random.Generator,
              target: tuple[float, float] = (0.0, 1.0)) -> TrainState:
        z = np.zeros_like(theta)
        return cls(method, theta.copy(), z, z.copy(), theta.copy(),
                   rng_state=dict(rng.bit_generator.state), target_mean=float(target[0]),
                   target_scale=float(target[1]))

    @property
    def target(self) -> tuple[float, float]:
        return self.target_mean, self.target_scale

    def pack(self) -> np.ndarray:
        rng = self.rng_state["state"]
        header = [VERSION, METHOD_CODES[self.method], self.theta.size, self.epoch, self.batch,
                  self.step, self.best_val, self.best_epoch, self.bad_epochs, float(self.done),
                  *_pieces(int(rng["state"])), *_pieces(int(rng["inc"])),
                  int(self.rng_state["has_uint32"]), int(self.rng_state["uinteger"]),
                  self.target_mean, self.target_scale]
        return np.concatenate([self.theta, self.slot1, self.slot2, self.best_theta,
                               np.asarray(header, dtype=float)])

    @classmethod
    def unpack(cls, x: np.ndarray, n: int) -> TrainState:
        """Read a packed state of ``n`` parameters; ValueError if it is none."""
        x = np.asarray(x, dtype=float).ravel()
        h = x[4 * n:]
        expected = {1.0: HEADER_V1, float(VERSION): HEADER}.get(float(h[0]) if h.size else -1.0)
        if expected is None or h.size != expected or int(h[2]) != n:
            raise ValueError(f"not a training state of {n} parameters")
        method = {v: k for k, v in METHOD_CODES.items()}.get(float(h[1]))
        if method is None:
            raise ValueError("a training state of an unknown optimizer")
        body = x[:4 * n].reshape(4, n).copy()
        rng = {"bit_generator": "PCG64",
               "state": {"state": _join(h[10:14]), "inc": _join(h[14:18])},
               "has_uint32": int(h[18]), "uinteger": int(h[19])}
        return cls(method, body[0], body[1], body[2], body[3], epoch=int(h[3]),
                   batch=int(h[4]), step=int(h[5]), best_val=float(h[6]),
                   best_epoch=int(h[7]), bad_epochs=int(h[8]), done=bool(h[9]),
                   rng_state=rng, target_mean=float(h[20]) if h.size > HEADER_V1 else 0.0,
                   target_scale=float(h[21]) if h.size > HEADER_V1 else 1.0)


def _pieces(value: int) -> list[int]:
    return [(value >> (32 * i)) % _WORD for i in range(4)]


def _join(pieces: np.ndarray) -> int:
    return sum(int(p) << (32 * i) for i, p in enumerate(pieces))


def new_generator(state: dict[str, Any]) -> np.random.Generator:
    """A PCG64 generator in ``state`` (a ``bit_generator.state`` dict)."""
    bit = np.random.PCG64()
    bit.state = state  # type: ignore[assignment]  # numpy's stub wants its TypedDict
    return np.random.Generator(bit)


class Optimizer:
    """One update rule; updates ``state.theta`` in place. ``trainable``: 1 where
    a parameter may change (``freeze`` trains only the last layer)."""

    def __init__(self, method: str, options: dict[str, Any], trainable: np.ndarray) -> None:
        self.method = method
        self.o = options
        self.trainable = trainable

    def update(self, s: TrainState, g: np.ndarray, lr: float) -> None:
        g = g * self.trainable
        s.step += 1
        if self.method == "adam":
            b1, b2 = float(self.o["beta1"]), float(self.o["beta2"])
            s.slot1 *= b1
            s.slot1 += (1.0 - b1) * g
            s.slot2 *= b2
            s.slot2 += (1.0 - b2) * (g * g)
            m_hat = s.slot1 / (1.0 - b1 ** s.step)
            v_hat = s.slot2 / (1.0 - b2 ** s.step)
            s.theta -= lr * m_hat / (np.sqrt(v_hat) + float(self.o["epsilon"]))
            return
        mu = float(self.o["momentum"])
        s.slot1 *= mu
        s.slot1 += g
        s.theta -= lr * (g + mu * s.slot1 if self.o["nesterov"] else s.slot1)
