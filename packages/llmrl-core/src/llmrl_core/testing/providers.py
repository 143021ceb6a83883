"""The LLM provider contract: shapes, grouping, determinism, stop strings, token ids.

Subclass :class:`ProviderConformance` and supply a ``provider`` fixture. Load the
model once, in a module-scoped fixture (the pattern pytest >= 9 accepts: a
class-scoped fixture written as an instance method is deprecated since pytest 9.1).
Every test makes one or two short generations (``max_tokens`` <= 12), so the suite
stays cheap even for a real model on a CPU::

    @pytest.fixture(scope="module")
    def my_provider():
        with get_provider("mine", model="tiny") as p:
            yield p

    class TestMyProvider(ProviderConformance):
        @pytest.fixture
        def provider(self, my_provider):
            return my_provider

Set ``reports_token_ids`` / ``reports_logprobs`` to ``True`` when the provider
promises them, ``honours_seed`` to ``False`` for a backend that ignores seeds, and
``reports_stop_reason`` to ``False`` for one that cannot name the stop string
(OpenAI's own API says only ``"stop"``). A provider declaring ``supports_grammar`` must
keep its completions inside ``SamplingParams.grammar``; one that does not must refuse it.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from llmrl_core.provider import Generation, GrammarUnsupportedError, LLMProvider, SamplingParams

PROMPTS = ["The capital of France is", "Here is a short story about a dog named Max. One day, Max"]
CHAT = [{"role": "user", "content": "Name three colours."}]


def _pick_stop(text: str) -> str | None:
    """A stop string that occurs inside ``text`` after a non-empty prefix (a word of 3+ chars)."""
    words = [w for w in text.split() if len(w) >= 3 and w.isalnum()]
    for word in words[1:]:
        if text.find(word) > 0:
            return word
    return None


class ProviderConformance:
    """The contract every :class:`~llmrl_core.provider.LLMProvider` keeps."""

    reports_token_ids: bool = False
    """True: every generation must carry ``token_ids``."""
    reports_logprobs: bool = False
    """True: every generation must carry one logprob per token id."""
    honours_seed: bool = True
    """False skips the seeded-reproducibility test (for a backend that ignores seeds)."""
    reports_stop_reason: bool = True
    """False: a stop string still cuts the text, but ``stop_reason`` need not name it."""
    max_tokens: int = 12
    """Tokens per test generation; raise it if greedy text is too short to pick a stop word from."""

    @pytest.fixture
    def provider(self) -> LLMProvider:  # pragma: no cover - the subclass provides it
        raise NotImplementedError("subclass ProviderConformance and define a `provider` fixture")

    def _params(self, **kw) -> SamplingParams:
        return SamplingParams(**{"max_tokens": self.max_tokens, **kw})

    def _check_shape(self, gen: Generation, max_tokens: int) -> None:
        assert isinstance(gen, Generation)
        assert isinstance(gen.text, str)
        assert gen.finish_reason in ("stop", "length")
        if gen.token_ids is not None:
            assert all(isinstance(t, int) for t in gen.token_ids)
            assert len(gen.token_ids) <= max_tokens
        if gen.logprobs is not None:
            assert gen.token_ids is None or len(gen.logprobs) == len(gen.token_ids)
            assert all(math.isfinite(lp) and lp <= 1e-4 for lp in gen.logprobs)

    def test_empty_batch_gives_nothing(self, provider: LLMProvider) -> None:
        assert provider.generate([], self._params()) == []

    def test_n_samples_per_prompt_grouped_by_prompt(self, provider: LLMProvider) -> None:
        params = self._params(n=2, temperature=1.0, seed=7)
        gens = provider.generate(PROMPTS, params)
        assert len(gens) == len(PROMPTS) * 2
        for gen in gens:
            self._check_shape(gen, params.max_tokens)
        if gens[0].prompt_token_ids is not None:
            assert gens[0].prompt_token_ids == gens[1].prompt_token_ids
            assert gens[2].prompt_token_ids == gens[3].prompt_token_ids
            assert gens[0].prompt_token_ids != gens[2].prompt_token_ids
        if self.reports_token_ids:
            assert all(g.token_ids is not None and g.token_ids for g in gens), (
                "reports_token_ids is True but a generation has no token_ids: fill them, or set reports_token_ids = False")
        if self.reports_logprobs:
            assert all(g.logprobs is not None and len(g.logprobs) == len(g.token_ids or []) for g in gens), (
                "reports_logprobs is True but a generation lacks one logprob per token id: fill them, or set "
                "reports_logprobs = False")

    def test_max_tokens_bounds_the_completion(self, provider: LLMProvider) -> None:
        gens = provider.generate(PROMPTS[1:], self._params(temperature=0.0, max_tokens=3))
        (gen,) = gens
        self._check_shape(gen, 3)
        if gen.token_ids is not None and len(gen.token_ids) == 3 and gen.finish_reason == "length":
            assert gen.stop_reason is None
        assert len(gen.text) < 3 * 40  # three tokens, whatever the tokenizer

    def test_greedy_is_deterministic(self, provider: LLMProvider) -> None:
        params = self._params(temperature=0.0)
        first = provider.generate(PROMPTS, params)
        second = provider.generate(PROMPTS, params)
        assert [g.text for g in first] == [g.text for g in second], "temperature=0 gave two different answers"
        assert any(g.text.strip() for g in first), "greedy decoding produced only empty completions"

    def test_seed_makes_sampling_reproducible(self, provider: LLMProvider) -> None:
        if not self.honours_seed:
            pytest.skip("this provider does not honour seeds")
        params = self._params(n=2, temperature=1.0, seed=1234)
        first = provider.generate(PROMPTS[:1], params)
        second = provider.generate(PROMPTS[:1], params)
        assert [g.text for g in first] == [g.text for g in second], (
            "the same seed gave different samples: honour SamplingParams.seed, or set honours_seed = False")

    def test_chat_messages_are_accepted(self, provider: LLMProvider) -> None:
        (gen,) = provider.generate([CHAT], self._params(temperature=0.0))
        self._check_shape(gen, self.max_tokens)
        assert gen.text.strip(), "a chat prompt produced an empty completion"

    def test_stop_string_halts_and_is_reported(self, provider: LLMProvider) -> None:
        """A stop string cuts each completion right before its first occurrence, and is named."""
        base = self._params(temperature=0.0)
        free = provider.generate(PROMPTS, base)
        stop = _pick_stop(free[0].text)
        assert stop is not None, (f"no usable stop word in the greedy completion {free[0].text!r}; raise max_tokens "
                                  f"(now {self.max_tokens}) so the completion has a few words")
        cut = provider.generate(PROMPTS, dataclasses.replace(base, stop=(stop,)))
        for before, after in zip(free, cut, strict=True):
            where = before.text.find(stop)
            if where < 0:
                assert after.text == before.text
                continue
            assert after.finish_reason == "stop", f"a completion cut by the stop string {stop!r} must finish with 'stop'"
            assert after.stop_reason == (stop if self.reports_stop_reason else after.stop_reason), (
                f"stop_reason is {after.stop_reason!r}, not the stop string {stop!r}: name it (llmrl_core.stops."
                "finish_pieces does), or set reports_stop_reason = False")
            assert after.text == before.text[:where], "text must end right before the stop string's first occurrence"
            assert stop not in after.text
            if before.token_ids is not None and after.token_ids is not None:
                assert after.token_ids == before.token_ids[: len(after.token_ids)]
                assert len(after.token_ids) < len(before.token_ids)
        assert cut[0].finish_reason == "stop"
        if self.reports_stop_reason:
            assert cut[0].stop_reason == stop

    def test_grammar_is_honoured_or_refused(self, provider: LLMProvider) -> None:
        """Constrained decoding is a declared capability: kept to the letter, or refused (never ignored)."""
        grammar = 'start: ("red" | "green" | "blue") ", " ("cat" | "dog")'
        params = self._params(n=2, temperature=1.0, seed=3, grammar=grammar)
        if not provider.supports_grammar:
            with pytest.raises(GrammarUnsupportedError, match="cannot constrain decoding"):
                provider.generate([CHAT], params)
            return
        gens = provider.generate([CHAT, PROMPTS[0]], params)
        assert len(gens) == 4
        for gen in gens:
            self._check_shape(gen, params.max_tokens)
            colour, _, animal = gen.text.partition(", ")
            assert colour in ("red", "green", "blue") and animal in ("cat", "dog"), gen.text
            assert gen.finish_reason == "stop"

    def test_has_a_name(self, provider: LLMProvider) -> None:
        assert isinstance(provider, LLMProvider)
        assert isinstance(provider.name, str) and provider.name
