"""A multi-layer perceptron in numpy with exact gradients (backpropagation).

The parameters are one flat float64 vector, laid out layer by layer as the
problem's variables ``W1, b1, W2, b2, ...`` (``Wl`` is fan-in x fan-out, row
by row; ``bl`` one value per unit). Outputs: ``regression`` (one value, mean
squared error), ``binary`` (one logit, sigmoid + binary cross-entropy),
``multiclass`` (one logit per class, softmax + cross-entropy). Weight decay is
``weight_decay / 2 * sum(W**2)`` over the weight matrices (not the biases);
the losses reported (history, validation) are the data losses without it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Shape = tuple[int, int]


@dataclass(frozen=True)
class Architecture:
    inputs: int
    hidden: tuple[int, ...]
    outputs: int
    activation: str = "relu"
    output: str = "regression"

    @property
    def shapes(self) -> list[Shape]:
        """(fan-in, fan-out) of each layer."""
        sizes = [self.inputs, *self.hidden, self.outputs]
        return list(zip(sizes[:-1], sizes[1:]))

    def layout(self) -> list[tuple[str, int]]:
        """The variables, in the flat order: ``W1, b1, W2, b2, ...``."""
        out: list[tuple[str, int]] = []
        for i, (a, b) in enumerate(self.shapes, start=1):
            out += [(f"W{i}", a * b), (f"b{i}", b)]
        return out

    @property
    def size(self) -> int:
        return sum(n for _, n in self.layout())

    def unpack(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``(W, b)`` per layer into ``theta`` (writes go through)."""
        out, o = [], 0
        for a, b in self.shapes:
            w = theta[o:o + a * b].reshape(a, b)
            o += a * b
            out.append((w, theta[o:o + b]))
            o += b
        return out

    def weight_mask(self) -> np.ndarray:
        """1 on weight-matrix entries, 0 on biases (what weight decay touches)."""
        mask = np.zeros(self.size)
        o = 0
        for a, b in self.shapes:
            mask[o:o + a * b] = 1.0
            o += a * b + b
        return mask

    def last_layer_mask(self) -> np.ndarray:
        """1 on the last layer's weights and biases (what ``freeze`` trains)."""
        a, b = self.shapes[-1]
        mask = np.zeros(self.size)
        mask[self.size - a * b - b:] = 1.0
        return mask

    def initial(self, rng: np.random.Generator) -> np.ndarray:
        """A fresh initialisation: He-normal weights for relu, Glorot-normal for
        tanh (the output layer Glorot), zero biases."""
        parts = []
        for i, (a, b) in enumerate(self.shapes):
            last = i == len(self.shapes) - 1
            scale = (np.sqrt(2.0 / a) if self.activation == "relu" and not last
                     else np.sqrt(2.0 / (a + b)))
            parts += [rng.standard_normal(a * b) * scale, np.zeros(b)]
        return np.concatenate(parts)


def _act(z: np.ndarray, kind: str) -> np.ndarray:
    return np.maximum(z, 0.0) if kind == "relu" else np.tanh(z)


def _act_grad(a: np.ndarray, kind: str) -> np.ndarray:
    """The activation's derivative from its output ``a``."""
    return (a > 0.0).astype(float) if kind == "relu" else 1.0 - a * a


def forward(arch: Architecture, theta: np.ndarray, x: np.ndarray) -> list[np.ndarray]:
    """Every layer's output; the last one is the logits (or the prediction)."""
    outs = [x]
    layers = arch.unpack(theta)
    for i, (w, b) in enumerate(layers):
        z = outs[-1] @ w + b
        outs.append(z if i == len(layers) - 1 else _act(z, arch.activation))
    return outs


def data_loss(arch: Architecture, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean loss of logits ``z`` against targets ``y`` and its gradient in ``z``.

    ``y``: the value (regression), 0/1 (binary) or the class index (multiclass)."""
    n = z.shape[0]
    if arch.output == "regression":
        r = z[:, 0] - y
        return float(np.mean(r * r)), (2.0 * r / n)[:, None]
    if arch.output == "binary":
        zz = z[:, 0]
        loss = float(np.mean(np.logaddexp(0.0, zz) - y * zz))
        p = 0.5 * (1.0 + np.tanh(0.5 * zz))   # the sigmoid, without overflow
        return loss, ((p - y) / n)[:, None]
    idx = y.astype(np.intp)
    zmax = z.max(axis=1, keepdims=True)
    e = np.exp(z - zmax)
    s = e.sum(axis=1, keepdims=True)
    lse = np.log(s)[:, 0] + zmax[:, 0]
    loss = float(np.mean(lse - z[np.arange(n), idx]))
    g = e / s
    g[np.arange(n), idx] -= 1.0
    return loss, g / n


def loss_and_grad(arch: Architecture, theta: np.ndarray, x: np.ndarray, y: np.ndarray,
                  weight_decay: float, mask: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(data loss, objective with weight decay, gradient of the objective)."""
    outs = forward(arch, theta, x)
    loss, dz = data_loss(arch, outs[-1], y)
    layers = arch.unpack(theta)
    grads: list[np.ndarray] = []
    for i in range(len(layers) - 1, -1, -1):
        w, _ = layers[i]
        grads.append(dz.sum(axis=0))
        grads.append((outs[i].T @ dz).ravel())
        if i:
            dz = (dz @ w.T) * _act_grad(outs[i], arch.activation)
    g = np.concatenate(grads[::-1])
    penalty = 0.0
    if weight_decay:
        wm = theta * mask
        penalty = 0.5 * weight_decay * float(wm @ wm)
        g += weight_decay * wm
    return loss, loss + penalty, g


def evaluate(arch: Architecture, theta: np.ndarray, x: np.ndarray,
             y: np.ndarray) -> tuple[float, float]:
    """(mean data loss, accuracy; NaN accuracy for regression)."""
    if x.shape[0] == 0:
        return float("nan"), float("nan")
    z = forward(arch, theta, x)[-1]
    loss = data_loss(arch, z, y)[0]
    if arch.output == "regression":
        return loss, float("nan")
    pred = (z[:, 0] > 0).astype(float) if arch.output == "binary" else z.argmax(axis=1)
    return loss, float(np.mean(pred == y))


def standardisation(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and scale of the training split (a constant column: 1)."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    return mean, np.where(std > 0, std, 1.0)


def target_standardisation(y: np.ndarray) -> tuple[float, float]:
    """A regression target's mean and scale on the training split (constant: 1).

    The network predicts ``(y - mean) / scale``: a target like 25..346 would
    otherwise leave a linear output that starts near 0 climbing to the mean,
    epoch after epoch, at a learning rate suited to standardised inputs."""
    mean, scale = standardisation(np.asarray(y, dtype=float)[:, None])
    return float(mean[0]), float(scale[0])
