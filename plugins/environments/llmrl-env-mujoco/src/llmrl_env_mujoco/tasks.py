"""The robot tasks by name (``quadruped``, ``manipulator``)."""

from __future__ import annotations

from llmrl_env_mujoco.manipulator import ManipulatorTask
from llmrl_env_mujoco.quadruped import QuadrupedTask
from llmrl_env_mujoco.reward_task import RewardTask
from llmrl_env_mujoco.spec import RewardSpecError

__all__ = ["ManipulatorTask", "QuadrupedTask", "RewardTask", "TASKS", "make_task"]

TASKS: dict[str, type[RewardTask]] = {"quadruped": QuadrupedTask, "manipulator": ManipulatorTask}


def make_task(name: str) -> RewardTask:
    try:
        return TASKS[name]()
    except KeyError:
        raise RewardSpecError(f"unknown task {name!r}; choose one of {sorted(TASKS)}") from None
