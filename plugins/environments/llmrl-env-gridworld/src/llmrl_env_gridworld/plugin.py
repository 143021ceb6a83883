"""Algorithm Distillation's four environments: the hook llmrl calls, and the specs that importing
``llmrl_env_gridworld`` registers with Gymnasium (nothing heavy imported)."""

from __future__ import annotations

from llmrl_core import EnvironmentSpec, hookimpl

ENVIRONMENTS = (
    EnvironmentSpec(
        id="llmrl/DarkRoom-v0",
        entry_point="llmrl_env_gridworld.darkroom:DarkRoomEnv",
        kwargs={"size": 9, "max_steps": 20},
        description="AD's Dark Room: 9x9, 5 actions, 20 steps, start at the centre, reward 1 on every step at an unseen goal.",
    ),
    EnvironmentSpec(
        id="llmrl/DarkRoomHard-v0",
        entry_point="llmrl_env_gridworld.darkroom:DarkRoomEnv",
        kwargs={"size": 17, "max_steps": 20, "reward_once": True},
        description="AD's Dark Room Hard: 17x17, reward 1 once on reaching the unseen goal.",
    ),
    EnvironmentSpec(
        id="llmrl/DarkKeyToDoor-v0",
        entry_point="llmrl_env_gridworld.darkroom:DarkKeyToDoorEnv",
        kwargs={"size": 9, "max_steps": 50},
        description="AD's Dark Key-to-Door: 9x9, find an invisible key then door (reward 1 each), random start, 50 steps.",
    ),
    EnvironmentSpec(
        id="llmrl/AdversarialBandit-v0",
        entry_point="llmrl_env_gridworld.bandit:AdversarialBanditEnv",
        kwargs={"arms": 10, "trials": 100},
        description="AD's Adversarial Bandit: 10 arms, 100 trials; best arm odd 95% in training, even at evaluation.",
    ),
)


@hookimpl
def llmrl_environments():
    yield from ENVIRONMENTS
