"""Named sets of defaults (``preset`` in a run's config): a paper's settings in one word.

A preset's values go under everything given explicitly, so ``--preset maye-paper --set steps=10``
is MAYE's run cut to 10 steps. The resolved values are what ``config.yaml`` records.

``maye-paper`` is MAYE's mm_math5k run (arXiv 2504.02587; ``/work/shared/METHODS.md``): 896 prompts
per generation step, one response each, T = 1.0, up to 2048 tokens, 32 PPO updates per generation
batch (mini-batches of 28), lr 5e-6 cosine with 10 % warm-up, AdamW (0.9, 0.95) with weight decay
0.01, grad clip 1.0, clip ε 0.2, k3 KL 0.001 as a loss term, 150 generation steps (30 epochs of
5000 questions), rewards accuracy + CJK language penalty + truncation, held-out pass@8 T = 1.0,
pass@1 T = 0.6 and greedy on 100 questions. bf16 comes with a GPU backend (its default dtype);
AdamW's (0.9, 0.95) is llmrl-grpo's fixed choice. It needs a GPU and the data:
``--set task_config.path=mm_math5k/train.jsonl --set task_config.test_path=mm_math5k/test.jsonl``.
"""

from __future__ import annotations

from typing import Any

from llmrl_grpo.config import BOXED_INSTRUCTION

PRESETS: dict[str, dict[str, Any]] = {
    "maye-paper": {
        "model": "Qwen/Qwen2.5-VL-7B-Instruct",
        "task": "mm_math",
        "mode": "maye",
        "instruction": BOXED_INSTRUCTION,
        "steps": 150,
        "save_steps": 10,
        "freeze_vision": True,
        "optim": {"learning_rate": 5e-6, "lr_scheduler": "cosine", "warmup_ratio": 0.1, "weight_decay": 0.01,
                  "max_grad_norm": 1.0, "beta": 0.001, "epsilon": 0.2, "updates_per_generation": 32,
                  "num_iterations": 1, "maye_keep_mean": False},
        "generation": {"completions_per_step": 896, "max_completion_length": 2048, "temperature": 1.0, "top_p": 1.0},
        "rewards": {"accuracy_weight": 1.0, "language": "en", "language_coef": 0.1, "language_scope": "cjk",
                    "sympy_judge": True, "truncation_penalty": -0.1, "format_weight": 0.0},
        "eval": {"num_prompts": 100, "pass_k": 8, "max_new_tokens": 2048,
                 "metrics": ["pass@k", "pass@1_t0.6", "pass@1_greedy"]},
    },
}
"""Preset name -> config values (nested parts as dicts), for :class:`~llmrl_grpo.config.GRPOTrainConfig`."""


def preset_values(name: str, config_class: type) -> dict[str, Any]:
    """The values of preset ``name`` for ``config_class``; a clear error names the known ones."""
    from llmrl_grpo.config import GRPOTrainConfig

    known = PRESETS if issubclass(config_class, GRPOTrainConfig) else {}
    if name not in known:
        names = ", ".join(sorted(known)) or "none"
        raise ValueError(f"unknown preset {name!r} for {config_class.__name__}; known: {names}")
    return known[name]
