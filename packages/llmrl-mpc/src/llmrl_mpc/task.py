"""The protocol a robot task offers the MPC runner (duck-typed: plugins do not subclass it).

``llmrl-env-mujoco``'s tasks implement it; the runner gets one through the registry
(``make_env(id).unwrapped.task``), never by importing a plugin.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from llmrl_mpc.costs import Cost
from llmrl_mpc.trajectory import StateLayout, Trajectory

TASK_ENV_IDS = {"quadruped": "llmrl/Quadruped-v0", "manipulator": "llmrl/Manipulator-v0"}


class MPCTask(Protocol):
    name: str
    model: Any  # mujoco.MjModel
    layout: StateLayout
    cost: Cost  # terms read the task's parameters at evaluation time

    def home(self, data: Any) -> None: ...
    def home_ctrl(self) -> np.ndarray: ...
    def reset_reward(self) -> None: ...
    spec_model: Any  # the pydantic model of the task's reward spec
    def validate(self, spec: Any) -> Any: ...  # dict / JSON text -> a spec with .calls and .segments()
    def validate_file(self, path: Any) -> Any: ...
    def apply_call(self, call: Any) -> None: ...
    def api_description(self) -> str: ...  # prompt text for a Reward Coder
    def recording_stub_source(self) -> str: ...  # API as call recorders; run in a sandbox, prints the spec JSON
    def active_terms(self) -> dict[str, dict[str, Any]]: ...
    def metrics(self, trace: Trajectory) -> dict[str, float]: ...


def get_task(name: str) -> MPCTask:
    """The task ``name`` (``quadruped`` / ``manipulator``) from the installed environment plugin."""
    from llmrl_core import make_env
    from llmrl_core.errors import ConfigError

    if name not in TASK_ENV_IDS:
        raise ConfigError(f"unknown task {name!r}; choose one of {sorted(TASK_ENV_IDS)}")
    env = make_env(TASK_ENV_IDS[name])
    return env.unwrapped.task
