"""A recipe: the parts of an RL method that :func:`llmrl_grpo.train` does not fix.

``train`` owns the run: the run directory and ``--resume``, the task's splits, the model, TRL's
``GRPOTrainer`` in maye or grpo mode (optimiser, PPO loss, KL, checkpoints, data order),
``metrics.jsonl``, the held-out evals before and after, ``summary.md`` and ``curves.png``.
A recipe fills in what differs between methods:

==================  ============================================================================
part                what it returns
==================  ============================================================================
``resources``       a context manager opened before the model loads (a sandbox: fail fast)
``dataset``         the training rows: ``prompt`` plus the columns the rewards read
``rewards``         ``(reward function, weight)`` pairs (TRL reward functions)
``rollout_func``    TRL's ``rollout_func(prompts, trainer)`` on the run's generator, or None: TRL generates
``callbacks``       extra ``TrainerCallback`` objects
``step_metrics``    extra fields of each step's ``metrics.jsonl`` line
``evaluate``        the held-out metrics of a model on test examples
==================  ============================================================================

:class:`GRPORecipe` is MAYE/GRPO with rule-based rewards (``llmrl grpo train``); ToRL's recipe
(``llmrl_toolrl.recipe.ToRLRecipe``) adds a sandbox, the tool loop as the rollout and its reward.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from llmrl_core.events import Reporter, or_silent
from llmrl_core.task import TaskExample
from llmrl_grpo.config import GRPOTrainConfig, RecipeConfig
from llmrl_grpo.generation import PolicyGenerator

RewardFunc = Callable[..., list[float]]
"""A TRL reward function: ``f(prompts, completions, **columns) -> list[float]``."""


class Recipe(ABC):
    """One RL method on llmrl-grpo's trainer; ``train(cfg, MyRecipe)`` builds it with the resolved config.

    Override ``dataset``, ``rewards`` and ``evaluate``; the other parts have defaults that add
    nothing. ``self.report`` is the run's reporter (``llmrl_core.events``).
    """

    name = "recipe"
    """Shown in summary.md."""
    accuracy_metric = "rewards/accuracy/mean"
    """The metrics.jsonl key drawn as train accuracy in curves.png."""

    def __init__(self, cfg: RecipeConfig, report: Reporter | None = None) -> None:
        self.cfg = cfg
        self.report = or_silent(report)

    def resources(self) -> AbstractContextManager[Any]:
        """Opened before the model loads and closed when the run ends (a sandbox, a server)."""
        return nullcontext()

    @abstractmethod
    def dataset(self, examples: list[TaskExample]) -> Any:
        """The training rows (a ``datasets.Dataset``): ``prompt`` plus the columns the rewards read."""

    @abstractmethod
    def rewards(self, tokenizer: Any) -> list[tuple[RewardFunc, float]]:
        """The reward functions and their weights; a response's reward is the weighted sum."""

    def rollout_func(self, generator: PolicyGenerator) -> Callable[[list[Any], Any], dict[str, list]] | None:
        """TRL's ``rollout_func`` (generation with an environment in the loop), sampling through ``generator``
        (``generator.sampler(trainer)`` each step); None: TRL generates one turn."""
        return None

    def callbacks(self) -> list[Any]:
        """Extra ``transformers.TrainerCallback`` objects."""
        return []

    def step_metrics(self) -> dict[str, Any]:
        """Fields added to each step's ``metrics.jsonl`` line (called after the step is logged).

        Called on every rank at the same step: gather what a rank computed from its share of the batch
        (``llmrl_grpo.distributed.gather_lists``); rank 0 writes the line.
        """
        return {}

    @abstractmethod
    def evaluate(self, model: Any, tokenizer: Any, examples: list[TaskExample],
                 status: Callable[[str], None]) -> dict[str, float]:
        """Held-out metrics of ``model`` on ``examples`` (the first ``eval.num_prompts`` test examples).

        ``status(message)`` reports what it is doing; put ``pass@1_greedy`` first when there is one.
        Runs on rank 0 only (the other ranks wait), with the random state restored afterwards.
        """


def build_reward_funcs(cfg: GRPOTrainConfig, tokenizer: Any) -> tuple[list[Any], list[float]]:
    """The configured reward components and their weights (accuracy first)."""
    from llmrl_grpo.rewards import AccuracyReward, FormatReward, LanguageReward, TruncationPenalty

    funcs: list[Any] = [AccuracyReward(sympy_judge=cfg.rewards.sympy_judge, numbers_only=cfg.rewards.numbers_only)]
    weights = [cfg.rewards.accuracy_weight]
    if cfg.rewards.language:
        funcs.append(LanguageReward(cfg.rewards.language, cfg.rewards.language_coef, cfg.rewards.language_scope))
        weights.append(1.0)
    if cfg.rewards.truncation_penalty is not None:
        funcs.append(TruncationPenalty(cfg.generation.max_completion_length, tokenizer.eos_token_id,
                                       cfg.rewards.truncation_penalty))
        weights.append(1.0)
    if cfg.rewards.format_weight > 0:
        funcs.append(FormatReward())
        weights.append(cfg.rewards.format_weight)
    return funcs, weights


class GRPORecipe(Recipe):
    """MAYE / GRPO with rule-based rewards: chat prompts, accuracy + language + truncation (+ format)."""

    name = "grpo"
    cfg: GRPOTrainConfig

    def dataset(self, examples: list[TaskExample]) -> Any:
        from llmrl_grpo.data import to_dataset

        return to_dataset(examples, self.cfg.instruction, self.cfg.system_prompt)

    def rewards(self, tokenizer: Any) -> list[tuple[RewardFunc, float]]:
        funcs, weights = build_reward_funcs(self.cfg, tokenizer)
        self.accuracy = funcs[0]
        return list(zip(funcs, weights, strict=True))

    def step_metrics(self) -> dict[str, Any]:
        from llmrl_grpo.metrics import scored_batch_metrics

        return scored_batch_metrics(self.accuracy)

    def evaluate(self, model: Any, tokenizer: Any, examples: list[TaskExample],
                 status: Callable[[str], None]) -> dict[str, float]:
        from llmrl_grpo.evaluate import evaluate

        return evaluate(model, tokenizer, examples, self.cfg.eval, instruction=self.cfg.instruction,
                        system_prompt=self.cfg.system_prompt, max_new_tokens=self.cfg.generation.max_completion_length,
                        on_progress=status)
