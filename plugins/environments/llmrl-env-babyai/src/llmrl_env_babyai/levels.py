"""BabyAI levels behind llmrl ids, each able to demonstrate itself with minigrid's BabyAI bot."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from llmrl_env_babyai import LEVELS
from llmrl_env_babyai.captions import caption_of

log = logging.getLogger(__name__)


@dataclass
class Demo:
    """One bot episode: observations, the bot's actions and the caption (or None) before each action."""

    seed: int
    mission: str
    observations: list[dict[str, Any]] = field(default_factory=list)
    actions: list[int] = field(default_factory=list)
    captions: list[str | None] = field(default_factory=list)
    subgoals: list[str] = field(default_factory=list)
    """The top subgoal (its repr) before each action: what the captions are aligned with."""
    reward: float = 0.0


class BabyAIEnv(gym.Env):
    """A BabyAI level from ``minigrid`` (observation: 7x7x3 image, direction, mission text; 7 actions)."""

    metadata = {"render_modes": []}

    def __init__(self, level: str = "GoToLocal", **kwargs: Any):
        import minigrid  # noqa: F401 - registers the BabyAI-* ids

        env_id = f"BabyAI-{level}-v0"
        if env_id not in gym.registry:
            raise ValueError(f"unknown BabyAI level {level!r} (no {env_id} in minigrid); try one of {', '.join(LEVELS)} (minigrid's BabyAI-*-v0 ids)")
        self.level = level
        self.inner = gym.make(env_id, **kwargs).unwrapped
        self.observation_space = self.inner.observation_space
        self.action_space = self.inner.action_space

    @property
    def max_steps(self) -> int:
        return int(self.inner.max_steps)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        return self.inner.reset(seed=seed, options=options)

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected an int in [0, {self.action_space.n - 1}]")
        return self.inner.step(action)

    def demonstrate(self, seed: int) -> Demo | None:
        """The bot's episode on ``seed`` with a caption whenever its top subgoal changes; None if it fails."""
        from minigrid.utils.baby_ai_bot import BabyAIBot

        obs, _ = self.reset(seed=seed)
        demo = Demo(seed=seed, mission=obs["mission"])
        try:
            bot = BabyAIBot(self.inner)
            last_caption = None
            while True:
                action = bot.replan()
                top = bot.stack[-1] if bot.stack else None
                caption = caption_of(top) if top is not None else None
                demo.observations.append(obs)
                demo.actions.append(int(action))
                demo.subgoals.append(repr(top))
                demo.captions.append(caption if caption != last_caption else None)
                last_caption = caption if caption is not None else last_caption
                obs, reward, terminated, truncated, _ = self.step(int(action))
                if terminated or truncated:
                    demo.reward = float(reward)
                    break
        except Exception as exc:  # noqa: BLE001 - the bot fails on some seeds; those are skipped
            log.debug("BabyAI bot failed on %s seed %d: %s", self.level, seed, exc)
            return None
        return demo if demo.reward > 0 else None
