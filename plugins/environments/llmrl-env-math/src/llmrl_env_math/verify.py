"""Answer checking with math-verify: LaTeX, ``\\boxed{}`` and plain numbers compare by value."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


def _parse(text: str):
    from math_verify import parse

    # math-verify's timeouts use SIGALRM, which only works in the main thread.
    timeout = 5 if threading.current_thread() is threading.main_thread() else None
    return parse(text, parsing_timeout=timeout)


def is_correct(completion: str, reference: str) -> bool:
    """Whether the final answer in ``completion`` equals ``reference`` (math-verify; unparseable → False)."""
    from math_verify import verify

    gold = _parse(reference if "\\boxed" in reference or "$" in reference else f"${reference}$")
    if not gold:
        gold = _parse(reference)
    answer = _parse(completion)
    if not gold or not answer:
        return False
    timeout = 5 if threading.current_thread() is threading.main_thread() else None
    try:
        return bool(verify(gold, answer, timeout_seconds=timeout))
    except Exception as exc:  # noqa: BLE001 - a verifier crash is a wrong answer, not a crashed run
        log.debug("math-verify failed on %r vs %r: %s", completion[-80:], reference, exc)
        return False
