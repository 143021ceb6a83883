"""Derivatives along a nominal trajectory, for iLQG: dynamics from ``mjd_transitionFD``, a Gauss-Newton cost model.

Dynamics: at each step ``k``, ``mujoco.mjd_transitionFD`` at ``(x_k, u_k)`` gives ``A_k``, ``B_k`` (the next
state) and ``C_k``, ``D_k`` (the sensor values read during the step), in the tangent coordinates of
:class:`~llmrl_mpc.tangent.StateTangent`.

Cost: row ``k`` of a :class:`~llmrl_mpc.trajectory.Trajectory` holds the state after step ``k``, the sensor
values read during it and ``u_k``, so each residual ``r_k`` is a function of ``(x_k, u_k)`` through those
three, and by the chain rule

    dr/dx = R_s A + R_y C,        dr/du = R_s B + R_y D + R_u

with ``R_s``, ``R_y``, ``R_u`` the residual's derivatives in the recorded state (tangent), sensor values and
control. Those come from finite differences on one perturbed batch (1 + ndx + nsensordata + nu rows, every
step at once: residual code is vectorised over (K, T) anyway), so any residual written for the sampling
planners works unchanged. Each term adds ``w J'g`` and ``w J'HJ`` (Gauss-Newton: the residuals' own second
derivatives are dropped), ``g``, ``H`` the norm's gradient and Hessian; the risk transform is applied last.

A residual that couples steps (the action rate, ``ctrl[t] - ctrl[t-1]``) sees every step perturbed
together here, so it is differentiated as if it were per-step (zero for the action rate); the line search
still scores candidates with the true cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from llmrl_mpc.costs import Cost
from llmrl_mpc.norms import RISK_NEUTRAL_TOLERANCE, norm, norm_derivatives
from llmrl_mpc.tangent import StateTangent
from llmrl_mpc.trajectory import Trajectory


@dataclass
class Dynamics:
    """Per-step Jacobians: ``A`` (T, ndx, ndx), ``B`` (T, ndx, nu), ``C`` (T, nsensor, ndx), ``D`` (T, nsensor, nu)."""

    A: np.ndarray
    B: np.ndarray
    C: np.ndarray
    D: np.ndarray


@dataclass
class CostModel:
    """The quadratic model of the stage costs: value ``l`` (T,), ``lx`` (T, ndx), ``lu`` (T, nu),
    ``lxx`` (T, ndx, ndx), ``luu`` (T, nu, nu), ``lux`` (T, nu, ndx)."""

    l: np.ndarray  # noqa: E741 - the standard name of a stage cost
    lx: np.ndarray
    lu: np.ndarray
    lxx: np.ndarray
    luu: np.ndarray
    lux: np.ndarray


def linearize_dynamics(model: mujoco.MjModel, data: mujoco.MjData, states: np.ndarray, ctrl: np.ndarray,
                       eps: float = 1e-6, centered: bool = False) -> Dynamics:
    """``mjd_transitionFD`` at each (full-physics state, control) pair: ``states`` (T, nstate), ``ctrl`` (T, nu)."""
    steps, ndx, nu, ns = len(states), 2 * model.nv + model.na, model.nu, model.nsensordata
    dyn = Dynamics(np.zeros((steps, ndx, ndx)), np.zeros((steps, ndx, nu)), np.zeros((steps, ns, ndx)),
                   np.zeros((steps, ns, nu)))
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    for k in range(steps):
        mujoco.mj_setState(model, data, states[k], spec)
        data.ctrl[:] = ctrl[k]
        mujoco.mjd_transitionFD(model, data, eps, centered, dyn.A[k], dyn.B[k],
                                dyn.C[k] if ns else None, dyn.D[k] if ns else None)
    return dyn


def cost_model(cost: Cost, tangent: StateTangent, nominal: Trajectory, dyn: Dynamics, eps: float = 1e-6) -> CostModel:
    """The Gauss-Newton quadratic model of ``cost``'s stage costs along ``nominal`` (a 1 x T trajectory)."""
    state, sensors, ctrl = nominal.state[0], nominal.sensordata[0], nominal.ctrl[0]
    steps, ndx, ns, nu = len(state), tangent.ndx, sensors.shape[-1], ctrl.shape[-1]
    rows = 1 + ndx + ns + nu
    # Row 0 is the nominal; then one row per tangent direction of the recorded state, per sensor value, per control.
    st = np.broadcast_to(state, (rows, steps, state.shape[-1])).copy()
    st[1:1 + ndx] = tangent.integrate(state[None], eps * np.eye(ndx)[:, None, :])
    sd = np.broadcast_to(sensors, (rows, steps, ns)).copy()
    sd[1 + ndx:1 + ndx + ns] += eps * np.eye(ns)[:, None, :]
    ct = np.broadcast_to(ctrl, (rows, steps, nu)).copy()
    ct[1 + ndx + ns:] += eps * np.eye(nu)[:, None, :]
    batch = Trajectory(nominal.layout, st, sd, ct)

    m = CostModel(np.zeros(steps), np.zeros((steps, ndx)), np.zeros((steps, nu)), np.zeros((steps, ndx, ndx)),
                  np.zeros((steps, nu, nu)), np.zeros((steps, nu, ndx)))
    for term in cost.terms:
        if term.weight <= 0:
            continue
        r = term.residual_values(batch)  # (rows, T, dim)
        jac = (r[1:] - r[0]).transpose(1, 2, 0) / eps  # (T, dim, rows - 1)
        r_s, r_y, r_u = jac[..., :ndx], jac[..., ndx:ndx + ns], jac[..., ndx + ns:]
        jx = r_s @ dyn.A + r_y @ dyn.C  # (T, dim, ndx)
        ju = r_s @ dyn.B + r_y @ dyn.D + r_u  # (T, dim, nu)
        g, h = norm_derivatives(term.norm, r[0], term.params)
        w = term.weight
        m.l += w * norm(term.norm, r[0], term.params)
        m.lx += w * np.einsum("td,tdx->tx", g, jx)
        m.lu += w * np.einsum("td,tdu->tu", g, ju)
        hx, hu = h @ jx, h @ ju
        m.lxx += w * np.einsum("tdx,tdy->txy", jx, hx)
        m.luu += w * np.einsum("tdu,tdv->tuv", ju, hu)
        m.lux += w * np.einsum("tdu,tdx->tux", ju, hx)
    if abs(cost.risk) >= RISK_NEUTRAL_TOLERANCE:  # l' = (exp(R l) - 1) / R: gradient scales by exp(R l), Hessian gains R exp(R l) g g'
        e = np.exp(cost.risk * m.l)
        rr = cost.risk * e
        lx, lu = m.lx.copy(), m.lu.copy()
        m.lxx = e[:, None, None] * m.lxx + rr[:, None, None] * lx[:, :, None] * lx[:, None, :]
        m.luu = e[:, None, None] * m.luu + rr[:, None, None] * lu[:, :, None] * lu[:, None, :]
        m.lux = e[:, None, None] * m.lux + rr[:, None, None] * lu[:, :, None] * lx[:, None, :]
        m.lx, m.lu = e[:, None] * lx, e[:, None] * lu
        m.l = np.expm1(cost.risk * m.l) / cost.risk
    return m
