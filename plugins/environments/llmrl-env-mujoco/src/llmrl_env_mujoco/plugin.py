"""The hook llmrl calls, and the specs that importing ``llmrl_env_mujoco`` registers with Gymnasium.
They only describe components; nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, hookimpl

# Gymnasium MuJoCo envs registered as ``llmrl/Episodic<id>`` (the four LaRe's public code covers),
# with Gymnasium's own horizons (declared here, so that describing them looks nothing up in Gymnasium).
EPISODIC_HORIZONS: dict[str, int] = {"HalfCheetah-v5": 1000, "Reacher-v5": 50, "Walker2d-v5": 1000, "HumanoidStandup-v5": 1000}

# Episodic-reward versions of Gymnasium's MuJoCo tasks (LaRe / RRD): reward only at the episode's end.
ENVIRONMENTS = tuple(
    EnvironmentSpec(
        id=f"llmrl/Episodic{base}",
        entry_point="llmrl_env_mujoco.episodic:make_episodic",
        max_episode_steps=horizon,
        kwargs={"base_id": base},
        description=f"Gymnasium's {base} with its return paid only on the last step (dense reward in info).",
    )
    for base, horizon in EPISODIC_HORIZONS.items()
)


@hookimpl
def llmrl_environments():
    yield from ENVIRONMENTS
