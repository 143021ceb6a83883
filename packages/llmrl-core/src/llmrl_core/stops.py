"""Where a completion ends, and why: the stop-string and EOS accounting every local provider shares.

Providers that see token ids (transformers, vLLM) pass each row of sampled tokens
through :func:`finish_row`, so ``text``, ``token_ids`` and ``stop_reason`` mean
the same whichever engine sampled them. Pure Python: the tokenizer is passed in.
A provider without a tokenizer (an engine or API that returns each token's text,
or only the text) uses :func:`finish_pieces`, which keeps the same contract.

The contract (also in the docs):

* An end-of-sequence token ends a completion with ``finish_reason="stop"`` and
  ``stop_reason=None``; the EOS token **is** kept in ``token_ids`` (it was sampled,
  and an RL trainer must score it) but not in ``text``.
* A stop string ends a completion with ``finish_reason="stop"`` and
  ``stop_reason=<the string>``. ``text`` is exactly the completion before the
  string's first occurrence. ``token_ids``/``logprobs`` hold the sampled tokens
  that lie wholly before it; the stop string's tokens are **not** included. They
  are in ``metadata["stop_token_ids"]`` / ``metadata["stop_logprobs"]``, so
  ``token_ids + stop_token_ids`` is exactly what the sampler produced. When the
  string starts inside a token (e.g. ``" ```output"`` as one token), that token
  goes to the stop side and ``metadata["stop_split_token"]`` is True: then
  ``text`` ends with the characters of that token before the stop string, and is
  longer than ``decode(token_ids)``.
* Otherwise ``finish_reason="length"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmrl_core.provider import Generation


def _decode(tokenizer: Any, ids: list[int]) -> str:
    return tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)


def stop_window(stops: tuple[str, ...]) -> int:
    """Tokens to decode to see a fresh stop string: every token decodes to at least one character."""
    return max(len(s) for s in stops) + 4


def stop_in_tail(tokenizer: Any, ids: list[int], stops: tuple[str, ...]) -> bool:
    """Whether the decoded last :func:`stop_window` tokens of ``ids`` (a completion so far) hold a stop string.

    The check a sampler runs after each token to end a row; :func:`finish_row` then finds where.
    """
    tail = _decode(tokenizer, ids[-stop_window(stops):])
    return any(s in tail for s in stops if s)


def _first_stop(text: str, stops: tuple[str, ...]) -> tuple[int, str] | None:
    hits = [(text.find(s), s) for s in stops if s and s in text]
    return min(hits, key=lambda h: h[0]) if hits else None


def _tokens_before(tokenizer: Any, ids: list[int], chars: int) -> int:
    """The most leading tokens whose decoded text fits in ``chars`` characters (binary search)."""
    lo, hi = 0, len(ids)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(_decode(tokenizer, ids[:mid])) <= chars:
            lo = mid
        else:
            hi = mid - 1
    return lo


def finish_row(
    tokenizer: Any,
    ids: list[int],
    logprobs: list[float],
    *,
    eos_ids: set[int],
    stops: tuple[str, ...],
    fired_at: int | None,
    prompt_ids: list[int],
    metadata: dict[str, Any],
) -> Generation:
    """``ids``: the generated tokens of one row (padding after its end included)."""
    end = len(ids)
    eos_at = next((i for i, t in enumerate(ids) if t in eos_ids), None)
    if eos_at is not None:
        end = eos_at + 1
    if fired_at is not None:
        end = min(end, fired_at)
    ids, logprobs = ids[:end], logprobs[:end]
    hit = _first_stop(_decode(tokenizer, ids), stops) if stops else None
    if hit is not None:
        where, stop = hit
        text = _decode(tokenizer, ids)[:where]
        keep = _tokens_before(tokenizer, ids, where)
        meta = {
            **metadata,
            "stop_token_ids": ids[keep:],
            "stop_logprobs": logprobs[keep:],
            "stop_split_token": len(_decode(tokenizer, ids[:keep])) < where,
        }
        return Generation(text, "stop", stop, ids[:keep], logprobs[:keep], prompt_ids, meta)
    finish = "stop" if (eos_at is not None and eos_at < end) or fired_at is not None else "length"
    return Generation(_decode(tokenizer, ids), finish, None, ids, logprobs, prompt_ids, dict(metadata))


def finish_pieces(
    pieces: Sequence[str],
    *,
    stops: Sequence[str] = (),
    eos: bool = False,
    token_ids: list[int] | None = None,
    logprobs: list[float] | None = None,
    prompt_token_ids: list[int] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Generation:
    """:func:`finish_row`'s contract without a tokenizer: ``pieces`` is the text of each sampled token.

    Give the engine's per-token strings in order (an EOS token's piece is ``""``), with the
    ``token_ids``/``logprobs`` that go with them if you have them; an engine that returns
    only text passes ``[text]``. ``eos``: generation ended on an end-of-sequence token (keep
    it as the last of ``token_ids``). The first stop string found in the joined text cuts
    it; tokens wholly before the stop stay in ``token_ids``/``logprobs``, the rest go to
    ``metadata["stop_token_ids"]``/``["stop_logprobs"]``, and ``metadata["stop_split_token"]``
    says whether the stop began inside a token.
    """
    for values, what in ((token_ids, "token_ids"), (logprobs, "logprobs")):
        if values is not None and len(values) != len(pieces):
            raise ValueError(f"{what} has {len(values)} entries for {len(pieces)} pieces; give one per sampled token")
    text = "".join(pieces)
    hit = _first_stop(text, tuple(stops))
    meta = dict(metadata or {})
    if hit is None:
        return Generation(text, "stop" if eos else "length", None, token_ids, logprobs, prompt_token_ids, meta)
    where, stop = hit
    keep, end = 0, 0
    for piece in pieces:
        if end + len(piece) > where:
            break
        end, keep = end + len(piece), keep + 1
    meta["stop_split_token"] = end < where
    if token_ids is not None:
        meta["stop_token_ids"] = token_ids[keep:]
    if logprobs is not None:
        meta["stop_logprobs"] = logprobs[keep:]
    return Generation(text[:where], "stop", stop, None if token_ids is None else token_ids[:keep],
                      None if logprobs is None else logprobs[:keep], prompt_token_ids, meta)
