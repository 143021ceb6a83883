"""Grammar-constrained decoding: a logits processor that lets each row sample only what its grammar admits.

The grammar (``SamplingParams.grammar``: Lark text in llguidance's dialect) is compiled by
llguidance against the model's own tokenizer; one matcher per row follows the tokens that row
samples and, before each step, masks every token the grammar forbids there. Once a row's
grammar is complete (or its matcher stops), only end-of-sequence is left. llguidance computes a
mask in about a millisecond for the small grammars llmrl uses, next to tens of milliseconds for
a forward pass of even a 135M model on a CPU.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import torch
from transformers import LogitsProcessor

from llmrl_core import ConfigError

log = logging.getLogger(__name__)


def _llguidance():
    try:
        import llguidance
        import llguidance.hf
        import llguidance.torch
    except ImportError:  # pragma: no cover - a dependency of this plugin
        from llmrl_core import ComponentUnavailableError

        raise ComponentUnavailableError(
            "grammar-constrained decoding needs llguidance: pip install llguidance") from None
    return llguidance


class CompiledGrammars:
    """llguidance's view of one tokenizer (built once, ~0.5 s) and the grammars compiled for it (cached)."""

    def __init__(self, tokenizer: Any, eos_ids: list[int]):
        llg = _llguidance()
        self.tokenizer = llg.hf.from_tokenizer(tokenizer, eos_token=eos_ids)
        self.vocab_size = self.tokenizer.vocab_size
        self.matcher = lru_cache(maxsize=16)(self._compile)

    def _compile(self, grammar: str):
        llg = _llguidance()
        try:
            spec = llg.LLMatcher.grammar_from_lark(grammar)
        except Exception as exc:  # noqa: BLE001 - llguidance raises plain ValueErrors/RuntimeErrors
            raise ConfigError(f"the grammar does not compile (Lark, llguidance's dialect): {exc}") from None
        matcher = llg.LLMatcher(self.tokenizer, spec)
        if matcher.is_error():
            raise ConfigError(f"the grammar does not compile (Lark, llguidance's dialect): {matcher.get_error()}")
        return matcher

    def fresh(self, grammar: str):
        """A matcher at the start of ``grammar`` (a copy of the cached, compiled one)."""
        return self.matcher(grammar).deep_copy()


class GrammarConstraint(LogitsProcessor):
    """Per-row grammar masks on the logits, as the first processor (so recorded logprobs are the constrained ones).

    The token a row sampled at step t is seen at step t+1 as its last input id and fed to that
    row's matcher; a row whose matcher stopped (grammar complete, or an end token it could not
    take, such as the padding after a stop string) may only produce ``eos_id``.
    """

    def __init__(self, grammars: CompiledGrammars, grammar: str, batch: int, prompt_len: int, eos_id: int):
        self.grammars, self.prompt_len, self.eos_id = grammars, prompt_len, eos_id
        self.matchers = [grammars.fresh(grammar) for _ in range(batch)]
        self.done = [False] * batch
        self.bitmask = _llguidance().torch.allocate_token_bitmask(batch, grammars.vocab_size)
        self._bits = torch.arange(32, dtype=torch.int32)

    def finish(self, sequences: torch.LongTensor) -> list[bool]:
        """Feed each row its last sampled token; per row: is what it produced a complete string of the language?"""
        self._advance(sequences)
        return [m.is_accepting() or (m.is_stopped() and not m.is_error()) for m in self.matchers]

    def _advance(self, input_ids: torch.LongTensor) -> None:
        if input_ids.shape[1] <= self.prompt_len:
            return
        for row, token in enumerate(input_ids[:, -1].tolist()):
            if self.done[row]:
                continue
            matcher = self.matchers[row]
            if not matcher.consume_token(token) or matcher.is_error():
                log.debug("grammar: row %d could not take token %d (%s); only end of sequence from here", row, token,
                          matcher.get_error())
                self.done[row] = True
            elif matcher.is_stopped():
                self.done[row] = True

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self._advance(input_ids)
        llg_torch = _llguidance().torch
        for row, matcher in enumerate(self.matchers):
            if not self.done[row]:
                llg_torch.fill_next_token_bitmask(matcher, self.bitmask, row)
        words = self.bitmask.to(scores.device)
        allowed = ((words[:, :, None] >> self._bits.to(scores.device)) & 1).reshape(len(self.matchers), -1).bool()
        vocab = min(scores.shape[1], allowed.shape[1], self.grammars.vocab_size)
        mask = torch.zeros_like(scores, dtype=torch.bool)
        mask[:, :vocab] = allowed[:, :vocab]
        for row, done in enumerate(self.done):
            if done:
                mask[row] = False
                mask[row, self.eos_id] = True
        return scores.masked_fill(~mask, float("-inf"))
