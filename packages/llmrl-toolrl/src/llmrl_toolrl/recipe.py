"""ToRL as a recipe on llmrl-grpo's training entry point.

What ToRL changes: the prompts are plain text (``tools.prompt_template``), generation is the
stop-execute-continue loop in a sandbox (a TRL ``rollout_func``; tool output masked from the
loss), the reward is +1 / −1 (+ the optional exec penalty), and the held-out eval runs the
tool loop too. Everything else (run directory, resume, trainer, metrics, plots) is
``llmrl_grpo.train``'s.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from llmrl_core.events import Reporter
from llmrl_core.task import TaskExample
from llmrl_grpo.generation import PolicyGenerator
from llmrl_grpo.recipe import Recipe, RewardFunc
from llmrl_toolrl.config import ToRLTrainConfig


class ToRLRecipe(Recipe):
    """Tool-integrated RL: the sandbox opens before the model loads, so a broken one fails fast."""

    name = "toolrl"
    accuracy_metric = "tools/accuracy"
    cfg: ToRLTrainConfig

    @contextmanager
    def resources(self) -> Iterator[None]:
        from llmrl_toolrl.rollout import open_sandbox

        self.report("status", message=f"opening the {self.cfg.tools.sandbox!r} sandbox")
        self.sandbox = open_sandbox(self.cfg.tools)  # an unusable sandbox stops the run here, with the reason
        try:
            yield
        finally:
            self.sandbox.close()

    def dataset(self, examples: list[TaskExample]) -> Any:
        from datasets import Dataset

        return Dataset.from_dict({
            "prompt": [self.cfg.tools.render(e.prompt) for e in examples],
            "answer": [str(e.reference) for e in examples],
            "id": [e.id for e in examples],
        })

    def rewards(self, tokenizer: Any) -> list[tuple[RewardFunc, float]]:
        from llmrl_toolrl.rewards import ToolReward

        self.reward = ToolReward(self.cfg.exec_penalty)
        return [(self.reward, 1.0)]

    def rollout_func(self, generator: PolicyGenerator) -> Callable[[list[Any], Any], dict[str, list]]:
        from llmrl_toolrl.trl_rollout import make_rollout_func

        gen = self.cfg.generation
        return make_rollout_func(self.cfg.tools, self.sandbox, max_completion_length=gen.max_completion_length,
                                 temperature=gen.temperature, top_p=gen.top_p, generator=generator)

    def step_metrics(self) -> dict[str, Any]:
        from llmrl_grpo.metrics import scored_batch_metrics

        return scored_batch_metrics(self.reward)

    def evaluate(self, model: Any, tokenizer: Any, examples: list[TaskExample],
                 status: Callable[[str], None]) -> dict[str, float]:
        return evaluate_with_tools(model, tokenizer, examples, self.cfg, self.sandbox)


def evaluate_with_tools(model: Any, tokenizer: Any, examples: list, cfg: ToRLTrainConfig, sandbox: Any) -> dict[str, float]:
    """Greedy accuracy with the tool loop on the first ``eval.num_prompts`` examples, plus the tool metrics."""
    from llmrl_core import SamplingParams
    from llmrl_grpo.sampler import ModelSampler
    from llmrl_toolrl.rewards import ToolReward, tool_metrics
    from llmrl_toolrl.rollout import rollout

    examples = examples[: cfg.eval.num_prompts]
    max_new = cfg.eval.max_new_tokens or cfg.generation.max_completion_length
    trajs = rollout(ModelSampler(model, tokenizer, batch_size=cfg.eval.batch_size),
                    [cfg.tools.render(e.prompt) for e in examples], sandbox, cfg.tools,
                    SamplingParams(temperature=0.0, max_tokens=max_new), max_completion_tokens=max_new)
    reward = ToolReward()
    accuracy = [reward.accuracy(t.text, str(e.reference)) for t, e in zip(trajs, examples, strict=True)]
    statuses = [[c.status for c in t.calls] for t in trajs]
    metrics = tool_metrics(statuses, accuracy, [len(t.completion_ids) for t in trajs])
    return {"num_prompts": float(len(examples)), "pass@1_greedy": metrics.pop("tools/accuracy"), **metrics}


def train(cfg: ToRLTrainConfig, *, resume: bool = False, report: Reporter | None = None,
          callbacks: list | None = None, generator: PolicyGenerator | None = None) -> dict[str, Any]:
    """``llmrl_grpo.train`` with :class:`ToRLRecipe`: train with the tool loop, evaluate before and after."""
    from llmrl_grpo.run import train as train_recipe

    return train_recipe(cfg, ToRLRecipe, resume=resume, report=report, callbacks=callbacks, generator=generator)
