"""Gymnasium environments around the robots: observation qpos+qvel, action = actuator controls,
reward = minus the robot's current stage cost. ``env.unwrapped.robot`` is the reward-parameter API."""

from __future__ import annotations

from typing import Any

import gymnasium
import mujoco
import numpy as np

from llmrl_mpc.robots import make_robot


class RobotEnv(gymnasium.Env):
    """One robot; ``reset(options={"spec": {...}})`` applies a reward spec's calls."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(self, robot: str = "quadruped", frame_skip: int = 2, reset_noise: float = 0.01,
                 render_mode: str | None = None, width: int = 480, height: int = 360) -> None:
        self.robot = make_robot(robot)
        self.model = self.robot.model
        self.data = mujoco.MjData(self.model)
        self.frame_skip = int(frame_skip)
        self.reset_noise = float(reset_noise)
        self.render_mode = render_mode
        self._size = (height, width)
        self._renderer: Any = None
        lo, hi = self.model.actuator_ctrlrange.T.astype(np.float32)
        self.action_space = gymnasium.spaces.Box(lo, hi, dtype=np.float32)
        n = self.model.nq + self.model.nv
        self.observation_space = gymnasium.spaces.Box(-np.inf, np.inf, (n,), dtype=np.float64)
        self.dt = self.model.opt.timestep * self.frame_skip

    def _obs(self) -> np.ndarray:
        return np.concatenate([self.data.qpos, self.data.qvel]).astype(np.float64)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self.robot.home(self.data)
        self.data.qpos[:] += self.np_random.uniform(-self.reset_noise, self.reset_noise, self.model.nq)
        mujoco.mj_forward(self.model, self.data)
        if options and "spec" in options:
            self.robot.reset_reward()
            for call in self.robot.validate(options["spec"]).calls:
                self.robot.apply_call(call)
        return self._obs(), {}

    def step(self, action):
        self.data.ctrl[:] = np.clip(action, self.action_space.low, self.action_space.high)
        mujoco.mj_step(self.model, self.data, nstep=self.frame_skip)
        cost = self.robot.stage_cost(self.data)
        obs = self._obs()
        terminated = not bool(np.isfinite(obs).all())
        if terminated:
            obs = np.nan_to_num(obs, nan=0.0, posinf=0.0, neginf=0.0)
        return obs, -cost if np.isfinite(cost) else -1e6, terminated, False, {"cost": cost}

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, *self._size)
        self._renderer.update_scene(self.data)
        return self._renderer.render()

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
