"""Runs and warm starts as plain data for the trip between a sweep's workers
and its client: dicts, lists, numbers, text and the raw bytes of float64
arrays. Nothing is pickled; the client checks every array it decodes."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import WarmDeskError
from ..runs import Run
from ..warm_start_type import WarmStart


class CodecError(WarmDeskError):
    """A worker's message is not a run or a warm start this WarmDesk can read."""


def encode_array(value: np.ndarray) -> dict[str, Any]:
    arr = np.asarray(value, dtype="<f8", order="C")   # a 0-d array stays 0-d
    return {"shape": list(arr.shape), "data": arr.tobytes()}


def decode_array(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, dict) or not isinstance(value.get("data"), bytes):
        raise CodecError(f"{where}: not an encoded array")
    shape = value.get("shape")
    if not isinstance(shape, (list, tuple)) or not all(
            isinstance(s, int) and s >= 0 for s in shape):
        raise CodecError(f"{where}: bad shape {shape!r}")
    if int(np.prod(shape, dtype=np.int64)) * 8 != len(value["data"]):
        raise CodecError(f"{where}: {len(value['data'])} bytes for shape {shape}")
    return np.frombuffer(value["data"], dtype="<f8").reshape(tuple(shape)).astype(float)


def encode_run(run: Run) -> dict[str, Any]:
    return {"meta": run.to_dict(),
            "arrays": {k: encode_array(v) for k, v in run.arrays().items()}}


def decode_run(value: Any) -> Run:
    if not isinstance(value, dict) or not isinstance(value.get("meta"), dict):
        raise CodecError("not an encoded run")
    arrays = value.get("arrays", {})
    if not isinstance(arrays, dict):
        raise CodecError("an encoded run's arrays must be an object")
    try:
        return Run.from_parts(plain(value["meta"]), {k: decode_array(v, f"array {k}")
                                              for k, v in arrays.items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise CodecError(f"not a run: {exc}") from exc


def encode_warm(warm: WarmStart) -> dict[str, Any]:
    out = warm.to_dict()
    out["x0"] = None if warm.x0 is None else encode_array(warm.x0)
    out["state"] = {k: encode_array(v) for k, v in warm.state.items()}
    return out


def decode_warm(value: dict[str, Any]) -> WarmStart:
    warm = WarmStart.from_dict({k: v for k, v in value.items() if k not in ("x0", "state")})
    if value.get("x0") is not None:
        warm.x0 = decode_array(value["x0"], "warm start x0")
    warm.state = {k: decode_array(v, f"warm start state {k}")
                  for k, v in (value.get("state") or {}).items()}
    return warm


def plain(value: Any) -> Any:
    """Tuples back to lists (Dask's msgpack turns lists into tuples on the way)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
