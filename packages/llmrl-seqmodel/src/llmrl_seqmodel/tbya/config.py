"""Pydantic configs of Think Before You Act runs: the demos, the policy's backbone, training, evaluation."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core.parallel import EXECUTOR_DESCRIPTION, Executor
from llmrl_seqmodel.config import FitConfig


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TBYAModelConfig(_Config):
    """The policy's backbone: small GPT-2 blocks (random init) or a pretrained language model."""

    backbone: str = Field("gpt2", description="gpt2: small GPT-2 blocks, random init, whole-word vocabulary; "
                          "smollm2-135m: the embedded pretrained SmolLM2 with its own tokenizer (fine-tuned whole; "
                          "n_embd, n_layer, n_head, n_inner and dropout then come from it).")
    n_embd: int = Field(128, ge=1, description="gpt2: width.")
    n_layer: int = Field(4, ge=1, description="gpt2: blocks.")
    n_head: int = Field(4, ge=1, description="gpt2: attention heads.")
    n_inner: int = Field(512, ge=1, description="gpt2: feed-forward width.")
    dropout: float = Field(0.1, ge=0, lt=1, description="gpt2: dropout (residual, embedding and attention).")
    n_positions: int = Field(512, ge=8, description="Longest stream, both backbones (a pretrained one's own context "
                             "caps it): training streams are cut there, and an "
                             "evaluation episode whose stream reaches it ends as a failure.")


class TBYATrainConfig(FitConfig):
    """Next-token training on the demos (the decisions' mean + the captions' mean, see ``action_and_caption_loss``)."""

    steps: int = Field(1000, ge=1, description="Gradient steps.")
    batch_size: int = Field(32, ge=1, description="Whole-episode streams per step.")
    lr: float = Field(1e-3, gt=0, description="Peak learning rate (the benchmark fine-tunes SmolLM2 at 1e-4).")


class TBYARunConfig(_Config):
    """Everything one `llmrl tbya` run needs, stored in the run directory as config.yaml."""

    output: str = Field("runs/tbya", description="Run directory.")
    level: str = Field("PutNextLocal", description="BabyAI level (llmrl/BabyAI-<level>-v0): PutNextLocal (captions name "
                       "four subgoals), UnlockLocal, GoToLocal, MiniBossLevel, BossLevel, ...")
    demos: int = Field(1000, ge=1, description="Successful bot demos to keep (seeds the bot fails are skipped).")
    workers: int = Field(2, ge=1, description="Demo chunks collected at once (1 with a local executor: in this process).")
    executor: Executor = Field("auto", description="Where demo collection runs. " + EXECUTOR_DESCRIPTION)
    model: TBYAModelConfig = TBYAModelConfig()
    train: TBYATrainConfig = TBYATrainConfig()


class TBYATrainCommand(_Config):
    """``llmrl tbya train``: one policy on the run's demos; settings given here replace the run's."""

    output: str = Field("runs/tbya", description="Run directory from `llmrl tbya collect`.")
    captions: bool = Field(True, description="Train on captions and actions (TBYA); --no-captions: the baseline.")
    model: TBYAModelConfig = Field(TBYAModelConfig(), description="Settings given here replace the run's.")
    train: TBYATrainConfig = Field(TBYATrainConfig(), description="Settings given here replace the run's.")


class TBYAEvalCommand(_Config):
    """``llmrl tbya eval``: success rate of the run's policies on held-out seeds (from 1,000,000)."""

    output: str = Field("runs/tbya", description="Run directory with trained models.")
    episodes: int = Field(300, ge=1, description="Held-out seeds to evaluate.")
    models: str = Field("captions,plain", description="Comma-separated model names: captions, plain, and with a "
                        "pretrained backbone captions-<backbone>, plain-<backbone>.")
    max_steps: int | None = Field(None, ge=1, description="End an episode (as a failure) after this many actions "
                                  "(default: the level's own limit).")
