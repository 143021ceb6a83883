"""Pydantic configs for Algorithm Distillation runs: data, model, training, evaluation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HistoryConfig(_Config):
    """How learning histories are generated: one per (training task, seed)."""

    source: Literal["explorer-eps", "oracle-eps", "q-learning", "ucb", "expert", "random"] = Field(
        "explorer-eps",
        description="explorer-eps: explore unvisited cells until rewarded, then exploit, eps annealed 1 -> 0 "
        "(dark rooms); oracle-eps: AD^eps's noisy oracle with eps annealed 1 -> 0; q-learning: tabular; "
        "ucb: for the bandit; expert: the oracle with eps = 0 (Expert Distillation's data); random: uniform actions (the random baseline; DPT's contexts on the bandit).",
    )
    episodes: int = Field(60, ge=1, description="Episodes per learning history.")
    histories_per_task: int = Field(4, ge=1)
    anneal_fraction: float = Field(0.7, gt=0, le=1, description="oracle-eps: eps reaches 0 after this share of the history.")
    q_lr: float = Field(0.3, gt=0, le=1)
    q_gamma: float = Field(0.9, gt=0, le=1)
    q_eps: float = Field(0.3, ge=0, le=1, description="q-learning: final epsilon (annealed from 1).")
    ucb_c: float = Field(1.0, ge=0)
    seed: int = 0
    workers: int = Field(2, ge=1, description="Parallel processes generating histories.")


class ModelConfig(_Config):
    """AD's causal transformer (GPT-2 blocks). Defaults follow the paper except the FF width."""

    n_embd: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_inner: int = Field(256, description="Feed-forward width (the paper uses 2048; 256 keeps CPU training affordable).")
    context_episodes: int = Field(4, ge=1, description="Context length in episodes (AD: 2-4).")
    dropout: float = 0.1
    attn_dropout: float = 0.5
    token_mask: float = Field(0.3, ge=0, lt=1, description="Probability of masking an input token (AD's regulariser).")


class TrainConfig(_Config):
    steps: int = Field(3000, ge=1)
    batch_size: int = Field(128, ge=1)
    lr: float = 3e-4
    warmup: int = 100
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    grad_clip: float = 1.0
    seed: int = 0
    threads: int | None = Field(1, description="torch CPU threads; 1 is fastest for these small models on a shared CPU (None: torch's choice).")


class EvalConfig(_Config):
    episodes: int = Field(50, ge=1, description="In-context episodes per held-out task.")
    seeds: int = Field(2, ge=1, description="Evaluation seeds per task.")
    greedy: bool = Field(False, description="Argmax actions instead of sampling (AD samples).")
    seed: int = 0


class ADRunConfig(_Config):
    """Everything one `llmrl ad` pipeline needs, stored in the run directory as config.json."""

    env: str = Field("darkroom", description="darkroom | darkroom-hard | key-to-door | bandit")
    env_kwargs: dict[str, Any] = Field(default_factory=dict, description="Overrides of the env's defaults, e.g. {'size': 5}.")
    n_test: int = Field(20, ge=1, description="Held-out tasks.")
    n_train: int | None = Field(None, description="Cap on training tasks (default: all the others).")
    split_seed: int = 0
    history: HistoryConfig = HistoryConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    eval: EvalConfig = EvalConfig()
