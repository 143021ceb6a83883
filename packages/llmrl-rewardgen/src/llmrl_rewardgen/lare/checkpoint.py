"""Resumable LaRe training: a killed ``llmrl lare train`` continues from its last checkpoint.

Stable-Baselines3's own ``save`` keeps the networks but not the replay buffer's LaRe state,
the decoder, the random streams or the episode in progress, so a run resumed from it would
silently differ from an uninterrupted one. A checkpoint here is taken only where an episode
has just ended and the policy update of that step is done; it then holds

- the agent: networks, optimisers, SAC's entropy coefficient, counters, the episode buffer;
- the replay buffer's arrays with their factors and finished episodes, and the decoder;
- every random stream: torch's, numpy's (minibatches, TD3's noise), Python's, the action
  space's (warm-up actions) and the environment's as it was *before* its last reset.

Resuming rebuilds the run as new, loads all of this, and resets the environment from that
saved stream, which gives the same start state as the reset it replaces. The resumed run then
takes the very steps the uninterrupted one takes. One file, ``checkpoints/step-N.pt``, written
atomically; the older one is removed.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from llmrl_core.runs import numbered_files, replace_numbered_file

BUFFER_FIELDS = ("observations", "next_observations", "actions", "rewards", "dones", "timeouts", "pos", "full",
                 "buffer_size")  # the saved capacity: a resume with more --steps keeps it (a FIFO from then on)
LATENT_BUFFER_FIELDS = ("factors", "labelled", "_open", "_samples", "last_decoder_loss")
AGENT_FIELDS = ("num_timesteps", "_n_updates", "_episode_num", "_last_episode_starts", "ep_info_buffer",
                "ep_success_buffer", "_current_progress_remaining")


class ResetRngRecorder(gym.Wrapper):
    """Remembers the environment's random state just before each reset: what a resumed run resets from."""

    def __init__(self, env: gym.Env):
        super().__init__(env)
        self.rng_before_reset: dict[str, Any] | None = None

    def reset(self, **kwargs: Any):
        self.rng_before_reset = self.env.unwrapped.np_random.bit_generator.state
        return self.env.reset(**kwargs)


def _attr(obj: Any, dotted: str) -> Any:
    for name in dotted.split("."):
        obj = getattr(obj, name)
    return obj


def capture(model, decoder, recorder: ResetRngRecorder, extra: dict[str, Any]) -> dict[str, Any]:
    """The whole training state at an episode boundary (after that step's update)."""
    import torch

    state_dicts, variables = model._get_torch_save_params()
    buffer = model.replay_buffer
    fields = BUFFER_FIELDS + (LATENT_BUFFER_FIELDS if decoder is not None else ())
    state = {
        "params": {name: _attr(model, name).state_dict() for name in state_dicts},
        "variables": {name: _attr(model, name).detach().clone() for name in variables},
        "agent": {name: getattr(model, name) for name in AGENT_FIELDS},
        "buffer": {name: getattr(buffer, name) for name in fields},
        "episodes": list(buffer.store.episodes) if decoder is not None else None,
        "decoder": decoder.state_dict() if decoder is not None else None,
        "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate(),
                "action_space": model.action_space.np_random.bit_generator.state,
                "env_before_reset": recorder.rng_before_reset},
        "extra": extra,
    }
    return state


def restore(model, decoder, recorder: ResetRngRecorder, state: dict[str, Any]) -> dict[str, Any]:
    """Load ``state`` into a freshly built run (same config) and reset its env as the saved run did; return ``extra``."""
    import torch

    for name, params in state["params"].items():
        _attr(model, name).load_state_dict(params)
    with torch.no_grad():
        for name, value in state["variables"].items():
            _attr(model, name).copy_(value)
    for name, value in state["agent"].items():
        setattr(model, name, value)
    buffer = model.replay_buffer
    for name, value in state["buffer"].items():
        setattr(buffer, name, value)
    if decoder is not None:
        buffer.store.episodes.clear()
        buffer.store.steps, buffer.store.max_steps = 0, buffer.buffer_size * buffer.n_envs
        for factors, episode_return in state["episodes"]:
            buffer.store.add(factors, episode_return)
        decoder.load_state_dict(state["decoder"])
    rng = state["rng"]
    recorder.unwrapped.np_random.bit_generator.state = rng["env_before_reset"]
    # the same start state as the saved run's last reset (through the env itself: the vec env would reseed it)
    obs, _ = model.env.envs[0].reset()
    model._last_obs = np.asarray(obs, dtype=model.observation_space.dtype)[None]
    torch.set_rng_state(rng["torch"])
    np.random.set_state(rng["numpy"])
    random.setstate(rng["python"])
    model.action_space.np_random.bit_generator.state = rng["action_space"]
    return state["extra"]


def latest(directory: Path) -> Path | None:
    paths = numbered_files(directory, "step")
    return paths[-1] if paths else None


def save(directory: Path, step: int, state: dict[str, Any]) -> Path:
    """Write ``checkpoints/step-N.pt`` atomically (a killed write leaves the last one intact); drop older ones."""
    import torch

    return replace_numbered_file(directory, "step", step, lambda path: torch.save(state, path))


def load(path: Path) -> dict[str, Any]:
    """A checkpoint this run wrote (it holds numpy arrays and Python objects: only load your own run's files)."""
    import torch

    return torch.load(path, map_location="cpu", weights_only=False)
