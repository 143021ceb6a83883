"""iLQG on real MuJoCo models: its tangent maps match MuJoCo's, its norm and trajectory derivatives match finite
differences of the norms and of real rollouts, and its iterations reduce the cost of a nominal plan."""

from __future__ import annotations

import numpy as np
import pytest

mujoco = pytest.importorskip("mujoco")

from llmrl_mpc import Cost, CostTerm, ILQGPlanner, PlannerConfig, SamplingPlanner, make_planner  # noqa: E402
from llmrl_mpc.derivatives import cost_model, linearize_dynamics  # noqa: E402
from llmrl_mpc.norms import NORM_PARAMETERS, NormType, norm, norm_derivatives  # noqa: E402
from llmrl_mpc.tangent import StateTangent  # noqa: E402
from llmrl_mpc.trajectory import StateLayout  # noqa: E402

FULL = mujoco.mjtState.mjSTATE_FULLPHYSICS
JOINTS = """<mujoco><worldbody><body><freejoint/><geom size=".1"/>
<body pos=".2 0 0"><joint type="ball"/><geom size=".05"/>
<body pos=".1 0 0"><joint name="h" type="hinge" axis="0 1 0"/><geom size=".03"/></body></body></body>
<body pos="1 0 0"><joint type="slide" axis="1 0 0"/><geom size=".1"/></body></worldbody>
<actuator><general joint="h" dyntype="integrator" gainprm="1"/></actuator></mujoco>"""
# A free box in zero gravity pushed and turned by four motors: quaternion states, no contacts (smooth dynamics).
BOX = """<mujoco><option timestep="0.01" gravity="0 0 0"/><worldbody><body name="b" pos="0 0 0.5">
<freejoint name="f"/><geom type="box" size=".1 .06 .03" mass="1"/><site name="tip" pos=".1 0 0"/></body></worldbody>
<actuator><motor joint="f" gear="1 0 0 0 0 0" ctrlrange="-1 1"/><motor joint="f" gear="0 1 0 0 0 0" ctrlrange="-1 1"/>
<motor joint="f" gear="0 0 0 0.1 0 0" ctrlrange="-1 1"/><motor joint="f" gear="0 0 0 0 0 0.1" ctrlrange="-1 1"/></actuator>
<sensor><framepos name="tip" objtype="site" objname="tip"/><framequat name="quat" objtype="body" objname="b"/></sensor></mujoco>"""
PARAMS = {NormType.l22: (0.3, 3.0), NormType.l2: (0.1,), NormType.cosh: (0.5,), NormType.power: (2.5,),
          NormType.smooth_abs: (0.2,), NormType.smooth_abs2: (0.2, 1.5), NormType.rectify: (0.3,)}


def _state(model, data) -> np.ndarray:
    out = np.empty(mujoco.mj_stateSize(model, FULL))
    mujoco.mj_getState(model, data, out, FULL)
    return out


def box_cost() -> Cost:
    return Cost([CostTerm("tip", lambda tr: tr.sensor("tip") - [0.3, 0.2, 0.5], 1.0, "smooth_abs", (0.05,)),
                 CostTerm("upright", lambda tr: tr.sensor("quat")[..., 1:3], 0.5),
                 CostTerm("vel", lambda tr: tr.qvel, 0.01), CostTerm("effort", lambda tr: tr.ctrl, 0.01, "l2", (0.1,))],
                risk=0.3)


def box_start(model) -> np.ndarray:
    data = mujoco.MjData(model)
    data.qpos[3:7] = [0.9, 0.1, 0.2, 0.3]
    mujoco.mj_normalizeQuat(model, data.qpos)
    data.qvel[3:6] = [0.5, -0.3, 0.8]
    return _state(model, data)


def test_state_tangent_matches_mujoco() -> None:
    model = mujoco.MjModel.from_xml_string(JOINTS)
    data, tangent, layout = mujoco.MjData(model), StateTangent(model, StateLayout.from_model(model)), StateLayout.from_model(model)
    rng = np.random.default_rng(0)
    states = []
    for _ in range(2):
        data.qpos[:] = rng.normal(size=model.nq)
        mujoco.mj_normalizeQuat(model, data.qpos)
        data.qvel[:], data.act[:] = rng.normal(size=model.nv), rng.normal(size=model.na)
        states.append(_state(model, data))
    a, b = states
    dq = np.empty(model.nv)
    mujoco.mj_differentiatePos(model, dq, 1.0, a[layout.qpos], b[layout.qpos])
    dx = tangent.difference(a, b)
    assert tangent.ndx == 2 * model.nv + model.na
    np.testing.assert_allclose(dx[:model.nv], dq, atol=1e-12)
    np.testing.assert_allclose(dx[model.nv:], np.concatenate([b[layout.qvel] - a[layout.qvel], b[layout.act] - a[layout.act]]))
    step = 0.3 * rng.normal(size=tangent.ndx)
    q = a[layout.qpos].copy()
    mujoco.mj_integratePos(model, q, step[:model.nv], 1.0)
    moved = tangent.integrate(a, step)
    np.testing.assert_allclose(moved[layout.qpos], q, atol=1e-12)
    np.testing.assert_allclose(tangent.difference(a, moved), step, atol=1e-12)
    np.testing.assert_allclose(tangent.difference(np.stack([a, b]), np.stack([b, a]))[0], dx)  # batched rows


@pytest.mark.parametrize("kind", list(NormType))
def test_norm_derivatives_match_finite_differences(kind: NormType) -> None:
    params = PARAMS.get(kind, ())
    assert len(params) == len(NORM_PARAMETERS[kind])
    r = np.random.default_rng(1).normal(size=(6, 3))
    grad, hess = norm_derivatives(kind, r, params)
    eps, eye = 1e-5, np.eye(3)
    fd_grad = np.stack([(norm(kind, r + eps * eye[i], params) - norm(kind, r - eps * eye[i], params)) / (2 * eps)
                        for i in range(3)], -1)
    fd_hess = np.stack([(norm_derivatives(kind, r + eps * eye[i], params)[0] - norm_derivatives(kind, r - eps * eye[i], params)[0])
                        / (2 * eps) for i in range(3)], -1)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-7)
    np.testing.assert_allclose(hess, fd_hess, atol=1e-6)


def test_ilqg_derivatives_agree_with_finite_differences_of_the_rollout() -> None:
    model = mujoco.MjModel.from_xml_string(BOX)
    cost, state = box_cost(), box_start(model)
    with ILQGPlanner(model, cost, PlannerConfig(method="ilqg", horizon=0.2, timestep=0.01, nthread=2)) as planner:
        ctrl = np.random.default_rng(0).uniform(-0.5, 0.5, (planner.steps, model.nu))
        nominal = planner.rollout(state, ctrl[None])
        nominal = type(nominal)(nominal.layout, nominal.state.copy(), nominal.sensordata.copy(), nominal.ctrl.copy())
        xs = np.concatenate([state[None], nominal.state[0]])
        dyn = linearize_dynamics(planner.model, mujoco.MjData(planner.model), xs[:-1], ctrl, 1e-6, centered=True)
        quad = cost_model(cost, planner.tangent, nominal, dyn, 1e-6)
        np.testing.assert_allclose(quad.l, cost.stage(nominal)[0], rtol=1e-12)
        # The gradient of the trajectory cost in every control, by the adjoint of the linearisation ...
        lam, grad = np.zeros(planner.tangent.ndx), np.zeros_like(ctrl)
        for t in reversed(range(planner.steps)):
            grad[t] = quad.lu[t] + dyn.B[t].T @ lam
            lam = quad.lx[t] + dyn.A[t].T @ lam
        # ... equals central differences of real rollouts' costs.
        eps, fd = 1e-5, np.zeros_like(ctrl)
        for t in range(planner.steps):
            for j in range(model.nu):
                up, down = ctrl.copy(), ctrl.copy()
                up[t, j] += eps
                down[t, j] -= eps
                fd[t, j] = (cost.total(planner.rollout(state, up[None]))[0] - cost.total(planner.rollout(state, down[None]))[0]) / (2 * eps)
        assert np.abs(fd).max() > 0.05
        np.testing.assert_allclose(grad, fd, atol=1e-6 * np.abs(fd).max())
        # The linearised dynamics predict where a small control change takes the final state.
        du = 1e-5 * np.random.default_rng(1).normal(size=ctrl.shape)
        dx = np.zeros(planner.tangent.ndx)
        for t in range(planner.steps):
            dx = dyn.A[t] @ dx + dyn.B[t] @ du[t]
        moved = planner.rollout(state, (ctrl + du)[None]).state[0, -1]
        real = planner.tangent.difference(nominal.state[0, -1], moved)
        np.testing.assert_allclose(dx, real, atol=1e-4 * np.abs(real).max())


@pytest.mark.parametrize("feedback", [False, True])
def test_ilqg_reduces_the_cost_of_a_nominal_trajectory(feedback: bool) -> None:
    model = mujoco.MjModel.from_xml_string(BOX)
    cost, state = box_cost(), box_start(model)
    cfg = PlannerConfig(method="ilqg", horizon=0.3, timestep=0.01, nthread=2, ilqg_feedback=feedback)
    with ILQGPlanner(model, cost, cfg) as planner:
        planner.reset(np.zeros(model.nu))
        zero_cost = cost.total(planner.rollout(state, np.zeros((1, planner.steps, model.nu))))[0]
        costs = [planner.optimize(state).best_cost for _ in range(6)]
        random = cost.total(planner.rollout(state, np.random.default_rng(0).uniform(-1, 1, (8, planner.steps, model.nu))))
        # Between replans: the plan's control on the plan's state; with feedback, the gains act on a deviation.
        t0 = float(state[planner.layout.time])
        np.testing.assert_allclose(planner.action(t0, state), planner.actions[0])
        off = planner.tangent.integrate(state, np.full(planner.tangent.ndx, 0.01))
        expected = planner.actions[0] + (planner.gains[0] @ np.full(planner.tangent.ndx, 0.01) if feedback else 0.0)
        np.testing.assert_allclose(planner.action(t0, off), np.clip(expected, -1, 1), atol=1e-9)
        assert (np.abs(planner.action(t0, off) - planner.actions[0]).max() > 1e-4) == feedback
    assert all(b <= a for a, b in zip(costs, costs[1:], strict=False))  # only improvements are accepted
    assert costs[-1] < 0.95 * zero_cost  # measured: 8.71 open loop, 8.68 closed loop; 9.53 doing nothing, 9.62 the best of 8 random plans
    assert costs[-1] < random.min()


def test_planners_share_one_config() -> None:
    fields = PlannerConfig.model_fields
    assert "ilqg" in PlannerConfig.model_fields["method"].annotation.__args__
    assert all(f.description for f in fields.values()), [n for n, f in fields.items() if not f.description]
    assert {n for n in fields if n.startswith("ilqg_")} >= {"ilqg_line_search", "ilqg_regularization", "ilqg_fd_eps"}
    model = mujoco.MjModel.from_xml_string(BOX)
    with make_planner(model, box_cost(), PlannerConfig(method="ilqg", nthread=1)) as planner:
        assert isinstance(planner, ILQGPlanner)
    with make_planner(model, box_cost(), PlannerConfig(method="cem", nthread=1)) as planner:
        assert isinstance(planner, SamplingPlanner)
    with pytest.raises(ValueError, match="make_planner"):
        SamplingPlanner(model, box_cost(), PlannerConfig(method="ilqg", nthread=1))
