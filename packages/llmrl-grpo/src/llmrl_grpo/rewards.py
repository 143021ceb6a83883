"""Rule-based rewards as TRL reward functions: ``f(prompts, completions, **columns) -> list[float]``.

They work in any TRL script (``GRPOTrainer(reward_funcs=[AccuracyReward(), ...])``). Completions
may be plain strings or chat messages. MAYE's rewards: accuracy (+1 / 0, math-verify), a
language penalty (−0.1 × share of off-language characters), a penalty for truncated
responses; a format reward exists but is off by default (MAYE drops it).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

log = logging.getLogger(__name__)


def completion_text(completion: Any) -> str:
    """The text of a TRL completion: a string, or a list of chat messages (their contents joined)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return _content_text(completion.get("content", ""))
    return "".join(_content_text(m.get("content", "")) for m in completion if isinstance(m, dict))


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content if isinstance(part, dict))  # multimodal parts


def _timeout() -> int | None:
    # math-verify times out with SIGALRM, which only works in the main thread.
    return 5 if threading.current_thread() is threading.main_thread() else None


def parse_answer(text: str) -> list:
    """math-verify's parse of ``text`` (``\\boxed{}`` first, else the last expression); ``[]`` if none."""
    from math_verify import parse

    try:
        return parse(text, parsing_timeout=_timeout())
    except Exception as exc:  # noqa: BLE001 - an unparseable answer scores 0; it must not stop training
        log.debug("math-verify could not parse %r: %s", text[-80:], exc)
        return []


def parse_reference(reference: str) -> list:
    """Parse a reference answer; a bare ``12`` or ``1/2`` is read as math, not prose."""
    ref = str(reference).strip()
    parsed = parse_answer(ref if ("\\boxed" in ref or "$" in ref) else f"${ref}$")
    return parsed or parse_answer(ref)


class AccuracyReward:
    """+1 when the final answer equals the reference (math-verify), else 0.

    Answers math-verify cannot parse score 0 and are counted in ``unparseable``; references it
    cannot parse in ``bad_references``. The reference comes from the dataset column ``answer``.
    """

    __name__ = "accuracy"

    def __init__(self, answer_column: str = "answer") -> None:
        self.answer_column = answer_column
        self.unparseable = 0
        self.bad_references = 0
        self._gold_cache: dict[str, list] = {}
        self.last_batch: dict[str, list] = {"texts": [], "scores": [], "ids": []}
        """The latest call's responses, scores and example ids (for per-step metrics)."""

    def score(self, text: str, reference: str) -> float:
        from math_verify import verify

        gold = self._gold_cache.get(reference)
        if gold is None:
            gold = self._gold_cache[reference] = parse_reference(reference)
        if not gold:
            self.bad_references += 1
            return 0.0
        answer = parse_answer(text)
        if not answer:
            self.unparseable += 1
            return 0.0
        try:
            return 1.0 if verify(gold, answer, timeout_seconds=_timeout()) else 0.0
        except Exception as exc:  # noqa: BLE001
            log.debug("math-verify failed comparing %r with %r: %s", text[-80:], reference, exc)
            self.unparseable += 1
            return 0.0

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any) -> list[float]:
        references = columns.get(self.answer_column)
        if references is None:
            raise KeyError(
                f"the accuracy reward needs the dataset column {self.answer_column!r} with reference answers; "
                f"got columns {sorted(columns)}"
            )
        texts = [completion_text(c) for c in completions]
        scores = [self.score(t, str(r)) for t, r in zip(texts, references, strict=True)]
        self.last_batch = {"texts": texts, "scores": scores, "ids": list(columns.get("id") or [])}
        return scores


# Unicode ranges of scripts; a language's characters are its script's.
SCRIPTS: dict[str, str] = {
    "latin": r"A-Za-z\u00C0-\u024F",
    "cjk": r"\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF66-\uFF9F",
    "cyrillic": r"\u0400-\u04FF",
    "arabic": r"\u0600-\u06FF",
    "greek": r"\u0370-\u03FF",
    "devanagari": r"\u0900-\u097F",
}
LANGUAGE_SCRIPTS: dict[str, str] = {
    "en": "latin", "fr": "latin", "de": "latin", "es": "latin", "it": "latin", "pt": "latin",
    "zh": "cjk", "ja": "cjk", "ko": "cjk", "ru": "cyrillic", "uk": "cyrillic", "ar": "arabic",
    "el": "greek", "hi": "devanagari",
}


class LanguageReward:
    """−``coef`` × the share of characters written in another script than the target language's.

    MAYE penalises the share of CJK characters (an English target); with ``language="zh"`` the
    penalty falls on Latin, Cyrillic, ... characters instead. Whitespace is not counted.
    """

    __name__ = "language"

    def __init__(self, language: str = "en", coef: float = 0.1) -> None:
        if language not in LANGUAGE_SCRIPTS:
            raise ValueError(f"unknown language {language!r}; known: {', '.join(sorted(LANGUAGE_SCRIPTS))}")
        self.language, self.coef = language, coef
        own = LANGUAGE_SCRIPTS[language]
        foreign = "".join(r for name, r in SCRIPTS.items() if name != own)
        self._foreign = re.compile(f"[{foreign}]")

    def score(self, text: str) -> float:
        chars = re.sub(r"\s", "", text)
        if not chars:
            return 0.0
        return -self.coef * len(self._foreign.findall(chars)) / len(chars)

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any) -> list[float]:
        return [self.score(completion_text(c)) for c in completions]


class TruncationPenalty:
    """``penalty`` for a response that hit the token limit without an end-of-sequence token, else 0.

    MAYE *replaces* such a response's score with −0.1; summed with the accuracy reward this is
    the same whenever the truncated answer is wrong (the usual case) and 0.9 instead of −0.1
    when it is right. Needs TRL's ``completion_ids`` column (TRL passes it to reward functions).
    """

    __name__ = "truncation"

    def __init__(self, max_completion_length: int, eos_token_id: int | Sequence[int] | None = None, penalty: float = -0.1) -> None:
        self.max_completion_length, self.penalty = max_completion_length, penalty
        eos = [eos_token_id] if isinstance(eos_token_id, int) else list(eos_token_id or [])
        self.eos_ids = set(eos)

    def is_truncated(self, ids: Sequence[int]) -> bool:
        if len(ids) < self.max_completion_length:
            return False
        return not (self.eos_ids and ids and ids[-1] in self.eos_ids)

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any) -> list[float]:
        ids = columns.get("completion_ids")
        if ids is None:
            raise KeyError("the truncation penalty needs the completion_ids that TRL's GRPOTrainer passes")
        return [self.penalty if self.is_truncated(i) else 0.0 for i in ids]


THINK_FORMAT = r"^\s*<think>.*?</think>.*\\boxed\{.*\}.*$"


class FormatReward:
    """+1 when the response matches ``pattern`` (MAYE's code: ``<think>…</think>`` then a ``\\boxed{}``), else 0.

    Off by default: MAYE's paper drops format rewards.
    """

    __name__ = "format"

    def __init__(self, pattern: str = THINK_FORMAT) -> None:
        self.pattern = re.compile(pattern, re.DOTALL)

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any) -> list[float]:
        return [1.0 if self.pattern.match(completion_text(c)) else 0.0 for c in completions]
