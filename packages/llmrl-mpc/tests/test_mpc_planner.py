"""Real planning runs on a small MuJoCo model: every planner beats random controls and reaches a target;
diverging rollouts are detected and never chosen; the controller replans and warm-starts."""

from __future__ import annotations

import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from llmrl_mpc import Controller, Cost, CostTerm, PlannerConfig, SamplingPlanner  # noqa: E402

POINT = """<mujoco><option timestep="0.01"/><worldbody><body name="m">
<joint name="x" type="slide" axis="1 0 0" damping="0.5"/><joint name="y" type="slide" axis="0 1 0" damping="0.5"/>
<geom type="sphere" size="0.05" mass="1"/></body></worldbody>
<actuator><motor joint="x" ctrlrange="-1 1"/><motor joint="y" ctrlrange="-1 1"/></actuator>
<sensor><framepos name="pos" objtype="body" objname="m"/></sensor></mujoco>"""
TARGET = np.array([0.4, -0.3, 0.0])


def point_cost() -> Cost:
    return Cost([CostTerm("goal", lambda tr: tr.sensor("pos") - TARGET, 1.0, "smooth_abs", (0.05,)),
                 CostTerm("vel", lambda tr: tr.qvel, 0.02)])


@pytest.fixture(scope="module")
def model():
    return mujoco.MjModel.from_xml_string(POINT)


def start_state(model) -> np.ndarray:
    data = mujoco.MjData(model)
    state = np.empty(mujoco.mj_stateSize(model, mujoco.mjtState.mjSTATE_FULLPHYSICS))
    mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    return state


@pytest.mark.parametrize("method", ["predictive_sampling", "cem", "mppi"])
def test_planner_beats_random_controls(model, method: str) -> None:
    cost = point_cost()
    cfg = PlannerConfig(method=method, samples=64, horizon=0.6, noise=0.5, iterations=8, nthread=2, seed=3)
    state = start_state(model)
    with SamplingPlanner(model, cost, cfg) as planner:
        for _ in range(2):
            planner.optimize(state)
        planned = cost.total(planner.rollout(state, planner.controls(planner.nominal[None])))[0]
        rng = np.random.default_rng(0)
        random_knots = rng.uniform(-1, 1, (64, *planner.nominal.shape))
        random_costs = cost.total(planner.rollout(state, planner.controls(random_knots)))
        zero_cost = cost.total(planner.rollout(state, np.zeros((1, planner.steps, model.nu))))[0]
    # Within 0.6 s the mass cannot reach the goal, so every cost is dominated by the distance still to go;
    # the planner must beat the best of 64 uniform random plans and the do-nothing plan clearly.
    assert planned < random_costs.min()
    assert planned < 0.9 * zero_cost  # measured: ~30 vs 36.4 for doing nothing


@pytest.mark.parametrize("method", ["predictive_sampling", "cem", "mppi", "ilqg"])
def test_controller_reaches_target(model, method: str) -> None:
    data = mujoco.MjData(model)
    cfg = PlannerConfig(method=method, samples=48, horizon=0.5, noise=0.3, nthread=2, seed=1)
    with Controller(model, point_cost(), cfg, replan_every=2) as ctrl:
        for _ in range(250):
            data.ctrl[:] = ctrl.step(data)
            mujoco.mj_step(model, data)
        assert ctrl.plans == 125
    assert np.linalg.norm(data.qpos - TARGET[:2]) < 0.05, data.qpos


def test_diverging_rollouts_are_rejected(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT into the working directory when it warns
    # An unlimited motor with an absurd gear: large sampled controls blow the simulation up.
    xml = POINT.replace('<motor joint="x" ctrlrange="-1 1"/>', '<motor joint="x" gear="1e12"/>')
    m = mujoco.MjModel.from_xml_string(xml)
    cfg = PlannerConfig(method="predictive_sampling", samples=32, horizon=0.3, noise=10, nthread=2, seed=0)
    with SamplingPlanner(m, point_cost(), cfg) as planner:
        info = planner.optimize(start_state(m))
        assert info.diverged > 0
        assert np.isfinite(info.best_cost)
        chosen = planner.rollout(start_state(m), planner.controls(planner.nominal[None]))
        assert np.all(np.diff(chosen.time[0]) > 0)  # the kept plan's time advances: it did not diverge


def test_warm_start_shifts_the_plan(model) -> None:
    cfg = PlannerConfig(samples=16, horizon=0.4, knots=5, interpolation="linear", nthread=1)
    with SamplingPlanner(model, point_cost(), cfg) as planner:
        state = start_state(model)
        planner.optimize(state)
        before = [planner.action(t) for t in (0.1, 0.2, 0.3)]
        planner._warm_start(0.1)  # knots move to 0.1 + offsets; the control signal itself must not change
        assert planner.nominal_time == pytest.approx(0.1)
        np.testing.assert_allclose([planner.action(t) for t in (0.1, 0.2, 0.3)], before, atol=1e-12)


@pytest.mark.parametrize("kind", ["zero", "linear", "cubic"])
def test_controls_are_the_clipped_spline_at_each_step(model, kind: str) -> None:
    from llmrl_mpc.splines import evaluate

    cfg = PlannerConfig(samples=8, horizon=0.3, knots=4, interpolation=kind, nthread=1)
    with SamplingPlanner(model, point_cost(), cfg) as planner:
        knots = np.random.default_rng(3).normal(scale=1.5, size=(8, 4, model.nu))  # beyond [-1, 1]: clipping matters
        want = np.clip(evaluate(kind, planner.knot_offsets, knots, np.arange(planner.steps) * planner.dt), -1, 1)
        np.testing.assert_allclose(planner.controls(knots), want, atol=1e-12)
        out = np.full((8, planner.steps, model.nu), np.nan)
        assert planner.controls(knots, out=out) is out
        np.testing.assert_allclose(out, want, atol=1e-12)


def test_optimize_reuses_its_buffers_without_aliasing_the_plan(model) -> None:
    cfg = PlannerConfig(method="predictive_sampling", samples=16, horizon=0.3, iterations=3, nthread=1)
    with SamplingPlanner(model, point_cost(), cfg) as planner:
        state = start_state(model)
        planner.optimize(state)
        kept = planner.nominal.copy()
        ctrl_buffer = planner.last_ctrl
        planner.optimize(state)
        assert planner.last_ctrl is ctrl_buffer  # the control buffer is preallocated and reused
        # The plan is its own array: the next iteration's samples cannot overwrite it.
        assert not np.shares_memory(planner.nominal, ctrl_buffer) and planner.nominal.base is None
        assert np.isfinite(planner.nominal).all() and planner.nominal.shape == kept.shape
