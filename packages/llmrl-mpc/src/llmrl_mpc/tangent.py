"""Full-physics states in MuJoCo's tangent coordinates, vectorised over any leading batch dimensions.

``mjd_transitionFD`` linearises the dynamics in ``dx = [dq (nv), dv (nv), dact (na)]``, where a
quaternion joint's ``dq`` is a rotation vector in the joint's local frame. iLQG needs the same
coordinates in numpy: ``difference`` (``mj_differentiatePos``'s convention) for feedback on a batch
of line-search rollouts, ``integrate`` (``mj_integratePos``'s) for perturbing recorded states when
differentiating the residuals. Calling MuJoCo per state would cost a Python call per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from llmrl_mpc.trajectory import StateLayout

if TYPE_CHECKING:
    import mujoco


def _quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    aw, ax, ay, az = (a[..., i] for i in range(4))
    bw, bx, by, bz = (b[..., i] for i in range(4))
    return np.stack([aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw], -1)


def quat_log(q: np.ndarray) -> np.ndarray:
    """The rotation vector (axis * angle, angle in (-pi, pi]) of unit quaternions (..., 4)."""
    v = q[..., 1:]
    s = np.linalg.norm(v, axis=-1)
    angle = 2 * np.arctan2(s, q[..., 0])
    angle = np.where(angle > np.pi, angle - 2 * np.pi, angle)
    scale = np.where(s > 0, angle / np.where(s > 0, s, 1.0), 2.0)  # small-angle limit: 2 * v
    return v * scale[..., None]


def quat_exp(w: np.ndarray) -> np.ndarray:
    """The unit quaternion of rotation vectors (..., 3)."""
    angle = np.linalg.norm(w, axis=-1)
    half = 0.5 * angle
    k = np.where(angle > 0, np.sin(half) / np.where(angle > 0, angle, 1.0), 0.5)
    return np.concatenate([np.cos(half)[..., None], w * k[..., None]], -1)


class StateTangent:
    """Differences and small steps of ``mjSTATE_FULLPHYSICS`` vectors in ``[dq, dv, dact]`` coordinates."""

    def __init__(self, model: mujoco.MjModel, layout: StateLayout) -> None:
        import mujoco

        lin_q, lin_v, quat_q, quat_v = [], [], [], []
        for j in range(model.njnt):
            kind, qa, va = int(model.jnt_type[j]), int(model.jnt_qposadr[j]), int(model.jnt_dofadr[j])
            if kind == mujoco.mjtJoint.mjJNT_FREE:
                lin_q += [qa, qa + 1, qa + 2]
                lin_v += [va, va + 1, va + 2]
                quat_q.append(range(qa + 3, qa + 7))
                quat_v.append(range(va + 3, va + 6))
            elif kind == mujoco.mjtJoint.mjJNT_BALL:
                quat_q.append(range(qa, qa + 4))
                quat_v.append(range(va, va + 3))
            else:  # hinge, slide
                lin_q.append(qa)
                lin_v.append(va)
        self.nv, self.na = model.nv, model.na
        self.ndx = 2 * model.nv + model.na
        q0, v0, a0 = layout.qpos.start, layout.qvel.start, layout.act.start
        self._lin_q, self._lin_v = np.array(lin_q, int) + q0, np.array(lin_v, int)
        self._quat_q = np.array([list(r) for r in quat_q], int).reshape(-1, 4) + q0
        self._quat_v = np.array([list(r) for r in quat_v], int).reshape(-1, 3)
        self._vel = np.arange(v0, v0 + model.nv)
        self._act = np.arange(a0, a0 + model.na)

    def difference(self, ref: np.ndarray, x: np.ndarray) -> np.ndarray:
        """``x ⊖ ref`` (..., ndx): what ``mj_differentiatePos`` (dt = 1) gives for the positions, plain differences after."""
        ref, x = np.broadcast_arrays(ref, x)
        out = np.empty((*x.shape[:-1], self.ndx))
        nv = self.nv
        out[..., self._lin_v] = x[..., self._lin_q] - ref[..., self._lin_q]
        if len(self._quat_q):
            qr = ref[..., self._quat_q]
            qr[..., 1:] *= -1  # conjugate: the relative rotation ref^-1 * x, in ref's local frame
            out[..., self._quat_v] = quat_log(_quat_mul(qr, x[..., self._quat_q]))
        out[..., nv:2 * nv] = x[..., self._vel] - ref[..., self._vel]
        out[..., 2 * nv:] = x[..., self._act] - ref[..., self._act]
        return out

    def integrate(self, x: np.ndarray, dx: np.ndarray) -> np.ndarray:
        """``x ⊕ dx``: a new state array, ``x`` moved by tangent ``dx`` (``mj_integratePos`` with dt = 1 for the positions)."""
        lead = np.broadcast_shapes(x.shape[:-1], dx.shape[:-1])
        x = np.broadcast_to(x, (*lead, x.shape[-1]))
        dx = np.broadcast_to(dx, (*lead, self.ndx))
        out = np.array(x, dtype=np.float64)
        nv = self.nv
        out[..., self._lin_q] += dx[..., self._lin_v]
        if len(self._quat_q):
            q = _quat_mul(x[..., self._quat_q], quat_exp(dx[..., self._quat_v]))
            out[..., self._quat_q] = q / np.linalg.norm(q, axis=-1, keepdims=True)
        out[..., self._vel] += dx[..., nv:2 * nv]
        out[..., self._act] += dx[..., 2 * nv:]
        return out
