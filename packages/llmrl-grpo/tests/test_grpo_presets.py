"""The maye-paper preset: MAYE's hyper-parameters (METHODS.md), loadable by name, explicit values win."""

from __future__ import annotations

import pytest

from llmrl_core.config import load_config
from llmrl_core.errors import ConfigError
from llmrl_grpo.config import GRPOTrainConfig


def test_maye_paper_preset_holds_the_papers_hyper_parameters() -> None:
    cfg = load_config(GRPOTrainConfig, overrides=["preset=maye-paper"])
    opt, gen = cfg.optim, cfg.generation
    assert (cfg.mode, cfg.task, cfg.model, cfg.freeze_vision) == ("maye", "mm_math", "Qwen/Qwen2.5-VL-7B-Instruct", True)
    assert gen.completions_per_step == 896 and cfg.generations == 1  # 896 prompts, one response each
    assert (gen.temperature, gen.top_p, gen.max_completion_length) == (1.0, 1.0, 2048)
    assert (opt.updates_per_generation, opt.num_iterations, opt.minibatches) == (32, 1, 32)
    assert (opt.learning_rate, opt.lr_scheduler, opt.warmup_ratio) == (5e-6, "cosine", 0.1)
    assert (opt.weight_decay, opt.max_grad_norm, opt.epsilon, opt.beta) == (0.01, 1.0, 0.2, 0.001)
    assert cfg.steps == 150 and cfg.optimizer_steps == 150 * 32
    assert "\\boxed{}" in cfg.instruction.format(question="Q")
    assert (cfg.rewards.language_scope, cfg.rewards.language_coef, cfg.rewards.truncation_penalty) == ("cjk", 0.1, -0.1)
    assert cfg.rewards.format_weight == 0.0 and cfg.rewards.sympy_judge


def test_explicit_values_win_over_the_preset_and_a_bad_name_is_clear() -> None:
    cfg = load_config(GRPOTrainConfig, overrides=["preset=maye-paper", "steps=10", "optim.learning_rate=1e-6",
                                                  "task_config.path=train.jsonl"])
    assert (cfg.steps, cfg.optim.learning_rate, cfg.optim.updates_per_generation) == (10, 1e-6, 32)
    assert cfg.task_config == {"path": "train.jsonl"}
    with pytest.raises(ConfigError, match="unknown preset 'maye'.*maye-paper"):
        load_config(GRPOTrainConfig, overrides=["preset=maye"])


def test_updates_must_split_the_batch_evenly() -> None:
    with pytest.raises(ConfigError, match="equal mini-batches"):
        load_config(GRPOTrainConfig, overrides=["generation.completions_per_step=9"])
    with pytest.raises(ConfigError, match="multiple of num_iterations"):
        load_config(GRPOTrainConfig, overrides=["optim.updates_per_generation=3", "optim.num_iterations=2"])
