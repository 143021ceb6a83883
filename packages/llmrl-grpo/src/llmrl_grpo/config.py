"""Run configuration, in parts that a recipe's config composes.

==================  =====================  ========================================================
part                where in the config    read by
==================  =====================  ========================================================
model / run         top-level fields       ``llmrl_grpo.train`` (:class:`RecipeConfig`)
optimisation / PPO  ``optim``              ``llmrl_grpo.train`` (TRL's optimiser and PPO loss)
generation          ``generation``         ``llmrl_grpo.train`` (sampling during training)
evaluation          ``eval``               ``llmrl_grpo.train`` (when) and the recipe (what)
rewards             ``rewards``            the GRPO recipe only
==================  =====================  ========================================================

:class:`RecipeConfig` holds exactly what the training entry point reads; a recipe's config
subclasses it and adds its own parts (:class:`GRPOTrainConfig` adds the instruction and
``rewards``; ToRL's adds ``tools``), so no field is there that nothing reads. The defaults
are the README's main job: the embedded SmolLM2-135M learning one-digit arithmetic on a
2-core CPU in minutes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["maye", "grpo"]
GenerationBackend = Literal["hf", "vllm-colocate", "vllm-server"]

DEFAULT_INSTRUCTION = "{question} Answer with just the number."
BOXED_INSTRUCTION = "{question}\nShow your solution, then put the final answer in \\boxed{{}}."


class OptimConfig(BaseModel):
    """Optimisation and the PPO loss (TRL's GRPOConfig fields of the same meaning)."""

    model_config = ConfigDict(extra="forbid")

    learning_rate: float = Field(6e-5, gt=0.0, description="AdamW learning rate.")
    beta: float = Field(0.001, ge=0.0, description="k3 KL coefficient (a loss term, not in the reward).")
    epsilon: float = Field(0.2, gt=0.0, description="PPO clip range.")
    updates_per_generation: int = Field(
        2, ge=1, description="PPO updates (optimiser steps) on each generation batch (MAYE: 32): the batch is split "
        "into updates_per_generation / num_iterations mini-batches, each used num_iterations times. Above 1 the policy "
        "moves within a batch, so the importance ratio leaves 1 and the PPO clip acts; 1 makes each step plain "
        "policy gradient. TRL's steps_per_generation (the mini-batches) and num_iterations underneath.")
    num_iterations: int = Field(1, ge=1, description="PPO epochs over each generation batch (divides updates_per_generation).")
    weight_decay: float = Field(0.01, ge=0.0, description="AdamW weight decay.")
    warmup_ratio: float = Field(0.0, ge=0.0, lt=1.0, description="Share of the steps spent warming the learning rate up.")
    lr_scheduler: str = Field("constant", description="A transformers scheduler name (constant, cosine, linear, ...).")
    max_grad_norm: float = Field(1.0, gt=0.0, description="Gradient clipping norm.")
    maye_keep_mean: bool = Field(
        False, description="maye mode: add the batch mean back after whitening, exactly as MAYE's code (default: centred)."
    )

    @model_validator(mode="after")
    def _check_updates(self) -> OptimConfig:
        if self.updates_per_generation % self.num_iterations:
            raise ValueError(f"updates_per_generation ({self.updates_per_generation}) must be a multiple of "
                             f"num_iterations ({self.num_iterations}): each epoch takes the same mini-batches")
        return self

    @property
    def minibatches(self) -> int:
        """Mini-batches a generation batch is split into (TRL's ``steps_per_generation``)."""
        return self.updates_per_generation // self.num_iterations


class GenerationConfig(BaseModel):
    """What is sampled during training, per optimiser step."""

    model_config = ConfigDict(extra="forbid")

    completions_per_step: int = Field(
        32, ge=2, description="Responses sampled per step, over all processes (prompts × responses per prompt).")
    num_generations: int = Field(8, ge=2, description="grpo mode: responses per prompt (maye mode: always 1).")
    max_completion_length: int = Field(16, ge=1, description="Tokens per response.")
    temperature: float = Field(1.0, gt=0.0, description="Sampling temperature.")
    top_p: float = Field(1.0, gt=0.0, le=1.0, description="Nucleus sampling: keep the smallest token set of this mass.")
    backend: GenerationBackend = Field(
        "hf", description="hf: transformers in the training process (the default; the only one without a GPU); "
        "vllm-colocate: vLLM in each training process on its GPU; vllm-server: a `trl vllm-serve` server.",
    )
    vllm_gpu_memory_utilization: float = Field(
        0.3, gt=0.0, le=1.0, description="vllm-colocate: share of the GPU's memory vLLM takes (TRL's knob).")
    vllm_tensor_parallel_size: int = Field(
        1, ge=1, description="vllm-colocate: GPUs one vLLM engine spans; must divide the number of processes.")
    vllm_server_base_url: str | None = Field(
        None, description="vllm-server: the server's URL (e.g. http://gen-node:8000); null: http://0.0.0.0:8000.")
    vllm_server_timeout: float = Field(240.0, gt=0.0, description="vllm-server: seconds to wait for the server to be up.")
    vllm_max_model_length: int | None = Field(
        None, ge=1, description="vLLM's context length (prompt + completion); null: the model's.")
    vllm_enable_sleep_mode: bool = Field(
        False, description="vllm-colocate: offload vLLM's weights and cache during the optimiser step (less memory).")
    vllm_args: dict[str, Any] = Field(
        default_factory=dict, description="Any other of TRL's GRPOConfig vllm_* fields, passed through unchanged.")

    @field_validator("vllm_args")
    @classmethod
    def _only_vllm_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        bad = sorted(k for k in value if not k.startswith("vllm_"))
        if bad:
            raise ValueError(f"vllm_args takes TRL's GRPOConfig vllm_* fields only; got {', '.join(bad)}")
        return value


class HeldOutConfig(BaseModel):
    """When and on how much the held-out evaluation runs (what it measures is the recipe's)."""

    model_config = ConfigDict(extra="forbid")

    before: bool = Field(True, description="Evaluate the model before training.")
    after: bool = Field(True, description="Evaluate the trained model.")
    num_prompts: int = Field(100, ge=1, description="Held-out prompts: the first this many of the test split.")
    batch_size: int = Field(100, ge=1, description="Responses generated together.")
    max_new_tokens: int | None = Field(None, ge=1, description="Defaults to generation.max_completion_length.")
    wait_timeout_s: float = Field(
        7200.0, gt=0, description="Several processes: how long the other ranks wait for rank 0's held-out evaluation.")


class EvalConfig(HeldOutConfig):
    """The GRPO recipe's held-out evaluation: MAYE's three metrics."""

    pass_k: int = Field(8, ge=1, description="Samples per prompt for pass@k at T = 1.0.")
    metrics: list[Literal["pass@k", "pass@1_t0.6", "pass@1_greedy"]] = Field(
        default_factory=lambda: ["pass@k", "pass@1_t0.6", "pass@1_greedy"],
        description="pass@k: pass@pass_k at T = 1.0; pass@1_t0.6; pass@1_greedy.",
    )


class RewardConfig(BaseModel):
    """Reward components and their weights (MAYE: accuracy + language + truncation; no format)."""

    model_config = ConfigDict(extra="forbid")

    accuracy_weight: float = Field(1.0, description="Weight of the accuracy reward (+1 right, 0 wrong).")
    language: str | None = Field("en", description="Target language of the language penalty; null turns it off.")
    language_coef: float = Field(0.1, ge=0.0, description="Penalty per unit share of penalised characters.")
    language_scope: Literal["cjk", "foreign"] = Field(
        "cjk", description="Characters the language penalty counts: cjk (MAYE: CJK characters) or foreign (any "
        "script other than the target language's, so an English answer's π counts too).")
    sympy_judge: bool = Field(
        True, description="Accuracy: when math-verify does not find an answer right, ask MAYE's sympy judge about "
        "the boxed answer of the last sentence with 'boxed' (false: math-verify alone).")
    numbers_only: bool = Field(
        False, description="Accuracy: when the reference is a number, an unevaluated expression (\\boxed{47 * 83}) "
        "scores 0 instead of being evaluated by the judges (false, the default: MAYE's judges exactly; held-out "
        "evaluations count such answers as expression_answers either way).")
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


class RecipeConfig(BaseModel):
    """What ``llmrl_grpo.train`` reads: the model/run fields and the optim, generation and eval parts.

    A recipe's config subclasses this and adds its own fields; it may narrow a part to a
    subclass (another default, more fields), never drop one.
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field("smollm2-135m", description="Alias, local directory, .gguf file or cached Hugging Face id.")
    task: str = Field("arithmetic", description="A task name from `llmrl plugins` (llmrl_tasks hook).")
    task_config: dict[str, Any] = Field(default_factory=dict, description="Keyword arguments of the task.")
    mode: Mode = Field("maye", description="maye: 1 response/prompt, batch-normalised; grpo: n/prompt, group-normalised.")
    output: str = Field("runs/grpo", description="Run directory: config, metrics.jsonl, checkpoints, curves, eval.")
    seed: int = Field(0, description="Seed of the model init, data order and sampling.")
    backend: str | None = Field(None, description="llmrl backend name; null picks the best available.")
    steps: int = Field(5, ge=1, description="Generation steps: each samples one batch and takes "
                       "optim.updates_per_generation optimiser steps on it (metrics.jsonl has one line per step).")
    save_steps: int = Field(5, ge=1, description="Checkpoint every this many (generation) steps (final/ holds the "
                            "model at the end).")
    preset: str | None = Field(
        None, description="A named set of defaults applied under everything given explicitly (maye-paper: MAYE's "
        "hyper-parameters; see llmrl_grpo.presets); null: the CPU defaults.")
    freeze_vision: bool = Field(True, description="VLMs: freeze the vision tower and projector.")

    optim: OptimConfig = Field(default_factory=OptimConfig, description="Optimisation and the PPO loss.")
    generation: GenerationConfig = Field(default_factory=GenerationConfig, description="Sampling during training.")
    eval: HeldOutConfig = Field(default_factory=HeldOutConfig, description="Held-out evaluation before and after.")

    @model_validator(mode="before")
    @classmethod
    def _preset_and_moved_fields(cls, data: Any) -> Any:
        """``preset``: its values go under the ones given (a field given explicitly wins). A field given
        at the top level that lives in a part: say where (``learning_rate`` -> ``optim``)."""
        if isinstance(data, dict) and data.get("preset") is not None:
            from llmrl_core.runs import merge_nested
            from llmrl_grpo.presets import preset_values

            data = merge_nested(preset_values(data["preset"], cls), data)
        if isinstance(data, dict):
            for key in data:
                if key in cls.model_fields:
                    continue
                part = next((name for name, info in cls.model_fields.items() if isinstance(info.annotation, type)
                             and issubclass(info.annotation, BaseModel) and key in info.annotation.model_fields), None)
                if part is not None:
                    raise ValueError(f"{key!r} belongs to the {part!r} part: set {part}.{key} (e.g. --set {part}.{key}=...)")
        return data

    @model_validator(mode="after")
    def _check_batch(self) -> RecipeConfig:
        gen = self.generation
        if self.mode == "grpo" and gen.num_generations < 2:
            raise ValueError("grpo mode needs num_generations >= 2 (a group baseline); use mode=maye for one per prompt")
        if gen.completions_per_step % self.generations:
            raise ValueError(
                f"generation.completions_per_step ({gen.completions_per_step}) must be a multiple of "
                f"generation.num_generations ({gen.num_generations}) in grpo mode, so every prompt gets a full group"
            )
        if gen.completions_per_step % self.optim.minibatches:
            raise ValueError(
                f"generation.completions_per_step ({gen.completions_per_step}) must split into "
                f"optim.updates_per_generation / optim.num_iterations = {self.optim.minibatches} equal mini-batches"
            )
        return self

    @property
    def optimizer_steps(self) -> int:
        """Optimiser steps of the whole run (TRL's ``max_steps``)."""
        return self.steps * self.optim.updates_per_generation

    @property
    def generations(self) -> int:
        """Responses per prompt actually sampled: 1 in maye mode."""
        return 1 if self.mode == "maye" else self.generation.num_generations

    @property
    def prompts_per_step(self) -> int:
        return self.generation.completions_per_step // self.generations


class GRPOTrainConfig(RecipeConfig):
    """``llmrl grpo train``: MAYE/GRPO with rule-based rewards; saved resolved as ``config.yaml``."""

    instruction: str = Field(DEFAULT_INSTRUCTION, description="User message; {question} is replaced by the task prompt.")
    system_prompt: str | None = Field(None, description="System message before the question; null: none.")
    rewards: RewardConfig = Field(default_factory=RewardConfig, description="Reward components and weights.")
    eval: EvalConfig = Field(default_factory=EvalConfig, description="Held-out evaluation with MAYE's metrics.")

    @model_validator(mode="after")
    def _check_instruction(self) -> GRPOTrainConfig:
        if "{question}" not in self.instruction:
            raise ValueError("instruction must contain {question}, where the task's question goes")
        return self


CLI_ALIASES = {
    "learning-rate": "optim.learning_rate",
    "completions-per-step": "generation.completions_per_step",
    "num-generations": "generation.num_generations",
    "max-completion-length": "generation.max_completion_length",
    "temperature": "generation.temperature",
    "eval-prompts": "eval.num_prompts",
}
"""Flags for the most used fields inside parts (the run kit's ``aliases``); ``--set`` reaches every field."""
