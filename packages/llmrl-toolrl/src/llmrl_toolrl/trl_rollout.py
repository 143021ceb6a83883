"""The ToRL loop as a TRL ``rollout_func``: ``(prompts, trainer) -> dict``.

TRL (>= 1.x) calls it with this process's prompts (already repeated ``num_generations``
times by its sampler) and expects one completion per prompt: ``prompt_ids``,
``completion_ids``, ``logprobs``, and here ``env_mask`` (1 = model token, 0 = tool output),
which TRL turns into its tool mask: tool output is left out of the loss (and KL/entropy)
but stays in the sequence the model attends to. Other keys reach the reward functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmrl_core import SamplingParams, Sandbox
from llmrl_grpo.generation import PolicyGenerator
from llmrl_toolrl.config import ToolConfig
from llmrl_toolrl.rollout import RolloutTimings, Trajectory, rollout


def make_rollout_func(
    tools: ToolConfig, sandbox: Sandbox, *, max_completion_length: int, temperature: float = 1.0, top_p: float = 1.0,
    on_batch: Callable[[list[Trajectory], RolloutTimings], None] | None = None, overlap_chunk: int | None = None,
    generator: PolicyGenerator | None = None,
) -> Callable[[list[Any], Any], dict[str, list]]:
    """A rollout_func sampling from the trainer's current weights with the tool loop.

    ``generator`` (``llmrl_grpo.generation``; default: ``hf``, the trainer's model in this process) is the
    engine: its sampler for this step drives the loop (a KV-cached session on ``hf``, one vLLM call per
    turn on the vLLM backends).
    """
    if generator is None:
        from llmrl_grpo.generation import HFGenerator

        generator = HFGenerator()

    def rollout_func(prompts: list[Any], trainer: Any) -> dict[str, list]:
        if not all(isinstance(p, str) for p in prompts):
            raise TypeError("the ToRL rollout_func expects rendered text prompts (a `prompt` column of strings)")
        params = SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_completion_length)
        timings = RolloutTimings()
        trajs = rollout(generator.sampler(trainer), list(prompts), sandbox, tools, params,
                        max_completion_tokens=max_completion_length, timings=timings, overlap_chunk=overlap_chunk)
        if on_batch:
            on_batch(trajs, timings)
        return to_trl(trajs)

    return rollout_func


def to_trl(trajs: list[Trajectory]) -> dict[str, list]:
    """The dict TRL reads: ids, logprobs, env_mask, plus per-response tool statuses for the reward."""
    return {
        "prompt_ids": [t.prompt_ids for t in trajs],
        "completion_ids": [t.completion_ids for t in trajs],
        "logprobs": [t.logprobs for t in trajs],
        "env_mask": [t.env_mask for t in trajs],
        "tool_statuses": [[c.status for c in t.calls] for t in trajs],
        "response_tokens": [len(t.completion_ids) for t in trajs],
    }
