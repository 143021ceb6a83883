"""iLQG, as MuJoCo MPC runs it (Tassa, Erez & Todorov 2012), in numpy on ``mujoco.rollout`` and ``mjd_transitionFD``.

The plan is one control per planning step, ``u_0 .. u_{T-1}`` (zero-order hold), with the nominal states
it produces. Each iteration:

1. **derivatives** along the nominal: ``mjd_transitionFD`` per step (dynamics and sensor Jacobians) and a
   Gauss-Newton quadratic model of the residual costs (:mod:`llmrl_mpc.derivatives`);
2. **backward pass**: the Riccati recursion for feedforward steps ``k_t`` and feedback gains ``K_t``,
   regularised by ``mu`` on the value Hessian (Tassa's state regularisation) and on the control Hessian;
   controls that sit at a limit and are pushed further out are clamped (the active set of Tassa et al.
   2014, without the projected-Newton iterations); a non-positive-definite control Hessian raises ``mu``
   and the pass restarts;
3. **line search**: ``ilqg_line_search`` step sizes ``a`` rolled out together, closed loop
   (``u = u_t + a k_t + K_t (x ⊖ x_t)``, one batched one-step ``Rollout`` call per planning step) or, with
   ``ilqg_feedback`` off, open loop (``u_t + a k_t``, one call); the
   cheapest valid candidate replaces the nominal if it beats it, and ``mu`` adapts to the ratio of actual
   to predicted improvement (MJPC's schedule).

Across replans the controls are shifted to the new start time (warm start), ``mu`` is kept, and between
replans the controller applies the nominal control plus the feedback gains on the measured state.
Per iteration this simulates ``T (ndx + nu + 1)`` steps for the derivatives and ``T x line_search`` for the
line search, against ``samples x T`` for a sampling planner.
"""

from __future__ import annotations

import logging
import time

import mujoco
import numpy as np

from llmrl_mpc.config import PlannerConfig
from llmrl_mpc.costs import Cost
from llmrl_mpc.derivatives import CostModel, Dynamics, cost_model, linearize_dynamics
from llmrl_mpc.planner import PlanInfo, Planner
from llmrl_mpc.tangent import StateTangent
from llmrl_mpc.trajectory import Trajectory

log = logging.getLogger(__name__)

REG_MIN, REG_MAX = 1e-6, 1e6
BACKWARD_TRIES = 12  # regularisation increases per iteration before giving up on it


class ILQGPlanner(Planner):
    """iLQG over ``model`` minimising ``cost`` (see the module docstring). Use as a context manager."""

    def __init__(self, model: mujoco.MjModel, cost: Cost, config: PlannerConfig | None = None) -> None:
        config = config or PlannerConfig(method="ilqg")
        super().__init__(model, cost, config, batch=config.ilqg_line_search)
        self.tangent = StateTangent(self.model, self.layout)
        self._fd_data = mujoco.MjData(self.model)
        n = config.ilqg_line_search
        self.step_sizes = np.logspace(0.0, np.log10(config.ilqg_min_step), n) if n > 1 else np.ones(1)
        self.actions: np.ndarray | None = None  # (T, nu)
        self.states: np.ndarray | None = None  # (T + 1, nstate): x_0 .. x_T of the nominal
        self.gains: np.ndarray | None = None  # (T, nu, ndx)
        self.reg = config.ilqg_regularization
        self.reg_rate = 1.0

    def reset(self, ctrl: np.ndarray | None = None) -> None:
        c = np.zeros(self.model.nu) if ctrl is None else np.asarray(ctrl, dtype=np.float64)
        self.actions = np.tile(np.clip(c, self.lo, self.hi), (self.steps, 1))
        self.states = self.gains = None

    # -- planning ----------------------------------------------------------------
    def _warm_start(self, t0: float) -> None:
        if self.actions is None:
            self.reset()
        elif t0 != self.nominal_time:
            old = self.nominal_time + np.arange(self.steps) * self.dt
            new = t0 + np.arange(self.steps) * self.dt
            self.actions = np.stack([np.interp(new, old, a) for a in self.actions.T], -1)  # holds the last control
            self.states = self.gains = None
        self.nominal_time = t0

    def optimize(self, state: np.ndarray) -> PlanInfo:
        """Roll out the shifted plan from ``state``, then ``iterations`` iLQG iterations on it."""
        start = time.perf_counter()
        cfg = self.config
        t0 = float(state[self.layout.time])
        self._warm_start(t0)
        assert self.actions is not None
        sim_s, diverged = 0.0, 0
        r0 = time.perf_counter()
        nominal = _copy(self.rollout(state, self.actions[None]))
        sim_s += time.perf_counter() - r0
        if not self._valid(nominal, t0)[0]:  # the shifted plan diverges from here: start over from its first control
            diverged += 1
            self.reset(self.actions[0])
            nominal = _copy(self.rollout(state, self.actions[None]))
        best = float(self.cost.total(nominal)[0])
        steps = self.steps
        candidate_costs = np.array([best])
        ndx, nu = self.tangent.ndx, self.model.nu
        for _ in range(cfg.iterations):
            xs = np.concatenate([state[None], nominal.state[0]])
            r0 = time.perf_counter()
            dyn = linearize_dynamics(self.model, self._fd_data, xs[:-1], self.actions, cfg.ilqg_fd_eps, cfg.ilqg_fd_centered)
            sim_s += time.perf_counter() - r0
            steps += self.steps * ((2 if cfg.ilqg_fd_centered else 1) * (ndx + nu) + 1)
            model = cost_model(self.cost, self.tangent, nominal, dyn, cfg.ilqg_fd_eps)
            solved = self._backward(dyn, model)
            if solved is None:
                log.warning("iLQG backward pass failed at t=%.3f with regularisation %.3g; keeping the plan", t0, self.reg)
                break
            kff, gains, dv = solved
            self.states, self.gains = xs, gains
            r0 = time.perf_counter()
            cand = self._line_search(state, xs, kff, gains)
            sim_s += time.perf_counter() - r0
            steps += len(self.step_sizes) * self.steps
            costs = self.cost.total(cand)
            valid = self._valid(cand, t0) & np.isfinite(costs)
            diverged += int((~valid).sum())
            candidate_costs = costs[valid]
            costs = np.where(valid, costs, np.inf)
            i = int(np.argmin(costs))
            if not costs[i] < best:
                self._scale_reg(cfg.ilqg_regularization_factor**2)  # no improvement: more regularisation
                continue
            a = self.step_sizes[i]
            expected = -a * (dv[0] + a * dv[1])
            self._update_reg((best - costs[i]) / expected if expected > 0 else np.nan, a)
            best = float(costs[i])
            nominal = _copy(cand, i)
            self.actions = nominal.ctrl[0].copy()
            self.states = np.concatenate([state[None], nominal.state[0]])
        return PlanInfo(best_cost=best, mean_cost=float(candidate_costs.mean()) if candidate_costs.size else float("inf"),
                        diverged=diverged, rollout_s=sim_s, total_s=time.perf_counter() - start, steps=steps)

    def _backward(self, dyn: Dynamics, m: CostModel) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Feedforward steps (T, nu), gains (T, nu, ndx) and the predicted change terms ``dV``; None if it failed."""
        assert self.actions is not None
        steps, ndx, nu = self.steps, self.tangent.ndx, self.model.nu
        eye_u = np.eye(nu)
        span = np.where(np.isfinite(self.hi - self.lo), self.hi - self.lo, 1.0)
        at_lo, at_hi = self.actions <= self.lo + 1e-9 * span, self.actions >= self.hi - 1e-9 * span
        for _ in range(BACKWARD_TRIES):
            mu = self.reg
            kff, gains, dv = np.zeros((steps, nu)), np.zeros((steps, nu, ndx)), np.zeros(2)
            vx, vxx = np.zeros(ndx), np.zeros((ndx, ndx))
            for t in reversed(range(steps)):
                a, b = dyn.A[t], dyn.B[t]
                va, vb = vxx @ a, vxx @ b
                qx, qu = m.lx[t] + a.T @ vx, m.lu[t] + b.T @ vx
                qxx, quu, qux = m.lxx[t] + a.T @ va, m.luu[t] + b.T @ vb, m.lux[t] + b.T @ va
                quu_reg = quu + mu * (b.T @ b + eye_u)
                qux_reg = qux + mu * (b.T @ a)
                free = ~((at_lo[t] & (qu > 0)) | (at_hi[t] & (qu < 0)))
                if free.any():
                    h = quu_reg[np.ix_(free, free)]
                    try:
                        np.linalg.cholesky(h)
                    except np.linalg.LinAlgError:
                        break
                    sol = -np.linalg.solve(h, np.column_stack([qu[free], qux_reg[free]]))
                    kff[t, free], gains[t, free] = sol[:, 0], sol[:, 1:]
                k, kk = kff[t], gains[t]
                dv += (k @ qu, 0.5 * k @ quu @ k)
                vx = qx + kk.T @ (quu @ k + qu) + qux.T @ k
                vxx = qxx + kk.T @ quu @ kk + kk.T @ qux + qux.T @ kk
                vxx = 0.5 * (vxx + vxx.T)
            else:
                return kff, gains, dv
            if self.reg >= REG_MAX:
                return None
            self._scale_reg(self.config.ilqg_regularization_factor)
        return None

    def _line_search(self, state: np.ndarray, xs: np.ndarray, kff: np.ndarray, gains: np.ndarray) -> Trajectory:
        """All step sizes rolled out together: closed loop around the nominal ``xs`` (T + 1, nstate) with feedback,
        else open loop in one rollout call."""
        assert self.actions is not None
        n, steps, nu = len(self.step_sizes), self.steps, self.model.nu
        ctrl = self.actions[None] + self.step_sizes[:, None, None] * kff[None]
        if not self.config.ilqg_feedback:
            return self.rollout(state, np.clip(ctrl, self.lo, self.hi))
        st, sd = self._state[:n], self._sensordata[:n]
        x = np.repeat(state[None], n, axis=0)
        step_state, step_sensor = np.empty((n, 1, x.shape[1])), np.empty((n, 1, self.model.nsensordata))
        u = np.empty((n, 1, nu))
        for t in range(steps):
            u[:, 0] = ctrl[:, t] + self.tangent.difference(xs[t], x) @ gains[t].T
            np.clip(u, self.lo, self.hi, out=u)
            ctrl[:, t] = u[:, 0]
            self._pool.rollout(self.model, self._datas, x, u, state=step_state, sensordata=step_sensor)
            st[:, t], sd[:, t] = step_state[:, 0], step_sensor[:, 0]
            x = step_state[:, 0].copy()
        return Trajectory(self.layout, st, sd, ctrl)

    # -- regularisation (MJPC's schedule: the rate grows geometrically while the same direction repeats) --------
    def _scale_reg(self, factor: float) -> None:
        self.reg_rate = max(self.reg_rate * factor, factor) if factor > 1 else min(self.reg_rate * factor, factor)
        self.reg = float(np.clip(self.reg * self.reg_rate, REG_MIN, REG_MAX))

    def _update_reg(self, surprise: float, step: float) -> None:
        f = self.config.ilqg_regularization_factor
        if not np.isfinite(surprise):
            self._scale_reg(f * f)
        elif surprise > 0.5 or step > 0.3:
            self._scale_reg(1 / f)
        elif surprise < 0.1 or step < 0.06:
            self._scale_reg(f)

    def action(self, t: float, state: np.ndarray | None = None) -> np.ndarray:
        """The nominal control of the planning step holding ``t``, plus feedback on ``state`` when known."""
        if self.actions is None:
            self.reset()
        assert self.actions is not None
        s = (t - self.nominal_time) / self.dt
        k = int(np.clip(np.floor(s + 1e-9), 0, self.steps - 1))
        u = self.actions[k].copy()
        if self.config.ilqg_feedback and state is not None and self.gains is not None and self.states is not None:
            frac = float(np.clip(s - k, 0.0, 1.0))  # the nominal state at t, to first order between x_k and x_k+1
            dx = self.tangent.difference(self.states[k], state) - frac * self.tangent.difference(self.states[k], self.states[k + 1])
            u += self.gains[k] @ dx
        return np.clip(u, self.lo, self.hi)


def _copy(traj: Trajectory, row: int = 0) -> Trajectory:
    """Row ``row`` of ``traj`` as a 1 x T trajectory that owns its arrays (rollout buffers are reused)."""
    return Trajectory(traj.layout, traj.state[row:row + 1].copy(), traj.sensordata[row:row + 1].copy(),
                      traj.ctrl[row:row + 1].copy())
