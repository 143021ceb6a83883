"""The hook llmrl calls, and the specs that importing ``llmrl_env_mujoco`` registers with Gymnasium.
They only describe components; nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, hookimpl

# Gymnasium MuJoCo tasks registered as ``llmrl/Episodic<task>`` (the four LaRe's public code covers),
# with Gymnasium's own horizons (declared here, so that describing them looks nothing up in Gymnasium).
EPISODIC_TASKS: dict[str, int] = {"HalfCheetah-v5": 1000, "Reacher-v5": 50, "Walker2d-v5": 1000, "HumanoidStandup-v5": 1000}

ENVIRONMENTS = (
    EnvironmentSpec(
        id="llmrl/Quadruped-v0",
        entry_point="llmrl_env_mujoco.env:MujocoTaskEnv",
        max_episode_steps=1000,
        kwargs={"task": "quadruped"},
        description="Gymnasium's ant (position actuators) with L2R's quadruped reward API on env.unwrapped.task.",
    ),
    EnvironmentSpec(
        id="llmrl/Manipulator-v0",
        entry_point="llmrl_env_mujoco.env:MujocoTaskEnv",
        max_episode_steps=1000,
        kwargs={"task": "manipulator"},
        description="A 4-joint arm with an adhesive pad, a box, a ball and a target pad; L2R's manipulator reward API.",
    ),
    # Episodic-reward versions of Gymnasium's MuJoCo tasks (LaRe / RRD): reward only at the episode's end.
    *(
        EnvironmentSpec(
            id=f"llmrl/Episodic{base}",
            entry_point="llmrl_env_mujoco.episodic:make_episodic",
            max_episode_steps=horizon,
            kwargs={"base_id": base},
            description=f"Gymnasium's {base} with its return paid only on the last step (dense reward in info).",
        )
        for base, horizon in EPISODIC_TASKS.items()
    ),
)


@hookimpl
def llmrl_environments():
    yield from ENVIRONMENTS
