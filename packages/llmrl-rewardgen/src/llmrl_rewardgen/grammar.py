"""Small helpers for writing Lark grammars (llguidance's dialect) that constrain what an LLM may reply.

A grammar goes to the provider as ``SamplingParams.grammar``; a provider that cannot constrain
its decoding refuses it (:class:`llmrl_core.GrammarUnsupportedError`). The grammars here are
*bounded*: every repetition has a maximum, so the longest reply a grammar admits is finite and a
token budget can be chosen that fits it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

from llmrl_core import ConfigError, GrammarUnsupportedError, LLMProvider


def literal(text: str) -> str:
    """``text`` as a Lark string literal (double quotes, JSON escapes)."""
    return json.dumps(text)


def choice(options: Iterable[str]) -> str:
    """A parenthesised alternative of literal strings."""
    opts = list(dict.fromkeys(options))
    if not opts:
        raise ValueError("an alternative needs at least one option")
    return "(" + " | ".join(literal(o) for o in opts) + ")"


def _int_alternatives(lo: int, hi: int) -> list[str]:
    return [str(i) for i in range(lo, hi + 1)]


def _fractions(lo: int, hi: int) -> list[str]:
    """Decimal suffixes (``""``, ``".5"``, ``".25"``, ...) for hundredths ``lo..hi`` of one unit."""
    out = []
    for h in range(lo, hi + 1):
        if h == 0:
            out += ["", ".0", ".00"]
        elif h % 10 == 0:
            out += [f".{h // 10}", f".{h:02d}"]
        else:
            out.append(f".{h:02d}")
    return out


def _nonnegative(lo: int, hi: int) -> list[str]:
    """Strings of the numbers lo/100 .. hi/100 (0 <= lo <= hi, in hundredths), every usual spelling."""
    out = []
    for whole in range(lo // 100, hi // 100 + 1):
        first = max(lo - whole * 100, 0)
        last = min(hi - whole * 100, 99)
        if first > last:
            continue
        if first == 0 and last == 99:
            out.append(f"{whole}")  # the whole unit with any two decimals: expanded below as a regex
            out.append(f"{whole}.FRAC")
        else:
            out += [f"{whole}{f}" for f in _fractions(first, last)]
    return out


def number_range(lo: float, hi: float, *, exclusive_lo: bool = False) -> str:
    """A Lark expression for decimal numbers in [lo, hi] with at most two decimals (``0.5``, ``-1``, ``0.25``).

    Bounds are rounded inwards to hundredths, so every string the expression admits is in range.
    """
    if not math.isfinite(lo) or not math.isfinite(hi):
        raise ValueError(f"number_range needs finite bounds, got [{lo}, {hi}]")
    low = math.ceil(round(lo * 100, 6)) + (1 if exclusive_lo and float(lo * 100).is_integer() else 0)
    high = math.floor(round(hi * 100, 6))
    if low > high:
        raise ValueError(f"no number with two decimals lies in [{lo}, {hi}]")
    parts: list[str] = []
    if high >= 0:
        parts += _nonnegative(max(low, 0), high)
    negatives = ["-" + s for s in _nonnegative(max(-high, 1), -low)] if low < 0 else []
    parts += negatives
    plain = [p for p in parts if not p.endswith(".FRAC")]
    regex_units = [p[: -len(".FRAC")] for p in parts if p.endswith(".FRAC")]
    alternatives = [literal(p) for p in dict.fromkeys(plain)]
    alternatives += [f"{literal(u)} /\\.[0-9]{{1,2}}/" for u in regex_units]
    return "(" + " | ".join(alternatives) + ")"


def require_grammar_support(provider: LLMProvider, what: str) -> None:
    """A clear error before any generation when ``provider`` cannot constrain its decoding."""
    if not provider.supports_grammar:
        raise GrammarUnsupportedError(
            f"{what} asked for grammar-constrained decoding, but provider {provider.name!r} cannot constrain its "
            "decoding (it samples freely). Use the 'transformers' provider, or turn the grammar off "
            "(grammar=False / --set grammar=false)."
        )


def check_lark(grammar: str) -> None:
    """Fail with :class:`ConfigError` when llguidance (if installed) cannot compile ``grammar``; a no-op without it."""
    try:
        import llguidance
    except ImportError:
        return
    try:
        llguidance.LLMatcher.grammar_from_lark(grammar)
    except Exception as exc:  # noqa: BLE001 - llguidance raises plain errors
        raise ConfigError(f"internal grammar does not compile: {exc}") from None
