"""Spline control parameterisation: a few knots over the horizon, interpolated per step.

Interpolation is linear in the knot values, so it is a matrix ``W`` (steps x knots)
and the controls of all samples are one ``einsum``: cheap beside the rollout.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np


class Interpolation(StrEnum):
    """MJPC's spline kinds: zero-order hold, linear, cubic (Hermite, finite-difference slopes)."""

    zero = "zero"
    linear = "linear"
    cubic = "cubic"


def _basis(kind: Interpolation, knot_times: np.ndarray, t: float) -> np.ndarray:
    """Weights over the knots that interpolate at time ``t`` (clamped to the knot range)."""
    n = len(knot_times)
    w = np.zeros(n)
    if n == 1 or t <= knot_times[0]:
        w[0] = 1.0
        return w
    if t >= knot_times[-1]:
        w[-1] = 1.0
        return w
    i = int(np.searchsorted(knot_times, t, side="right") - 1)
    t0, t1 = knot_times[i], knot_times[i + 1]
    h = t1 - t0
    s = (t - t0) / h
    if kind is Interpolation.zero:
        w[i] = 1.0
    elif kind is Interpolation.linear:
        w[i], w[i + 1] = 1.0 - s, s
    else:
        # Hermite basis; slopes are finite differences of neighbouring knots (one-sided at the ends).
        h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
        w[i] += h00
        w[i + 1] += h01
        for knot, coef in ((i, h10 * h), (i + 1, h11 * h)):
            w += coef * _slope_weights(knot_times, knot)
    return w


def _slope_weights(knot_times: np.ndarray, k: int) -> np.ndarray:
    n = len(knot_times)
    w = np.zeros(n)
    parts = []
    if k > 0:
        parts.append((k - 1, k))
    if k < n - 1:
        parts.append((k, k + 1))
    for a, b in parts:
        d = knot_times[b] - knot_times[a]
        w[b] += 1.0 / (d * len(parts))
        w[a] -= 1.0 / (d * len(parts))
    return w


def interpolation_matrix(kind: Interpolation | str, knot_times: np.ndarray, query_times: np.ndarray) -> np.ndarray:
    """``W`` with ``values_at(query_times) = W @ knot_values``; shape (len(query_times), len(knot_times))."""
    kind = Interpolation(kind)
    knot_times = np.asarray(knot_times, dtype=np.float64)
    if np.any(np.diff(knot_times) <= 0):
        raise ValueError(f"knot times must increase strictly, got {knot_times}")
    return np.stack([_basis(kind, knot_times, float(t)) for t in np.asarray(query_times, dtype=np.float64)])


def evaluate(kind: Interpolation | str, knot_times: np.ndarray, knots: np.ndarray, query_times: np.ndarray) -> np.ndarray:
    """Interpolate ``knots`` (..., n_knots, nu) at ``query_times`` -> (..., n_query, nu)."""
    w = interpolation_matrix(kind, knot_times, query_times)
    return np.einsum("qn,...nu->...qu", w, knots)
