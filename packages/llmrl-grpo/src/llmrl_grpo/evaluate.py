"""Held-out evaluation with MAYE's metrics: pass@k at T = 1.0, pass@1 at T = 0.6, pass@1 near-greedy.

T = 0.01 with top_p = 0.001 keeps only the most likely token, so the last metric is
computed with greedy decoding (the same choice, without sampling noise).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmrl_core.task import TaskExample
from llmrl_grpo.config import EvalConfig
from llmrl_grpo.data import chat_messages, image_chat
from llmrl_grpo.metrics import pass_at_k, reflection_ratios
from llmrl_grpo.rewards import AccuracyReward
from llmrl_grpo.vlm import check_images_fit, is_processor


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
    """``n`` completions for each chat (greedy when ``temperature`` is None).

    ``tokenizer`` may be a VLM's processor: chats then hold their pictures as image blocks (:func:`image_chat`)
    and go through the processor, as TRL's trainer puts them, so the pixels reach ``model.generate``.
    """
    import torch

    from llmrl_grpo.vlm import text_tokenizer

    text = text_tokenizer(tokenizer)
    side = text.padding_side
    text.padding_side = "left"
    out: list[list[str]] = []
    was_training = model.training
    model.eval()
    try:
        per_batch = max(1, batch_size // n)
        for start in range(0, len(chats), per_batch):
            batch = chats[start : start + per_batch]
            if is_processor(tokenizer):
                enc = tokenizer.apply_chat_template(batch, add_generation_prompt=True, tokenize=True, return_dict=True,
                                                    processor_kwargs={"padding": True, "return_tensors": "pt"})
            else:
                prompts = [text.apply_chat_template(c, tokenize=False, add_generation_prompt=True) for c in batch]
                enc = text(prompts, return_tensors="pt", padding=True)
            enc = enc.to(model.device)
            sampling = {"do_sample": True, "temperature": temperature, "top_p": top_p, "top_k": 0} if temperature else {"do_sample": False}
            if is_processor(tokenizer):  # as TRL's training generation: a sampled image token has no picture
                sampling["suppress_tokens"] = [model.config.image_token_id]
            with torch.no_grad():
                ids = model.generate(
                    **enc, max_new_tokens=max_new_tokens, num_return_sequences=n,
                    pad_token_id=text.pad_token_id, **sampling,
                )
            decoded = text.batch_decode(ids[:, enc["input_ids"].shape[1] :], skip_special_tokens=True)
            out.extend(decoded[i * n : (i + 1) * n] for i in range(len(decoded) // n))
    finally:
        text.padding_side = side
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
    """MAYE's eval metrics on ``examples[:cfg.num_prompts]`` plus length and reflection ratios.

    Examples with a picture are asked with it (``tokenizer`` is then the VLM's processor).
    """
    examples = examples[: cfg.num_prompts]
    vlm = is_processor(tokenizer)
    check_images_fit(vlm, examples, getattr(model, "name_or_path", "the model"))
    chats = [(image_chat if vlm else chat_messages)(e, instruction, system_prompt) for e in examples]
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
    results["expression_answers"] = float(scorer.expressions)  # right only if the judge does the arithmetic
    return results
