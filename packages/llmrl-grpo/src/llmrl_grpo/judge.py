"""MAYE's second accuracy judge: sympy on the last sentence that has a ``\\boxed`` answer.

MAYE scores with math-verify first and, when that does not find the answer right, with a
sympy judge that reads only the boxed answer of the response's last sentence containing
"boxed". The judge compares normalised strings, then numbers, then sympy expressions
(LaTeX parsed by latex2sympy, which builds the expression from a grammar: the model's text
is never ``eval``-ed). It returns ``None`` when it cannot read an answer, so the caller can
tell "wrong" from "unreadable".
"""

from __future__ import annotations

import logging
import re
import threading

log = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` (braces balanced; ``\\boxed 5`` and a bare ``boxed{5}`` give ``5``), or None."""
    start = text.rfind("boxed")
    if start < 0:
        return None
    rest = text[start + len("boxed"):]
    if not rest.lstrip().startswith("{"):
        bare = re.match(r"\s+([^\s$.,;]+)", rest)
        return bare.group(1) if bare else None
    depth = 0
    for j, char in enumerate(rest):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and char == "}":
            return rest[rest.index("{") + 1 : j].strip()
    return None


def last_boxed_sentence(text: str) -> str | None:
    """The last sentence of ``text`` that mentions "boxed" (sentences end at . ! ? before a space, or a line break)."""
    at = text.rfind("boxed")
    if at < 0:
        return None
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, at)), default=0)
    boxed = last_boxed(text[start:])
    after = text.find(boxed, at) + len(boxed) if boxed else at  # a "." inside the box ends no sentence
    end = _SENTENCE_END.search(text, after)
    return text[start : end.start() if end else len(text)]


_STRIP = (r"\left", r"\right", r"\!", r"\,", r"\;", r"\:", r"\displaystyle", "$")


def _normalise(answer: str) -> str:
    text = answer.strip()
    for token in _STRIP:
        text = text.replace(token, "")
    text = re.sub(r"\\text\{\s*([^}]*)\}", r"\1", text)
    text = text.replace(r"\dfrac", r"\frac").replace(r"\tfrac", r"\frac").replace("^\\circ", "").replace("^{\\circ}", "")
    return re.sub(r"\s+", "", text).rstrip(".")


def _number(text: str) -> float | None:
    text = text.replace(",", "")
    percent = text.endswith("%") or text.endswith(r"\%")
    text = text.rstrip("%").rstrip("\\")
    frac = re.fullmatch(r"(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}", text) or re.fullmatch(
        r"(-?)(-?\d+(?:\.\d+)?)/(-?\d+(?:\.\d+)?)", text)
    try:
        if frac:
            value = float(frac.group(2)) / float(frac.group(3)) * (-1 if frac.group(1) else 1)
        else:
            value = float(text)
    except (ValueError, ZeroDivisionError):
        return None
    return value / 100 if percent else value


def _timeout_s() -> int | None:
    # latex2sympy and simplify can hang on hostile input; the alarm that stops them needs the main thread.
    return 5 if threading.current_thread() is threading.main_thread() else None


def _symbolic_equal(answer: str, reference: str) -> bool | None:
    from latex2sympy2_extended import latex2sympy
    from math_verify.utils import timeout

    @timeout(_timeout_s())
    def compare() -> bool | None:
        import sympy

        try:
            a, b = latex2sympy(answer), latex2sympy(reference)
        except Exception:  # noqa: BLE001 - any parse failure means "cannot read", not a crash
            return None
        try:
            return bool(sympy.simplify(a - b) == 0)
        except Exception:  # noqa: BLE001 - sets, equations, matrices: compare structurally
            return bool(a == b)

    try:
        return compare()
    except Exception as exc:  # noqa: BLE001 - a timeout is an unreadable answer
        log.debug("sympy judge gave up on %r vs %r: %s", answer, reference, exc)
        return None


def sympy_judge(text: str, reference: str) -> bool | None:
    """Whether the boxed answer of the last sentence with "boxed" equals ``reference``; None if unreadable."""
    sentence = last_boxed_sentence(text)
    boxed = last_boxed(sentence) if sentence else None
    if not boxed:
        return None
    answer, gold = _normalise(boxed), _normalise(last_boxed(reference) or reference)
    if not answer:
        return None
    if answer == gold:
        return True
    a, b = _number(answer), _number(gold)
    if a is not None and b is not None:
        return abs(a - b) <= 1e-4 * max(1.0, abs(b))
    return _symbolic_equal(answer, gold)
