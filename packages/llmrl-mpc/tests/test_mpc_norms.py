"""MJPC's norms and risk transform against scalar re-derivations of mjpc/norm.cc."""

from __future__ import annotations

import math

import numpy as np
import pytest

from llmrl_mpc.norms import NORM_PARAMETERS, NormType, check_norm_params, norm, risk_transform


def scalar_norm(kind: str, x: list[float], p: float = 0.0, q: float = 0.0) -> float:
    """A literal, loop-by-loop transcription of the norm definitions, one residual vector at a time."""
    if kind == "quadratic":
        return 0.5 * sum(v * v for v in x)
    if kind == "l22":
        c = sum(v * v for v in x)
        return (c ** (q / 2) + p**q) ** (1 / q) - p
    if kind == "l2":
        return math.sqrt(sum(v * v for v in x) + p * p) - p
    if kind == "cosh":
        return sum(p * p * (math.cosh(v / p) - 1) for v in x)
    if kind == "power":
        return sum(abs(v) ** p for v in x)
    if kind == "smooth_abs":
        return sum(math.sqrt(v * v + p * p) - p for v in x)
    if kind == "smooth_abs2":
        return sum((abs(v) ** q + p**q) ** (1 / q) - p for v in x)
    if kind == "rectify":
        return sum(p * math.log(1 + math.exp(v / p)) if p > 0 else max(v, 0.0) for v in x)
    raise AssertionError(kind)


PARAMS = {"quadratic": (), "l22": (0.1, 2.0), "l2": (0.3,), "cosh": (0.5,), "power": (1.5,), "smooth_abs": (0.2,),
          "smooth_abs2": (0.2, 3.0), "rectify": (0.4,)}


@pytest.mark.parametrize("kind", [k.value for k in NormType])
def test_vectorised_norm_matches_scalar_definition(kind: str) -> None:
    rng = np.random.default_rng(0)
    r = rng.normal(size=(5, 7, 3))
    got = norm(kind, r, PARAMS[kind])
    assert got.shape == (5, 7)
    want = np.array([[scalar_norm(kind, list(r[i, j]), *PARAMS[kind]) for j in range(7)] for i in range(5)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_known_values() -> None:
    r = np.array([3.0, 4.0])
    assert norm("quadratic", r) == pytest.approx(12.5)
    assert norm("l2", r, (0.0,)) == pytest.approx(5.0)
    assert norm("l22", r, (0.0, 2.0)) == pytest.approx(5.0)  # q = 2 reduces L22 to the Euclidean norm
    assert norm("power", r, (2.0,)) == pytest.approx(25.0)
    assert norm("rectify", np.array([-2.0, 3.0]), (0.0,)) == pytest.approx(3.0)
    assert norm("smooth_abs", np.zeros(3), (0.1,)) == pytest.approx(0.0)


def test_smooth_norms_approach_abs_far_from_zero() -> None:
    x = np.array([50.0])
    assert norm("smooth_abs", x, (0.1,)) == pytest.approx(50.0 - 0.1, rel=1e-4)
    assert norm("l2", x, (0.1,)) == pytest.approx(50.0 - 0.1, rel=1e-4)


def test_risk_transform() -> None:
    costs = np.array([0.0, 0.5, 2.0])
    np.testing.assert_array_equal(risk_transform(costs, 0.0), costs)
    np.testing.assert_allclose(risk_transform(costs, 1.0), np.exp(costs) - 1.0)
    np.testing.assert_allclose(risk_transform(costs, -2.0), (np.exp(-2.0 * costs) - 1.0) / -2.0)
    # risk-seeking (<0) discounts high costs, risk-averse (>0) inflates them
    assert risk_transform(costs, -1.0)[-1] < 2.0 < risk_transform(costs, 1.0)[-1]


def test_parameter_validation_names_the_problem() -> None:
    assert set(NORM_PARAMETERS) == set(NormType)
    with pytest.raises(ValueError, match="takes 2 parameter"):
        check_norm_params("l22", (0.1,))
    with pytest.raises(ValueError, match="parameter p must be > 0"):
        check_norm_params("cosh", (0.0,))
    with pytest.raises(ValueError, match="finite number >= 0"):
        check_norm_params("l2", (-1.0,))
    with pytest.raises(ValueError):
        NormType("huber")


@pytest.mark.parametrize("dim", [1, 2, 4, 5, 9])
@pytest.mark.parametrize("kind", ["quadratic", "l22", "l2"])
def test_sum_of_squares_norms_on_strided_views_of_any_width(kind: str, dim: int) -> None:
    # Residuals are often strided views into rollout buffers; the column-wise path (dim <= 4) and the
    # einsum path must agree with the scalar definition on them.
    r = np.random.default_rng(dim).normal(size=(4, 6, 2 * dim))[..., ::2]
    got = norm(kind, r, PARAMS[kind])
    want = np.array([[scalar_norm(kind, list(r[i, j]), *PARAMS[kind]) for j in range(6)] for i in range(4)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
