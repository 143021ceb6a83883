"""MJPC's norms and risk transform, vectorised over any leading batch dimensions.

Each norm maps a residual ``r`` of shape ``(..., dim)`` to a scalar per leading
index, exactly as ``mjpc/norm.cc`` defines it. Sampling planners need only the values;
iLQG's quadratic cost model also needs each norm's gradient and Hessian in ``r``
(:func:`norm_derivatives`).
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
    """``r'r`` over the last axis. For the few-dimensional residuals of the robots, column-wise adds on
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


def norm_derivatives(kind: NormType | str, r: np.ndarray, params: Sequence[float] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Gradient (..., dim) and Hessian (..., dim, dim) of :func:`norm` in the residual ``r``.

    Where a norm is not twice differentiable (``power`` with p < 2 at 0, ``l22`` / ``smooth_abs2``
    at 0 with p = 0, ``rectify`` with p = 0) the residual is kept 1e-9 away from the kink.
    """
    kind = NormType(kind)
    r = np.asarray(r, dtype=np.float64)
    p = float(params[0]) if len(params) > 0 else 0.0
    q = float(params[1]) if len(params) > 1 else 0.0
    dim = r.shape[-1]
    eye = np.eye(dim)
    if kind in (NormType.quadratic, NormType.l2, NormType.l22):  # functions of c = r'r: chain rule through c
        c = np.maximum(np.einsum("...i,...i->...", r, r), 1e-18)
        if kind is NormType.quadratic:
            d1, d2 = np.full_like(c, 0.5), np.zeros_like(c)
        elif kind is NormType.l2:
            s = np.sqrt(c + p * p)
            d1, d2 = 0.5 / s, -0.25 / s**3
        else:
            s = c ** (q / 2) + p**q
            d1 = 0.5 * s ** (1 / q - 1) * c ** (q / 2 - 1)
            d2 = 0.5 * ((1 / q - 1) * s ** (1 / q - 2) * (q / 2) * c ** (q - 2) + s ** (1 / q - 1) * (q / 2 - 1) * c ** (q / 2 - 2))
        grad = 2 * d1[..., None] * r
        hess = 2 * d1[..., None, None] * eye + 4 * d2[..., None, None] * r[..., :, None] * r[..., None, :]
        return grad, hess
    # Sums of per-element functions: diagonal Hessians.
    if kind is NormType.cosh:
        g, h = p * np.sinh(r / p), np.cosh(r / p)
    elif kind is NormType.power:
        a = np.maximum(np.abs(r), 1e-9)
        g, h = p * a ** (p - 1) * np.sign(r), p * (p - 1) * a ** (p - 2)
    elif kind is NormType.smooth_abs:
        s = np.sqrt(r * r + p * p)
        g, h = r / np.maximum(s, 1e-9), p * p / np.maximum(s, 1e-9) ** 3
    elif kind is NormType.smooth_abs2:
        a = np.maximum(np.abs(r), 1e-9)
        s = a**q + p**q
        g = s ** (1 / q - 1) * a ** (q - 1) * np.sign(r)
        h = (q - 1) * s ** (1 / q - 2) * a ** (q - 2) * p**q
    elif kind is NormType.rectify:
        if p > 0:
            sig = 0.5 * (1 + np.tanh(0.5 * r / p))  # the logistic function, overflow-free
            g, h = sig, sig * (1 - sig) / p
        else:
            g, h = (r > 0).astype(np.float64), np.zeros_like(r)
    else:  # pragma: no cover - Enum() already rejects
        raise ValueError(f"unknown norm {kind!r}")
    return g, h[..., :, None] * eye


def risk_transform(cost: np.ndarray, risk: float) -> np.ndarray:
    """MJPC's risk transform ``(exp(R l) - 1) / R``; the identity when ``R`` is ~0 (risk neutral)."""
    cost = np.asarray(cost, dtype=np.float64)
    if abs(risk) < RISK_NEUTRAL_TOLERANCE:
        return cost
    return np.expm1(risk * cost) / risk
