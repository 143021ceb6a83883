"""The robots MPC drives, by name: L2R's quadruped and manipulator with their reward-parameter APIs.

They live here, beside the cost code they are built from; llmrl-mpc's hook registers their
Gymnasium ids (``llmrl/Quadruped-v0``, ``llmrl/Manipulator-v0``). ``ROBOTS`` is the one list of
them: the ids, the hook's specs and :func:`make_robot` all derive from it. Importing this module
stays light (mujoco loads with the first robot built).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from llmrl_core import EnvironmentSpec, register_env_specs
from llmrl_core.lazy import lazy_exports

if TYPE_CHECKING:
    from llmrl_mpc.robots.base import RobotTask


@dataclass(frozen=True)
class RobotEntry:
    """One robot: its class (``module:attr``, imported when built) and its Gymnasium id."""

    factory: str
    env_id: str
    description: str


ROBOTS: dict[str, RobotEntry] = {
    "quadruped": RobotEntry(
        "llmrl_mpc.robots.quadruped:Quadruped", "llmrl/Quadruped-v0",
        "Gymnasium's ant (position actuators) with L2R's quadruped reward API on env.unwrapped.robot."),
    "manipulator": RobotEntry(
        "llmrl_mpc.robots.manipulator:Manipulator", "llmrl/Manipulator-v0",
        "A 4-joint arm with an adhesive pad, a box, a ball and a target pad; L2R's manipulator reward API."),
}

ENVIRONMENTS = tuple(
    EnvironmentSpec(id=entry.env_id, entry_point="llmrl_mpc.robots.env:RobotEnv", max_episode_steps=1000,
                    kwargs={"robot": name}, description=entry.description)
    for name, entry in ROBOTS.items()
)


def make_robot(name: str) -> RobotTask:
    """A fresh robot ``name`` (``quadruped`` / ``manipulator``): its model, cost and reward API."""
    from llmrl_core.errors import ConfigError

    if name not in ROBOTS:
        raise ConfigError(f"unknown robot {name!r}; choose one of {sorted(ROBOTS)}")
    module, attr = ROBOTS[name].factory.split(":")
    return getattr(import_module(module), attr)()


_EXPORTS = {
    "RobotTask": "llmrl_mpc.robots.base",
    "Quadruped": "llmrl_mpc.robots.quadruped",
    "Manipulator": "llmrl_mpc.robots.manipulator",
    "RobotEnv": "llmrl_mpc.robots.env",
    "RewardSpecError": "llmrl_mpc.robots.spec",
    "validate_spec": "llmrl_mpc.robots.spec",
    "load_spec": "llmrl_mpc.robots.spec",
}
__all__ = sorted([*_EXPORTS, "ENVIRONMENTS", "ROBOTS", "RobotEntry", "make_robot"])
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

register_env_specs(ENVIRONMENTS)  # entry-point strings only: nothing heavy is imported
