"""Pydantic configs for Algorithm Distillation runs: data, model, training, evaluation."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core.parallel import EXECUTOR_DESCRIPTION, Executor


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


Source = Literal["policy-gradient", "q-learning", "ucb", "thompson", "eps-greedy", "explorer-eps", "oracle-eps", "expert", "random"]
LEARNERS = ("policy-gradient", "q-learning", "ucb", "thompson", "eps-greedy")
"""Sources that are RL algorithms learning from their own rewards (what AD distils); the rest are scripted."""


class HistoryConfig(_Config):
    """How learning histories are generated: one per (training task, seed)."""

    source: Source | None = Field(
        None,
        description="None: the env's RL learner (q-learning on the grid worlds, ucb on the bandit). RL learners: "
        "q-learning (tabular, optimistic initial values; on Key-to-Door its state adds 'rewarded yet this episode'), "
        "policy-gradient (tabular softmax REINFORCE with a value baseline), ucb, thompson, eps-greedy (bandit). Scripted (not AD's set-up): explorer-eps (explore unvisited cells until "
        "rewarded, then exploit, eps annealed 1 -> 0), oracle-eps (AD^eps's noisy oracle, eps annealed 1 -> 0), "
        "expert (the oracle: Expert Distillation's data), random (uniform actions; DPT's contexts on the bandit).",
    )
    episodes: int = Field(80, ge=1, description="Episodes per learning history.")
    keep_every: int = Field(1, ge=1, description="Log every k-th episode of the history (the learner still learns from "
                            "every episode), so a context of a few episodes spans k times as much learning.")
    histories_per_task: int = Field(4, ge=1, description="Learning histories per training task (each with its own seed).")
    anneal_fraction: float = Field(0.7, gt=0, le=1, description="oracle-eps, explorer-eps, q-learning: eps reaches its final value after this share of the history.")
    q_lr: float = Field(1.0, gt=0, le=1, description="q-learning: step size (tuned on Dark Room's training goals; the room is deterministic).")
    q_gamma: float = Field(0.9, gt=0, le=1, description="q-learning: discount.")
    q_init: float = Field(5.0, description="q-learning: initial Q-value; above the reachable values it makes the learner explore systematically.")
    q_eps_start: float = Field(0.0, ge=0, le=1, description="q-learning: epsilon at the first episode.")
    q_eps: float = Field(0.0, ge=0, le=1, description="q-learning: final epsilon (reached after anneal_fraction of the history).")
    pg_lr: float = Field(2.0, gt=0, description="policy-gradient: step size on the softmax logits (tuned on Dark Room's training goals).")
    pg_gamma: float = Field(0.9, gt=0, le=1, description="policy-gradient: discount of the returns-to-go.")
    pg_value_lr: float = Field(1.0, gt=0, le=1, description="policy-gradient: step size of the per-state value baseline.")
    ucb_c: float = Field(1.0, ge=0, description="ucb: exploration coefficient.")
    bandit_eps: float = Field(0.1, ge=0, le=1, description="eps-greedy (bandit): exploration rate.")
    seed: int = Field(0, description="Seed of the histories: job j draws from (seed, j), whatever the worker count.")
    workers: int = Field(2, ge=1, description="Histories generated at once (1 with a local executor: in this process).")
    executor: Executor = Field("auto", description="Where the history jobs run. " + EXECUTOR_DESCRIPTION)


def default_source(env: str) -> str:
    """The RL learner AD distils on ``env`` by default."""
    return "ucb" if env == "bandit" else "q-learning"


class ModelConfig(_Config):
    """AD's causal transformer (GPT-2 blocks). Defaults follow the paper except the FF width."""

    n_embd: int = Field(64, ge=1, description="Width.")
    n_layer: int = Field(4, ge=1, description="GPT-2 blocks.")
    n_head: int = Field(4, ge=1, description="Attention heads.")
    n_inner: int = Field(256, description="Feed-forward width (the paper uses 2048; 256 keeps CPU training affordable).")
    context_episodes: int = Field(4, ge=1, description="Context length in episodes (AD: 2-4).")
    dropout: float = Field(0.1, ge=0, lt=1, description="Residual and embedding dropout (AD: 0.1).")
    attn_dropout: float = Field(0.5, ge=0, lt=1, description="Attention dropout (AD: 0.5).")
    token_mask: float = Field(0.3, ge=0, lt=1, description="Probability of masking an input token (AD's regulariser).")


class FitConfig(_Config):
    """The optimiser loop every model here shares (``llmrl_seqmodel.train.fit``)."""

    steps: int = Field(3000, ge=1, description="Gradient steps.")
    batch_size: int = Field(128, ge=1, description="Sequences per step.")
    lr: float = Field(3e-4, gt=0, description="Peak learning rate (linear warm-up, then cosine decay to 0).")
    warmup: int = Field(100, ge=0, description="Warm-up steps.")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay.")
    label_smoothing: float = Field(0.0, ge=0, lt=1, description="Cross-entropy label smoothing (AD on Dark Room Hard: 0.2).")
    grad_clip: float = Field(1.0, gt=0, description="Gradient-norm clip.")
    seed: int = Field(0, description="Seeds the model's initialisation, the batches and dropout.")
    save_every: int = Field(500, ge=0, description="Write a resumable checkpoint (weights, optimiser, RNGs) every N "
                            "steps for `--resume` (0: never).")
    threads: int | None = Field(1, description="torch CPU threads; 1 is fastest for these small models on a shared CPU (None: torch's choice).")


class ADTrainConfig(FitConfig):
    """Training AD, ED or DPT (Adam (0.9, 0.99), clip 1, warm-up + cosine, as in the paper)."""


class EvalConfig(_Config):
    episodes: int = Field(50, ge=1, description="In-context episodes per held-out task.")
    seeds: int = Field(2, ge=1, description="Evaluation seeds per task.")
    greedy: bool = Field(False, description="Argmax actions instead of sampling (AD samples).")
    seed: int = Field(0, description="Seeds the evaluation: env resets and sampled actions.")


class ADRunConfig(_Config):
    """Everything one `llmrl ad` pipeline needs, stored in the run directory as config.yaml."""

    output: str = Field("runs/ad", description="Run directory.")
    env: str = Field("darkroom", description="darkroom | darkroom-hard | key-to-door | bandit")
    env_kwargs: dict[str, Any] = Field(default_factory=dict, description="Overrides of the env's defaults, e.g. "
                                       "{'size': 5}; DPT's room: {'size': 10, 'max_steps': 100, 'start': [0, 0]}.")
    n_test: int = Field(20, ge=1, description="Held-out tasks.")
    n_train: int | None = Field(None, description="Cap on training tasks (default: all the others).")
    split_seed: int = Field(0, description="Seed of the train / held-out task split.")
    history: HistoryConfig = HistoryConfig()
    model: ModelConfig = ModelConfig()
    train: ADTrainConfig = ADTrainConfig()
    eval: EvalConfig = EvalConfig()


class ADTrainCommand(_Config):
    """``llmrl ad train``: which model, and changes to the run's training settings (only those given)."""

    output: str = Field("runs/ad", description="Run directory from `llmrl ad collect`.")
    kind: Literal["ad", "ed", "dpt"] = Field("ad", description="ad | ed (Expert Distillation) | dpt")
    train: ADTrainConfig = Field(ADTrainConfig(), description="Settings given here replace the run's (config.yaml).")


class ADEvalCommand(_Config):
    """``llmrl ad eval``: in-context evaluation of the run's models on its held-out tasks."""

    output: str = Field("runs/ad", description="Run directory with trained models.")
    kinds: str | None = Field(None, description="Comma-separated: ad, ed, dpt, ad-greedy, source, random "
                              "(default: every trained model and the source).")
    eval: EvalConfig = Field(EvalConfig(), description="Settings given here replace the run's.")
