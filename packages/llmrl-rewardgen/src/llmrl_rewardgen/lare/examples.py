"""HAND-WRITTEN latent functions of the kind a strong LLM writes, for LaRe's four MuJoCo tasks.

These were written by a person for llmrl, not generated: they let the decoder and
the RL half be used and tested without an API key. They are trusted code, so they
may run in-process (``worked_example(env_id)``); ``worked_example_source`` gives the
same function as source text for the sandboxed path.
"""

from __future__ import annotations

import inspect
import textwrap

import numpy as np

from llmrl_core import ConfigError
from llmrl_rewardgen.lare.evaluator import TrustedLatentFunction


def reacher(observation: np.ndarray, action: np.ndarray) -> list[np.ndarray]:
    """Hand-written. Reacher-v5: closeness to the target, arm speed near the target, effort."""
    import numpy as np

    dist = np.linalg.norm(observation[:, 8:10], axis=1, keepdims=True)
    closeness = -dist
    near = np.exp(-dist / 0.05)
    speed = np.linalg.norm(observation[:, 6:8], axis=1, keepdims=True)
    settle = -near * speed
    effort = -np.sum(np.square(action), axis=1, keepdims=True)
    return [closeness, near, settle, effort]


def half_cheetah(observation: np.ndarray, action: np.ndarray) -> list[np.ndarray]:
    """Hand-written. HalfCheetah-v5: forward speed, upright torso, steady height, effort."""
    import numpy as np

    forward = observation[:, 8:9]
    upright = -np.abs(observation[:, 1:2])
    bounce = -np.abs(observation[:, 9:10])
    effort = -np.sum(np.square(action), axis=1, keepdims=True)
    return [forward, upright, bounce, effort]


def walker2d(observation: np.ndarray, action: np.ndarray) -> list[np.ndarray]:
    """Hand-written. Walker2d-v5: forward speed, margins to the unhealthy height/angle, upright torso, effort.

    A 0/1 "healthy" flag would be constant on every state the agent sees (the episode ends when it
    would turn 0), so the margins to the termination bounds carry that information instead.
    """
    import numpy as np

    forward = observation[:, 8:9]
    height = observation[:, 0:1]
    angle = observation[:, 1:2]
    height_margin = np.clip(np.minimum(height - 0.8, 2.0 - height), -1.0, 1.0)
    angle_margin = 1.0 - np.abs(angle)
    upright = -np.square(angle)
    effort = -np.sum(np.square(action), axis=1, keepdims=True)
    return [forward, height_margin, angle_margin, upright, effort]


def humanoid_standup(observation: np.ndarray, action: np.ndarray) -> list[np.ndarray]:
    """Hand-written. HumanoidStandup-v5: torso height, rising speed, uprightness, effort, impacts."""
    import numpy as np

    height = observation[:, 0:1]
    rising = observation[:, 24:25]
    quat_w = observation[:, 1:2]
    upright = np.square(quat_w)  # 1 when the torso's orientation is near the upright reference
    effort = -np.sum(np.square(action), axis=1, keepdims=True)
    impact = -np.minimum(np.sum(np.square(observation[:, 270:348]), axis=1, keepdims=True), 10.0)
    return [height, rising, upright, effort, impact]


EXAMPLES = {
    "Reacher-v5": (reacher, 4),
    "HalfCheetah-v5": (half_cheetah, 4),
    "Walker2d-v5": (walker2d, 5),
    "HumanoidStandup-v5": (humanoid_standup, 5),
}


def _lookup(env_id: str):
    key = env_id.replace("-v4", "-v5")
    if key not in EXAMPLES:
        raise ConfigError(
            f"no worked latent-function example for {env_id!r}; there are examples for {', '.join(EXAMPLES)}. "
            "Generate one with `llmrl lare generate --env ...` or use `--baseline rrd-state`."
        )
    return EXAMPLES[key]


def worked_example(env_id: str) -> TrustedLatentFunction:
    """The hand-written latent function of ``env_id``, evaluated in-process (trusted code)."""
    fn, k = _lookup(env_id)
    return TrustedLatentFunction(fn, k, name=f"worked-example:{fn.__name__}")


def worked_example_source(env_id: str) -> str:
    """The same function as an ``evaluation_func`` source, for the sandboxed path and the cache."""
    fn, _ = _lookup(env_id)
    src = textwrap.dedent(inspect.getsource(fn))
    return "import numpy as np\n\n" + src.replace(f"def {fn.__name__}(", "def evaluation_func(", 1)
