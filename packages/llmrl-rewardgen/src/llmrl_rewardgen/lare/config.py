"""LaRe's settings: generation, validation, the ``llmrl lare generate`` and ``llmrl lare train`` runs.

Pydantic only, so the CLI (loaded on every ``llmrl`` start) can declare its commands from them
without importing numpy, torch or the sandbox machinery.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LATENT_FILE = "latent_function.json"
"""The accepted function in a generate run's directory (``llmrl lare train --latent PATH`` takes it)."""

Baseline = Literal["lare", "rrd-state", "episodic", "dense"]


class ValidationConfig(BaseModel):
    """Limits a latent function must respect on the validation batch."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(256, ge=4, description="States/actions in the validation batch.")
    max_seconds_per_batch: float = Field(
        1.0, gt=0, description="Slowest accepted evaluation of the whole validation batch (seconds)."
    )
    min_factor_std: float = Field(1e-8, ge=0, description="A factor whose std over the batch is below this is constant.")
    max_factors: int = Field(32, ge=1, description="Most factors accepted.")
    drop_bad_factors: bool = Field(
        True, description=(
            "Drop factors that are constant or non-finite on the validation batch and keep the rest (the function "
            "is rejected only when no factor is left); False rejects the whole function for one bad factor."
        ),
    )


class GenerateConfig(BaseModel):
    """LaRe generation settings (defaults: the paper's, with the action layout sent)."""

    model_config = ConfigDict(extra="forbid")

    n_candidates: int = Field(5, ge=1, le=32, description="Candidate answers sampled in one call (K).")
    grammar: Literal["auto", "on", "off"] = Field(
        "auto", description=(
            "Grammar-constrained decoding of every reply (an evaluation_func in a small numpy grammar): auto = on "
            "when the provider can constrain its decoding (transformers), off otherwise (e.g. openai)."
        ),
    )
    max_factors: int = Field(6, ge=1, le=16, description="With the grammar: most factors a reply may define.")
    candidate_temperature: float = Field(1.0, ge=0, description="Temperature of the candidates.")
    summary_temperature: float = Field(0.3, ge=0, description="Temperature of the summarising turn and repairs.")
    max_tokens: int = Field(1024, ge=16, description="Token budget per reply.")
    repair_budget: int = Field(5, ge=0, le=20, description="Repair rounds after the summarised answer.")
    seed: int = Field(0, description="Sampling seed and the seed of the validation batch.")
    timeout_s: float = Field(30.0, gt=0, description="Wall-clock limit of one validation program.")
    memory_mb: int = Field(1024, ge=128, description="Memory limit of one validation program (MB).")
    validation: ValidationConfig = Field(default_factory=ValidationConfig, description=(
        "Checks on a batch of real states (--set validation.batch_size=512, ...)."))


class LaReGenerateConfig(GenerateConfig):
    """``llmrl lare generate``: the generation settings, plus the task, the LLM, the sandbox and the run directory."""

    output: str = Field("runs/lare/generate-{time}", description=(
        f"Run directory: config.yaml, metrics.jsonl (one line per reply), summary.md, {LATENT_FILE}; "
        "{time} becomes the start time."))
    env: str = Field("HalfCheetah-v5", description="Gymnasium MuJoCo id (Reacher-v5, HalfCheetah-v5, Walker2d-v5, "
                     "HumanoidStandup-v5).")
    provider: str = Field("transformers", description="LLM provider (`llmrl plugins` lists them); transformers "
                          "runs the embedded SmolLM2-135M.")
    model: str | None = Field(None, description="Model name for the provider (None: the provider's default).")
    sandbox: str = Field("local", description="Sandbox that validates the LLM's code.")
    force: bool = Field(False, description="Ignore the cache and generate anew.")

    def generation(self) -> GenerateConfig:
        """The settings :func:`~llmrl_rewardgen.lare.generate.generate_latent_function` reads."""
        return GenerateConfig(**self.model_dump(include=set(GenerateConfig.model_fields)))


class LaReTrainConfig(BaseModel):
    """One training run. Defaults follow LaRe's MuJoCo setup, except the step budget (a CPU's)."""

    model_config = ConfigDict(extra="forbid")

    output: str = Field("runs/lare/train-{time}", description=(
        "Run directory: config.yaml, metrics.jsonl (one line per training episode), eval.jsonl, curves.png, "
        "summary.md, agent.zip (the trained agent), checkpoints/; {time} becomes the start time."))
    env: str = Field("HalfCheetah-v5", description=(
        "Gymnasium MuJoCo id (Reacher-v5, HalfCheetah-v5, Walker2d-v5, HumanoidStandup-v5); trained on its "
        "episodic-reward llmrl/Episodic<id> (llmrl-env-mujoco), evaluated on the dense task."))
    algo: Literal["td3", "sac"] = Field("td3", description="Stable-Baselines3 algorithm.")
    steps: int = Field(100_000, ge=1, description="Environment steps.")
    baseline: Baseline = Field("lare", description=(
        "lare (latent factors -> decoder), rrd-state (the decoder on the raw state and action), episodic "
        "(the episodic reward only) or dense (the env's dense reward: a reference)."))
    latent: str = Field("cache", description=(
        "With baseline lare, the latent function: cache (the one `llmrl lare generate` cached for env, provider, "
        "model and seed), example (the hand-written worked example, run in-process: the dense reward's own "
        "terms, an oracle) or the path of a generated function's JSON (a generate run's latent_function.json)."))
    provider: str = Field("transformers", description="With latent=cache: the provider it was generated with.")
    model: str | None = Field(None, description="With latent=cache: the model it was generated with (None: the "
                              "provider's default).")
    sandbox: str = Field("local", description="Sandbox that evaluates an LLM-written latent function.")
    decoder: Literal["rd", "rrd", "rrd-unbiased"] = Field("rrd-unbiased", description="Return-decomposition loss.")
    head: Literal["linear", "mlp"] = Field("mlp", description="Decoder head (mlp: 3 x 256, the public code's).")
    decoder_lr: float = Field(3e-4, gt=0, description="Decoder learning rate (Adam).")
    decoder_batch_episodes: int = Field(16, ge=1, description="Episodes per decoder update.")
    decoder_every: int = Field(1, ge=1, description="One decoder update every this many policy updates.")
    rrd_k: int = Field(64, ge=2, description="Steps sampled per episode by RRD.")
    seed: int = Field(0, description="Seed of the agent, the decoder, the environment and (latent=cache) the "
                      "generated function to use.")
    learning_starts: int = Field(10_000, ge=0, description="Random-action steps before learning (paper: 10k).")
    batch_size: int = Field(256, ge=1, description="Policy minibatch size (transitions).")
    gamma: float = Field(0.99, gt=0, le=1, description="Discount factor.")
    tau: float = Field(0.005, gt=0, le=1, description="Target-network soft-update rate.")
    learning_rate: float = Field(3e-4, gt=0, description="Actor and critic learning rate.")
    net_arch: list[int] = Field(default_factory=lambda: [256, 256], description="Hidden sizes of actor and critic.")
    eval_every: int = Field(5000, ge=1, description="Evaluate the deterministic policy every this many steps.")
    eval_episodes: int = Field(5, ge=1, description="Episodes per evaluation (dense return, seeds 10000 + seed + i).")
    torch_threads: int = Field(1, ge=1, description="torch threads (1 is fastest on a small shared CPU).")
    save_every: int = Field(10_000, ge=0, description="Checkpoint for --resume at the first episode end after every "
                            "this many steps (0: never).")
