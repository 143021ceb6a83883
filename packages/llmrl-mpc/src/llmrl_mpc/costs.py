"""Costs in MJPC's form: l(x, u) = sum_i w_i * n_i(r_i(x, u)), with an optional risk transform.

Residuals are numpy functions of a whole batch of trajectories at once
(``(K, T, ...)`` arrays in, ``(K, T, dim)`` out): Python cannot run inside
``mujoco.rollout``'s C threads, so costs are computed after the rollout from the
returned states and sensor data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from llmrl_mpc.norms import NormType, check_norm_params, norm, risk_transform
from llmrl_mpc.trajectory import Trajectory

Residual = Callable[[Trajectory], np.ndarray]


@dataclass
class CostTerm:
    """One weighted term: ``weight * norm(residual(traj), params)``. A weight of 0 switches it off."""

    name: str
    residual: Residual
    weight: float = 1.0
    norm: NormType | str = NormType.quadratic
    params: Sequence[float] = ()

    def __post_init__(self) -> None:
        self.norm = NormType(self.norm)
        self.params = check_norm_params(self.norm, self.params)
        if not np.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"cost term {self.name!r}: weight must be a finite number >= 0, got {self.weight}")

    def residual_values(self, traj: Trajectory) -> np.ndarray:
        """The residual per step as (K, T, dim), a scalar residual given a last axis of 1."""
        r = np.asarray(self.residual(traj), dtype=np.float64)
        return r[..., None] if r.ndim == traj.state.ndim - 1 else r

    def evaluate(self, traj: Trajectory) -> np.ndarray:
        """Weighted norm per step, (K, T)."""
        n = norm(self.norm, self.residual_values(traj), self.params)  # a fresh array: scaled in place
        n *= self.weight
        return n


@dataclass
class Cost:
    """A sum of cost terms with MJPC's risk transform (``risk = 0``: risk neutral)."""

    terms: list[CostTerm] = field(default_factory=list)
    risk: float = 0.0

    def term(self, name: str) -> CostTerm:
        for t in self.terms:
            if t.name == name:
                return t
        raise KeyError(f"no cost term {name!r}; terms are {[t.name for t in self.terms]}")

    def stage(self, traj: Trajectory) -> np.ndarray:
        """Stage cost l per step, (K, T), risk-transformed."""
        total = np.zeros(traj.state.shape[:-1])
        for t in self.terms:
            if t.weight > 0:
                total += t.evaluate(traj)
        return risk_transform(total, self.risk)

    def total(self, traj: Trajectory) -> np.ndarray:
        """Trajectory cost: the sum of stage costs over the horizon, (K,) (MJPC's total return)."""
        return self.stage(traj).sum(axis=-1)

    def breakdown(self, traj: Trajectory) -> dict[str, np.ndarray]:
        """Each active term's weighted cost summed over time, (K,) per term (before the risk transform)."""
        return {t.name: t.evaluate(traj).sum(axis=-1) for t in self.terms if t.weight > 0}
