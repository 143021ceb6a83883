"""The hooks llmrl calls. They only describe components; nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, hookimpl


@hookimpl
def llmrl_environments():
    yield EnvironmentSpec(
        id="llmrl/Quadruped-v0",
        entry_point="llmrl_env_mujoco.env:MujocoTaskEnv",
        max_episode_steps=1000,
        kwargs={"task": "quadruped"},
        description="Gymnasium's ant (position actuators) with L2R's quadruped reward API on env.unwrapped.task.",
    )
    yield EnvironmentSpec(
        id="llmrl/Manipulator-v0",
        entry_point="llmrl_env_mujoco.env:MujocoTaskEnv",
        max_episode_steps=1000,
        kwargs={"task": "manipulator"},
        description="A 4-joint arm with an adhesive pad, a box, a ball and a target pad; L2R's manipulator reward API.",
    )
