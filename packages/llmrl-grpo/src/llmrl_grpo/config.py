"""The run configuration: one pydantic model, filled from a YAML/TOML file and CLI flags.

The defaults are the README's main job: the embedded SmolLM2-135M learning one-digit
arithmetic on a 2-core CPU in about ten minutes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Mode = Literal["maye", "grpo"]

DEFAULT_INSTRUCTION = "{question} Answer with just the number."
BOXED_INSTRUCTION = "{question}\nShow your solution, then put the final answer in \\boxed{{}}."


class RewardConfig(BaseModel):
    """Reward components and their weights (MAYE: accuracy + language + truncation; no format)."""

    model_config = ConfigDict(extra="forbid")

    accuracy_weight: float = 1.0
    language: str | None = Field("en", description="Target language of the language penalty; null turns it off.")
    language_coef: float = Field(0.1, ge=0.0, description="Penalty per unit share of penalised characters.")
    language_scope: Literal["cjk", "foreign"] = Field(
        "cjk", description="Characters the language penalty counts: cjk (MAYE: CJK characters) or foreign (any "
        "script other than the target language's, so an English answer's π counts too).")
    sympy_judge: bool = Field(
        True, description="Accuracy: when math-verify does not find an answer right, ask MAYE's sympy judge about "
        "the boxed answer of the last sentence with 'boxed' (false: math-verify alone).")
    truncation_penalty: float | None = Field(-0.1, description="Reward of a response cut at the token limit; null: off.")
    format_weight: float = Field(0.0, ge=0.0, description="Weight of MAYE's <think> format reward; 0 (the default) turns it off.")

    @model_validator(mode="after")
    def _check_language(self) -> RewardConfig:
        from llmrl_grpo.rewards import LANGUAGE_SCRIPTS

        if self.language is not None:
            if self.language not in LANGUAGE_SCRIPTS:
                raise ValueError(f"unknown language {self.language!r}; known: {', '.join(sorted(LANGUAGE_SCRIPTS))}")
            if self.language_scope == "cjk" and LANGUAGE_SCRIPTS[self.language] == "cjk":
                raise ValueError(f"language_scope 'cjk' would penalise {self.language!r} itself; use language_scope=foreign")
        return self


class EvalConfig(BaseModel):
    """Held-out evaluation: MAYE's three metrics on the first ``num_prompts`` test questions."""

    model_config = ConfigDict(extra="forbid")

    num_prompts: int = Field(100, ge=1)
    pass_k: int = Field(8, ge=1, description="Samples per prompt for pass@k at T = 1.0.")
    metrics: list[Literal["pass@k", "pass@1_t0.6", "pass@1_greedy"]] = Field(
        default_factory=lambda: ["pass@k", "pass@1_t0.6", "pass@1_greedy"]
    )
    batch_size: int = Field(100, ge=1)
    max_new_tokens: int | None = Field(None, ge=1, description="Defaults to the training max_completion_length.")


class TrainConfig(BaseModel):
    """Everything a run needs; saved resolved as ``config.yaml`` in the run directory."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field("smollm2-135m", description="Alias, local directory, .gguf file or cached Hugging Face id.")
    task: str = Field("arithmetic", description="A task name from `llmrl plugins` (llmrl_tasks hook).")
    task_config: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments of the task.")
    mode: Mode = Field("maye", description="maye: 1 response/prompt, batch-normalised; grpo: n/prompt, group-normalised.")
    output: str = Field("runs/grpo", description="Run directory: config, metrics.jsonl, checkpoints, curves, eval.")
    seed: int = 0
    backend: str | None = Field(None, description="llmrl backend name; null picks the best available.")

    steps: int = Field(5, ge=1, description="Optimiser steps (one generation batch each).")
    completions_per_step: int = Field(32, ge=2, description="Responses sampled per step (prompts × responses per prompt).")
    num_generations: int = Field(8, ge=2, description="grpo mode: responses per prompt (maye mode: always 1).")
    max_completion_length: int = Field(16, ge=1)
    temperature: float = Field(1.0, gt=0.0)
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    instruction: str = Field(DEFAULT_INSTRUCTION, description="User message; {question} is replaced by the task prompt.")
    system_prompt: str | None = None

    learning_rate: float = Field(6e-5, gt=0.0)
    beta: float = Field(0.001, ge=0.0, description="k3 KL coefficient (a loss term, not in the reward).")
    epsilon: float = Field(0.2, gt=0.0, description="PPO clip range.")
    num_iterations: int = Field(1, ge=1, description="PPO epochs over each generation batch.")
    weight_decay: float = 0.01
    warmup_ratio: float = Field(0.0, ge=0.0, lt=1.0)
    lr_scheduler: str = "constant"
    max_grad_norm: float = 1.0
    maye_keep_mean: bool = Field(
        False, description="maye mode: add the batch mean back after whitening, exactly as MAYE's code (default: centred)."
    )

    rewards: RewardConfig = Field(default_factory=RewardConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    eval_before: bool = True
    eval_after: bool = True
    save_steps: int = Field(5, ge=1, description="Checkpoint every this many steps (final/ holds the model at the end).")
    freeze_vision: bool = Field(True, description="VLMs: freeze the vision tower and projector.")

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if "{question}" not in self.instruction:
            raise ValueError("instruction must contain {question}, where the task's question goes")
        if self.mode == "grpo" and self.num_generations < 2:
            raise ValueError("grpo mode needs num_generations >= 2 (a group baseline); use mode=maye for one per prompt")
        if self.completions_per_step % self.generations:
            raise ValueError(
                f"completions_per_step ({self.completions_per_step}) must be a multiple of num_generations "
                f"({self.num_generations}) in grpo mode, so every prompt gets a full group"
            )
        return self

    @property
    def generations(self) -> int:
        """Responses per prompt actually sampled: 1 in maye mode."""
        return 1 if self.mode == "maye" else self.num_generations

    @property
    def prompts_per_step(self) -> int:
        return self.completions_per_step // self.generations
