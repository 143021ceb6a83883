"""Reflection metrics (MAYE): the 15 reflective words, matched as whole words.

MAYE's code counts substrings, so "awaited" counts as "wait" and "yeti" as "yet";
we match whole words, case-insensitively. "re-check" and "recheck" are distinct
entries, as in the paper's list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

REFLECTION_WORDS: tuple[str, ...] = (
    "re-check", "re-evaluate", "re-examine", "re-think", "recheck", "reevaluate", "reexamine",
    "reevaluation", "rethink", "check again", "think again", "try again", "verify", "wait", "yet",
)

# A word boundary that also refuses a hyphen next to the match, so "un-verify" or "wait-list" do not count.
_PATTERNS = {
    word: re.compile(r"(?<![\w-])" + re.escape(word).replace(r"\ ", r"\s+") + r"(?![\w-])", re.IGNORECASE)
    for word in REFLECTION_WORDS
}


def count_reflection_words(text: str) -> dict[str, int]:
    """How often each reflective word occurs in ``text`` as a whole word (case-insensitive)."""
    return {word: len(pattern.findall(text)) for word, pattern in _PATTERNS.items()}


def has_reflection(text: str) -> bool:
    """Whether ``text`` contains any reflective word."""
    return any(pattern.search(text) for pattern in _PATTERNS.values())


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def reflection_ratios(texts: Sequence[str], correct: Sequence[bool]) -> dict[str, float]:
    """MAYE's five ratios over a batch of responses and whether each was right.

    ``reflection_ratio``: share of responses with a reflective word; ``..._in_correct`` /
    ``..._in_incorrect``: the same among right / wrong answers; ``correct_ratio_with_reflection`` /
    ``..._without_reflection``: accuracy among responses with / without one. Empty groups give 0.
    """
    if len(texts) != len(correct):
        raise ValueError(f"got {len(texts)} texts but {len(correct)} correctness flags")
    reflective = [has_reflection(t) for t in texts]
    n = len(texts)
    n_correct = sum(correct)
    n_refl = sum(reflective)
    refl_correct = sum(r and c for r, c in zip(reflective, correct, strict=True))
    refl_wrong = n_refl - refl_correct
    return {
        "reflection_ratio": _ratio(n_refl, n),
        "reflection_ratio_in_correct": _ratio(refl_correct, n_correct),
        "reflection_ratio_in_incorrect": _ratio(refl_wrong, n - n_correct),
        "correct_ratio_with_reflection": _ratio(refl_correct, n_refl),
        "correct_ratio_without_reflection": _ratio(n_correct - refl_correct, n - n_refl),
    }


def reflection_word_totals(texts: Sequence[str]) -> dict[str, int]:
    """Per-word counts summed over ``texts``."""
    totals = dict.fromkeys(REFLECTION_WORDS, 0)
    for text in texts:
        for word, count in count_reflection_words(text).items():
            totals[word] += count
    return totals


def pass_at_k(correct_per_prompt: Sequence[Sequence[bool]]) -> float:
    """Share of prompts with at least one right answer among their samples (pass@k, k = samples)."""
    if not correct_per_prompt:
        return 0.0
    return sum(any(c) for c in correct_per_prompt) / len(correct_per_prompt)


def scored_batch_metrics(reward: Any) -> dict[str, Any]:
    """A step's metrics from the reward function that scored its batch (its ``last_batch`` and
    ``unparseable``): MAYE's reflection ratios and word counts, mean response characters, the
    running count of unparseable answers and the batch's example ids (the data order).

    With several processes each scored its share: the batches are gathered first (every rank calls this).
    """
    from llmrl_grpo.distributed import gather_lists, sum_over_ranks

    batch = gather_lists({k: reward.last_batch[k] for k in ("texts", "scores", "ids")})
    record: dict[str, Any] = {}
    if batch["texts"]:
        record.update(reflection_ratios(batch["texts"], [s == 1.0 for s in batch["scores"]]))
        totals = reflection_word_totals(batch["texts"])
        record.update({f"reflection_words/{w}": totals[w] for w in REFLECTION_WORDS})
        record["response_chars"] = sum(map(len, batch["texts"])) / len(batch["texts"])
    record["unparseable_total"] = int(sum_over_ranks(reward.unparseable))
    record["batch_ids"] = batch["ids"]
    return record
