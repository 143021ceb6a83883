"""Held-out evaluation with MAYE's metrics: pass@k at T = 1.0, pass@1 at T = 0.6, pass@1 near-greedy.

T = 0.01 with top_p = 0.001 keeps only the most likely token, so the last metric is
computed with greedy decoding (the same choice, without sampling noise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmrl_core.task import TaskExample
from llmrl_grpo.config import EvalConfig
from llmrl_grpo.data import chat_messages
from llmrl_grpo.metrics import pass_at_k, reflection_ratios
from llmrl_grpo.rewards import AccuracyReward


def generate(
    model: Any,
    tokenizer: Any,
    chats: list[list[dict[str, Any]]],
    *,
    n: int,
    temperature: float | None,
    top_p: float,
    max_new_tokens: int,
    batch_size: int,
) -> list[list[str]]:
    """``n`` completions for each chat (greedy when ``temperature`` is None)."""
    import torch

    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    texts = [tokenizer.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in chats]
    out: list[list[str]] = []
    was_training = model.training
    model.eval()
    try:
        per_batch = max(1, batch_size // n)
        for start in range(0, len(texts), per_batch):
            enc = tokenizer(texts[start : start + per_batch], return_tensors="pt", padding=True).to(model.device)
            sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0} if temperature else {"do_sample": False}
            with torch.no_grad():
                ids = model.generate(
                    **enc, max_new_tokens=max_new_tokens, num_return_sequences=n,
                    pad_token_id=tokenizer.pad_token_id, **sampling,
                )
            decoded = tokenizer.batch_decode(ids[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
            out.extend(decoded[i * n : (i + 1) * n] for i in range(len(decoded) // n))
    finally:
        tokenizer.padding_side = side
        model.train(was_training)
    return out


def evaluate(
    model: Any,
    tokenizer: Any,
    examples: list[TaskExample],
    cfg: EvalConfig,
    *,
    instruction: str,
    system_prompt: str | None = None,
    max_new_tokens: int = 64,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """MAYE's eval metrics on ``examples[:cfg.num_prompts]`` plus length and reflection ratios."""
    examples = examples[: cfg.num_prompts]
    chats = [chat_messages(e, instruction, system_prompt) for e in examples]
    scorer = AccuracyReward()
    max_new = cfg.max_new_tokens or max_new_tokens
    results: dict[str, float] = {"num_prompts": float(len(examples))}
    plan = {
        "pass@k": (cfg.pass_k, 1.0, 1.0),
        "pass@1_t0.6": (1, 0.6, 1.0),
        "pass@1_greedy": (1, None, 1.0),
    }
    for metric in cfg.metrics:
        n, temperature, top_p = plan[metric]
        if on_progress:
            on_progress(metric)
        samples = generate(
            model, tokenizer, chats, n=n, temperature=temperature, top_p=top_p,
            max_new_tokens=max_new, batch_size=cfg.batch_size,
        )
        correct = [[scorer.score(s, e.reference) == 1.0 for s in group] for group, e in zip(samples, examples, strict=True)]
        flat_text = [s for group in samples for s in group]
        flat_ok = [c for group in correct for c in group]
        if metric == "pass@k":
            results[f"pass@{n}"] = pass_at_k(correct)
            results["mean@k_t1.0"] = sum(flat_ok) / len(flat_ok)  # pass@1 at T = 1.0, averaged over k samples
            results.update({f"t1.0/{k}": v for k, v in reflection_ratios(flat_text, flat_ok).items()})
        else:
            results[metric] = sum(flat_ok) / len(flat_ok)
        results[f"{metric}/response_chars"] = sum(map(len, flat_text)) / len(flat_text)
    results["unparseable"] = float(scorer.unparseable)
    return results
