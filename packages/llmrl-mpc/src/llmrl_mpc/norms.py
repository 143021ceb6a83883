"""MJPC's norms and risk transform, vectorised over any leading batch dimensions.

Each norm maps a residual ``r`` of shape ``(..., dim)`` to a scalar per leading
index, exactly as ``mjpc/norm.cc`` defines it (values only: sampling planners
need no derivatives).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

import numpy as np


class NormType(StrEnum):
    """MJPC's norm names (``mjpc::NormType``), lower-case."""

    quadratic = "quadratic"  # 0.5 * r'r
    l22 = "l22"  # ((r'r)^(q/2) + p^q)^(1/q) - p
    l2 = "l2"  # sqrt(r'r + p^2) - p
    cosh = "cosh"  # sum p^2 (cosh(r/p) - 1)
    power = "power"  # sum |r|^p
    smooth_abs = "smooth_abs"  # sum sqrt(r^2 + p^2) - p
    smooth_abs2 = "smooth_abs2"  # sum (|r|^q + p^q)^(1/q) - p
    rectify = "rectify"  # sum p log(1 + exp(r/p)); max(r, 0) when p = 0


NORM_PARAMETERS: dict[NormType, tuple[str, ...]] = {
    NormType.quadratic: (),
    NormType.l22: ("p", "q"),
    NormType.l2: ("p",),
    NormType.cosh: ("p",),
    NormType.power: ("p",),
    NormType.smooth_abs: ("p",),
    NormType.smooth_abs2: ("p", "q"),
    NormType.rectify: ("p",),
}

RISK_NEUTRAL_TOLERANCE = 1e-6


def check_norm_params(kind: NormType | str, params: Sequence[float]) -> tuple[float, ...]:
    """Validate ``params`` for ``kind``; raises ValueError saying which parameter is wrong."""
    kind = NormType(kind)
    names = NORM_PARAMETERS[kind]
    if len(params) != len(names):
        raise ValueError(f"norm {kind.value!r} takes {len(names)} parameter(s) {names}, got {len(params)}: {tuple(params)}")
    values = tuple(float(v) for v in params)
    strictly_positive = {NormType.cosh: "p", NormType.power: "p", NormType.l22: "q", NormType.smooth_abs2: "q"}
    for name, value in zip(names, values, strict=True):
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"norm {kind.value!r} parameter {name} must be a finite number >= 0, got {value}")
        if strictly_positive.get(kind) == name and value == 0:
            raise ValueError(f"norm {kind.value!r} parameter {name} must be > 0 (it divides), got 0")
    return values


def _sumsq(r: np.ndarray) -> np.ndarray:
    """``r'r`` over the last axis. For the few-dimensional residuals of robot tasks, column-wise adds on
    (K, T) views beat ``einsum``, whose inner loop would run over only ``dim`` elements per row."""
    dim = r.shape[-1]
    if not 0 < dim <= 4:
        return np.einsum("...i,...i->...", r, r)
    out = np.square(r[..., 0])
    for i in range(1, dim):
        out += np.square(r[..., i])
    return out


def norm(kind: NormType | str, r: np.ndarray, params: Sequence[float] = ()) -> np.ndarray:
    """The norm of residuals ``r`` (``(..., dim)``), one value per leading index."""
    kind = NormType(kind)
    r = np.asarray(r, dtype=np.float64)
    p = float(params[0]) if len(params) > 0 else 0.0
    q = float(params[1]) if len(params) > 1 else 0.0
    if kind is NormType.quadratic:
        out = _sumsq(r)
        out *= 0.5
        return out
    if kind is NormType.l22:
        c = _sumsq(r)
        return (c ** (q / 2) + p**q) ** (1 / q) - p
    if kind is NormType.l2:
        return np.sqrt(_sumsq(r) + p * p) - p
    if kind is NormType.cosh:
        return np.sum(p * p * (np.cosh(r / p) - 1.0), axis=-1)
    if kind is NormType.power:
        return np.sum(np.abs(r) ** p, axis=-1)
    if kind is NormType.smooth_abs:
        return np.sum(np.sqrt(r * r + p * p) - p, axis=-1)
    if kind is NormType.smooth_abs2:
        return np.sum((np.abs(r) ** q + p**q) ** (1 / q) - p, axis=-1)
    if kind is NormType.rectify:
        if p > 0:
            return np.sum(p * np.logaddexp(0.0, r / p), axis=-1)
        return np.sum(np.maximum(r, 0.0), axis=-1)
    raise ValueError(f"unknown norm {kind!r}")  # pragma: no cover - Enum() already rejects


def risk_transform(cost: np.ndarray, risk: float) -> np.ndarray:
    """MJPC's risk transform ``(exp(R l) - 1) / R``; the identity when ``R`` is ~0 (risk neutral)."""
    cost = np.asarray(cost, dtype=np.float64)
    if abs(risk) < RISK_NEUTRAL_TOLERANCE:
        return cost
    return np.expm1(risk * cost) / risk
