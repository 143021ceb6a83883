"""Fixtures: the real ``local`` sandbox and ``transformers`` provider (the embedded model), skipped cleanly when not installed."""

from __future__ import annotations

import sys

import pytest

from llmrl_core import ComponentUnavailableError, UnknownComponentError, get_provider, get_sandbox


@pytest.fixture(scope="session")
def local_sandbox():
    """The kernel-isolated ``local`` sandbox (llmrl-sandbox-local), shared by the session's tests."""
    try:
        sandbox = get_sandbox("local")
    except UnknownComponentError:
        pytest.skip("the 'local' sandbox (llmrl-sandbox-local) is not installed: LLM-written code only runs in a real sandbox")
    except ComponentUnavailableError as exc:
        pytest.skip(f"the 'local' sandbox cannot start here: {exc}")
    with sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def embedded_llm():
    """The embedded SmolLM2 through the ``transformers`` provider, loaded once for the session's tests."""
    try:
        provider = get_provider("transformers")
    except UnknownComponentError:
        pytest.skip("the 'transformers' provider (llmrl-provider-transformers) is not installed")
    except ComponentUnavailableError as exc:
        pytest.skip(f"the embedded model cannot load here: {exc}")
    with provider:
        yield provider


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """The test machine's 2 cores are shared: one torch thread is faster than two under contention.

    Only when torch is already imported (by a test module that needs it): importing it here costs seconds.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


class GrammarWalker:
    """Random strings of a grammar: from its start, a uniformly random token among those the grammar allows, until it ends.

    llguidance with the embedded model's real tokenizer (no model weights): the same masks as constrained decoding.
    """

    def __init__(self, llguidance, tokenizer):
        self.llg, self.hf = llguidance, tokenizer
        self.tokenizer = llguidance.hf.from_tokenizer(tokenizer)

    def matcher(self, grammar: str):
        matcher = self.llg.LLMatcher(self.tokenizer, self.llg.LLMatcher.grammar_from_lark(grammar))
        assert not matcher.is_error(), matcher.get_error()
        return matcher

    def admits(self, grammar: str, text: str) -> bool:
        matcher = self.matcher(grammar)
        tokens = self.tokenizer.tokenize_str(text)
        return matcher.try_consume_tokens(tokens) == len(tokens) and matcher.is_accepting()

    def sample(self, grammar: str, rng, max_tokens: int = 4000) -> str:
        import numpy as np

        matcher, eos = self.matcher(grammar), self.tokenizer.eos_token
        mask = self.llg.numpy.allocate_token_bitmask(1, self.tokenizer.vocab_size)
        out = []
        for _ in range(max_tokens):
            if matcher.is_stopped():
                break
            self.llg.numpy.fill_next_token_bitmask(matcher, mask, 0)
            allowed = np.flatnonzero(np.unpackbits(mask.view(np.uint8), bitorder="little")[: self.tokenizer.vocab_size])
            token = eos if eos in allowed and rng.random() < 0.5 else int(rng.choice(allowed))
            assert matcher.consume_token(token), matcher.get_error()
            if token != eos:
                out.append(token)
        assert matcher.is_stopped() and matcher.is_accepting(), "the walk did not end inside the grammar"
        return self.tokenizer.decode_str(out)


@pytest.fixture(scope="session")
def grammar_walker():
    """A :class:`GrammarWalker` over the embedded model's tokenizer (skipped without llguidance)."""
    pytest.importorskip("llguidance")
    import llguidance
    import llguidance.hf  # noqa: F401 - from_tokenizer
    import llguidance.numpy  # noqa: F401 - the mask helpers
    from transformers import AutoTokenizer

    from llmrl_core.models import resolve_model

    return GrammarWalker(llguidance, AutoTokenizer.from_pretrained(resolve_model().path))
