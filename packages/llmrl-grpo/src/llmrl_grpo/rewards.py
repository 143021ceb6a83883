"""Rule-based rewards as TRL reward functions: ``f(prompts, completions, **columns) -> list[float]``.

They work in any TRL script (``GRPOTrainer(reward_funcs=[AccuracyReward(), ...])``). Completions
may be plain strings or chat messages. MAYE's rewards: accuracy (+1 / 0: math-verify, then a
sympy judge on the last sentence with ``\\boxed``), a language penalty (−0.1 × share of CJK
characters; the broader "any other script" form is an option), a penalty for truncated
responses; a format reward exists but is off by default (MAYE drops it).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import Any, Literal

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


JUDGES = ("math_verify", "sympy", "unreadable", "not_a_number")
"""Who decided an accuracy score: math-verify, the sympy judge, neither could read the answer, or the
reference is a number and the answer an unevaluated expression (``numbers_only``)."""


def is_plain_number(parsed: list) -> bool:
    """Whether math-verify's parse is a number (``3901``, ``-12``, ``\\frac{1}{2}``, ``x = 5``), not an
    expression left for the judge to evaluate (``47 * 83``). A parse sympy could not build counts as a number:
    the judges decide it as before."""
    import sympy

    first = parsed[0] if parsed else None
    if isinstance(first, sympy.Eq):
        first = first.rhs
    return not isinstance(first, sympy.Basic) or isinstance(first, sympy.Number)


class AccuracyReward:
    """+1 when the final answer equals the reference, else 0: MAYE's two judges in turn.

    math-verify reads the whole response (``\\boxed{}`` first, else the last expression); when it
    does not find the answer right, the sympy judge (:func:`llmrl_grpo.judge.sympy_judge`) reads
    the boxed answer of the last sentence with "boxed". Each score records which judge decided
    (``JUDGES``): per batch through TRL's ``log_metric`` (``judge/<name>`` shares and
    ``judge/sympy_right``, the answers only the sympy judge found right), in total in ``decided``.
    Answers neither judge can read score 0 and are counted in ``unparseable``; references neither
    can read in ``bad_references``. The reference comes from the dataset column ``answer``.

    Both judges compare by value, so for a numeric reference ``\\boxed{47 * 83}`` is right for 3901: the
    judge, not the model, does the arithmetic, and RL finds that (a 135M model learnt it in an 8-step ToRL run
    without the tool). Such answers are counted in ``expressions`` either way; ``numbers_only`` scores them 0
    (judge ``not_a_number``). Off by default here, as MAYE's judges; ToRL's reward turns it on.
    """

    __name__ = "accuracy"

    def __init__(self, answer_column: str = "answer", sympy_judge: bool = True, numbers_only: bool = False) -> None:
        self.answer_column = answer_column
        self.use_sympy = sympy_judge
        self.numbers_only = numbers_only
        self.unparseable = 0
        self.bad_references = 0
        self.expressions = 0
        """Answers that were an unevaluated expression where the reference is a number."""
        self.decided = dict.fromkeys(JUDGES, 0)
        self._gold_cache: dict[str, list] = {}
        self.last_batch: dict[str, list] = {"texts": [], "scores": [], "ids": [], "judges": []}
        """The latest call's responses, scores, example ids and deciding judges (for per-step metrics)."""

    def judge(self, text: str, reference: str) -> tuple[float, str]:
        """The score of ``text`` (1.0 or 0.0) and the judge that decided it (one of ``JUDGES``)."""
        from math_verify import verify

        from llmrl_grpo.judge import sympy_judge

        gold = self._gold_cache.get(reference)
        if gold is None:
            gold = self._gold_cache[reference] = parse_reference(reference)
        verdict: bool | None = None  # math-verify's: None when it cannot read one side
        answer = parse_answer(text) if gold else []
        if answer and is_plain_number(gold) and not is_plain_number(answer):
            self.expressions += 1
            if self.numbers_only:
                return self._decided(0.0, "not_a_number")
        if answer:
            try:
                verdict = bool(verify(gold, answer, timeout_seconds=_timeout()))
            except Exception as exc:  # noqa: BLE001 - a verifier crash is an unread answer, not a crashed run
                log.debug("math-verify failed comparing %r with %r: %s", text[-80:], reference, exc)
        if verdict:
            return self._decided(1.0, "math_verify")
        second = sympy_judge(text, str(reference)) if self.use_sympy else None
        if second is not None:
            return self._decided(float(second), "sympy")
        if verdict is False:
            return self._decided(0.0, "math_verify")
        if gold:
            self.unparseable += 1
        else:
            self.bad_references += 1
        return self._decided(0.0, "unreadable")

    def _decided(self, score: float, judge: str) -> tuple[float, str]:
        self.decided[judge] += 1
        return score, judge

    def score(self, text: str, reference: str) -> float:
        """The score alone (see :meth:`judge`)."""
        return self.judge(text, reference)[0]

    def __call__(self, prompts: Sequence[Any] | None = None, completions: Sequence[Any] = (), **columns: Any) -> list[float]:
        references = columns.get(self.answer_column)
        if references is None:
            raise KeyError(
                f"the accuracy reward needs the dataset column {self.answer_column!r} with reference answers; "
                f"got columns {sorted(columns)}"
            )
        texts = [completion_text(c) for c in completions]
        judged = [self.judge(t, str(r)) for t, r in zip(texts, references, strict=True)]
        scores, judges = [s for s, _ in judged], [j for _, j in judged]
        self.last_batch = {"texts": texts, "scores": scores, "ids": list(columns.get("id") or []), "judges": judges}
        log_metric = columns.get("log_metric")
        if log_metric is not None and judged:
            for name, value in judge_shares(judged).items():
                log_metric(name, value)
        return scores


def judge_shares(judged: Sequence[tuple[float, str]]) -> dict[str, float]:
    """Per batch: the share of scores each judge decided, and ``judge/sympy_right`` (right by sympy only)."""
    n = len(judged)
    shares = {f"judge/{name}": sum(j == name for _, j in judged) / n for name in JUDGES}
    shares["judge/sympy_right"] = sum(s == 1.0 and j == "sympy" for s, j in judged) / n
    return shares


# Unicode ranges of scripts; a language's characters are its script's.
SCRIPTS: dict[str, str] = {
    "latin": r"A-Za-z\u00C0-\u024F",
    "cjk": r"\u3000-\u303F\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF\uFF00-\uFFEF",
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


LanguageScope = Literal["cjk", "foreign"]


class LanguageReward:
    """−``coef`` × the share of penalised characters among a response's non-space characters.

    ``scope="cjk"`` (MAYE, the default): CJK characters are penalised (kana, hangul and CJK
    ideographs), so "12π" or "café" cost nothing. ``scope="foreign"``: every character written in
    another script than ``language``'s (Latin for "en", CJK for "zh", ...), so with an English
    target a Greek π is penalised too.
    """

    __name__ = "language"

    def __init__(self, language: str = "en", coef: float = 0.1, scope: LanguageScope = "cjk") -> None:
        if language not in LANGUAGE_SCRIPTS:
            raise ValueError(f"unknown language {language!r}; known: {', '.join(sorted(LANGUAGE_SCRIPTS))}")
        own = LANGUAGE_SCRIPTS[language]
        if scope == "cjk" and own == "cjk":
            raise ValueError(
                f"the language penalty's scope 'cjk' penalises CJK characters, the script of {language!r} itself; "
                "use scope 'foreign' (rewards.language_scope=foreign) to penalise other scripts instead"
            )
        if scope not in ("cjk", "foreign"):
            raise ValueError(f"unknown language penalty scope {scope!r}; use 'cjk' (MAYE) or 'foreign'")
        self.language, self.coef, self.scope = language, coef, scope
        penalised = SCRIPTS["cjk"] if scope == "cjk" else "".join(r for name, r in SCRIPTS.items() if name != own)
        self._penalised = re.compile(f"[{penalised}]")

    def score(self, text: str) -> float:
        chars = re.sub(r"\s", "", text)
        if not chars:
            return 0.0
        return -self.coef * len(self._penalised.findall(chars)) / len(chars)

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
