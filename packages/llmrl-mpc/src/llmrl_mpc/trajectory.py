"""A batch of rolled-out trajectories, with named views residual functions read.

``mujoco.rollout`` returns the full physics state (time, qpos, qvel, act, ...)
and the sensor data of every step; this wraps those arrays so a residual can
ask for ``traj.qpos`` or ``traj.sensor("torso_pos")`` without index arithmetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import mujoco


@dataclass(frozen=True)
class StateLayout:
    """Where time, qpos, qvel and act sit in a ``mjSTATE_FULLPHYSICS`` vector, and where each sensor sits."""

    nstate: int
    time: int
    qpos: slice
    qvel: slice
    act: slice
    sensors: dict[str, slice]

    @classmethod
    def from_model(cls, model: mujoco.MjModel) -> StateLayout:
        import mujoco

        spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
        offsets: dict[str, slice] = {}
        start = 0
        # Components are laid out in the order of their bits.
        for bit in range(int(mujoco.mjtState.mjNSTATE)):
            flag = 1 << bit
            if not int(spec) & flag:
                continue
            size = mujoco.mj_stateSize(model, flag)
            offsets[mujoco.mjtState(flag).name] = slice(start, start + size)
            start += size
        sensors = {}
        for i in range(model.nsensor):
            name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_SENSOR, i) or f"sensor{i}"
            adr, dim = int(model.sensor_adr[i]), int(model.sensor_dim[i])
            sensors[name] = slice(adr, adr + dim)
        return cls(
            nstate=mujoco.mj_stateSize(model, spec),
            time=offsets["mjSTATE_TIME"].start,
            qpos=offsets["mjSTATE_QPOS"],
            qvel=offsets["mjSTATE_QVEL"],
            act=offsets["mjSTATE_ACT"],
            sensors=sensors,
        )


@dataclass
class Trajectory:
    """``K`` trajectories of ``T`` steps: ``state`` (K, T, nstate), ``sensordata`` (K, T, nsensor), ``ctrl`` (K, T, nu).

    ``state[:, t]`` is the state *after* applying ``ctrl[:, t]`` for one step, as
    ``mujoco.rollout`` returns it.
    """

    layout: StateLayout
    state: np.ndarray
    sensordata: np.ndarray
    ctrl: np.ndarray
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def memo(self, key: str, compute: Callable[[Trajectory], Any]) -> Any:
        """``compute(self)``, computed once per trajectory batch: residuals share derived quantities this way.

        Several cost terms read the same function of the rollout (body angles, a heading frame, foot
        offsets); memoising it keeps a planning iteration's cost evaluation at one pass per quantity.
        The arrays must be treated as read-only by callers.
        """
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute(self)
            return value

    @property
    def time(self) -> np.ndarray:
        return self.state[..., self.layout.time]

    @property
    def qpos(self) -> np.ndarray:
        return self.state[..., self.layout.qpos]

    @property
    def qvel(self) -> np.ndarray:
        return self.state[..., self.layout.qvel]

    @property
    def act(self) -> np.ndarray:
        return self.state[..., self.layout.act]

    def sensor(self, name: str) -> np.ndarray:
        """Sensor ``name``'s readings, (K, T, dim)."""
        try:
            return self.sensordata[..., self.layout.sensors[name]]
        except KeyError:
            raise KeyError(f"no sensor named {name!r}; the model has {sorted(self.layout.sensors)}") from None

    @classmethod
    def from_data(cls, layout: StateLayout, model: mujoco.MjModel, data: mujoco.MjData) -> Trajectory:
        """A 1 x 1 trajectory holding ``data``'s current state (for stage costs of the live simulation)."""
        import mujoco

        state = np.empty(layout.nstate)
        mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
        return cls(layout, state[None, None], np.array(data.sensordata)[None, None], np.array(data.ctrl)[None, None])
