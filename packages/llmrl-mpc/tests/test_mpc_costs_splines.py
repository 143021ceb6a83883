"""Cost assembly (weights, switched-off terms, breakdown) and spline interpolation."""

from __future__ import annotations

import numpy as np
import pytest

from llmrl_mpc import Cost, CostTerm
from llmrl_mpc.splines import evaluate, interpolation_matrix
from llmrl_mpc.trajectory import StateLayout, Trajectory


def fake_traj(k: int = 2, t: int = 3) -> Trajectory:
    layout = StateLayout(nstate=4, time=0, qpos=slice(1, 3), qvel=slice(3, 4), act=slice(4, 4), sensors={"s": slice(0, 2)})
    state = np.arange(k * t * 4, dtype=float).reshape(k, t, 4)
    return Trajectory(layout, state, np.ones((k, t, 2)), np.zeros((k, t, 1)))


def test_cost_is_weighted_sum_of_norms_over_time() -> None:
    tr = fake_traj()
    cost = Cost([CostTerm("a", lambda tr: tr.qpos, 2.0), CostTerm("b", lambda tr: tr.sensor("s"), 3.0, "l2", (0.0,)),
                 CostTerm("off", lambda tr: tr.qpos * 1e9, 0.0)])
    qpos = tr.state[..., 1:3]
    want_stage = 2.0 * 0.5 * (qpos**2).sum(-1) + 3.0 * np.sqrt(2.0)
    np.testing.assert_allclose(cost.stage(tr), want_stage)
    np.testing.assert_allclose(cost.total(tr), want_stage.sum(-1))
    assert set(cost.breakdown(tr)) == {"a", "b"}
    cost.risk = 0.01
    np.testing.assert_allclose(cost.stage(tr), np.expm1(0.01 * want_stage) / 0.01)


def test_scalar_residuals_and_bad_terms() -> None:
    tr = fake_traj()
    term = CostTerm("t", lambda tr: tr.time, 1.0)
    np.testing.assert_allclose(term.evaluate(tr), 0.5 * tr.time**2)
    with pytest.raises(ValueError, match="weight"):
        CostTerm("neg", lambda tr: tr.time, -1.0)
    with pytest.raises(KeyError, match="no sensor named 'nope'"):
        tr.sensor("nope")


def test_trajectory_memo_computes_once_per_batch() -> None:
    tr = fake_traj()
    calls = []

    def angle(t: Trajectory) -> np.ndarray:
        calls.append(1)
        return t.qpos.sum(-1)

    first = tr.memo("angle", angle)
    assert tr.memo("angle", angle) is first and len(calls) == 1
    other = fake_traj()  # a new rollout batch starts with an empty memo
    other.memo("angle", angle)
    assert len(calls) == 2


@pytest.mark.parametrize("kind", ["zero", "linear", "cubic"])
def test_splines_pass_through_knots(kind: str) -> None:
    times = np.array([0.0, 0.2, 0.5])
    knots = np.array([[1.0, -1.0], [3.0, 0.0], [2.0, 5.0]])
    np.testing.assert_allclose(evaluate(kind, times, knots, times), knots, atol=1e-12)
    # clamped beyond the last knot
    np.testing.assert_allclose(evaluate(kind, times, knots, np.array([0.9])), knots[-1:], atol=1e-12)


def test_spline_kinds_between_knots() -> None:
    times = np.array([0.0, 1.0, 2.0, 3.0])
    lin = np.array([[0.0], [1.0], [2.0], [3.0]])
    q = np.array([[0.25], [1.5]])
    np.testing.assert_allclose(evaluate("zero", times, lin, q[:, 0]), [[0.0], [1.0]])
    np.testing.assert_allclose(evaluate("linear", times, lin, q[:, 0]), q)
    np.testing.assert_allclose(evaluate("cubic", times, lin, q[:, 0]), q, atol=1e-12)  # exact on linear data
    bumpy = np.array([[0.0], [1.0], [0.0], [1.0]])
    mid = evaluate("cubic", times, bumpy, np.array([0.5, 1.5]))
    assert 0.0 < mid[0, 0] < 1.0 and 0.0 < mid[1, 0] < 1.0
    w = interpolation_matrix("cubic", times, np.linspace(0, 3, 13))
    np.testing.assert_allclose(w.sum(1), 1.0)  # partition of unity: constants are kept
    with pytest.raises(ValueError, match="increase strictly"):
        interpolation_matrix("linear", np.array([0.0, 0.0]), np.array([0.0]))
