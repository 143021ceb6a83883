"""The transformers provider on the embedded SmolLM2: the conformance suite plus what only it promises."""

from __future__ import annotations

import pytest

from llmrl_core import ConfigError, SamplingParams, get_provider
from llmrl_core.testing import ProviderConformance


@pytest.fixture(scope="module")
def smol():
    with get_provider("transformers") as provider:
        yield provider


class TestTransformersConformance(ProviderConformance):
    reports_token_ids = True
    reports_logprobs = True

    @pytest.fixture
    def provider(self, smol):
        return smol


def test_describes_backend_device_and_dtype(smol) -> None:
    info = smol.describe()
    assert info["backend"] == "cpu" and info["device"] == "cpu" and info["dtype"] == "float32"
    assert info["context_length"] == 8192


def test_logprobs_are_those_of_the_tempered_model(smol) -> None:
    """Each logprob equals log_softmax(logits / T) of a fresh forward pass over prompt + sampled tokens."""
    import torch

    (gen,) = smol.generate(["def fibonacci(n):"], SamplingParams(temperature=0.7, max_tokens=8, seed=3))
    ids = torch.tensor([gen.prompt_token_ids + gen.token_ids])
    with torch.inference_mode():
        logits = smol.model(ids).logits[0, len(gen.prompt_token_ids) - 1 : -1].float()
    expected = torch.log_softmax(logits / 0.7, dim=-1).gather(1, torch.tensor(gen.token_ids)[:, None]).squeeze(1)
    assert len(gen.logprobs) == len(gen.token_ids) == 8 or gen.finish_reason == "stop"
    assert torch.allclose(torch.tensor(gen.logprobs), expected, atol=1e-3), (gen.logprobs, expected.tolist())


def test_left_padded_batch_matches_single_prompts(smol) -> None:
    params = SamplingParams(temperature=0.0, max_tokens=8)
    short, long = "Hi", "List the planets of the solar system in order from the sun:"
    batched = smol.generate([short, long], params)
    alone = [smol.generate([p], params)[0] for p in (short, long)]
    assert [g.token_ids for g in batched] == [g.token_ids for g in alone]


def test_prompt_longer_than_context_is_a_clear_error(smol) -> None:
    saved = smol.context_length
    smol.context_length = 24
    try:
        with pytest.raises(ValueError, match=r"prompt 0 has \d+ tokens.*max_tokens=8.*truncate_prompt=True"):
            smol.generate(["word " * 40], SamplingParams(max_tokens=8))
        smol.truncate_prompt = True
        (gen,) = smol.generate(["word " * 40], SamplingParams(temperature=0.0, max_tokens=4))
        assert gen.metadata["truncated"] is True
        assert len(gen.prompt_token_ids) == 24 - 4
    finally:
        smol.context_length, smol.truncate_prompt = saved, False


def test_unknown_model_lists_aliases_and_how_to_pass_paths() -> None:
    with pytest.raises(ConfigError, match=r"unknown model 'smollm-135'.*smollm2-135m.*local directory"):
        get_provider("transformers", model="smollm-135")


def test_grammar_masks_every_token_it_forbids_and_keeps_logprobs_consistent(smol) -> None:
    """Greedy decoding under a grammar picks the best *allowed* token each step; logprobs are the constrained ones."""
    import torch

    grammar = r'start: "x = " /[0-9]{1,3}/ "\n"'
    (gen,) = smol.generate(["Write a Python assignment:"], SamplingParams(temperature=0.0, max_tokens=8, grammar=grammar))
    assert gen.finish_reason == "stop" and gen.metadata["grammar_complete"] is True
    head, _, digits = gen.text.rstrip("\n").partition("x = ")
    assert head == "" and digits.isdigit() and 1 <= len(digits) <= 3 and gen.text.endswith("\n")
    assert all(lp <= 1e-4 for lp in gen.logprobs)
    # a completion cut by max_tokens is a prefix of the language, flagged incomplete
    (cut,) = smol.generate(["Write a Python assignment:"], SamplingParams(temperature=0.0, max_tokens=2, grammar=grammar))
    assert cut.finish_reason == "length" and cut.metadata["grammar_complete"] is False
    assert "x = ".startswith(cut.text) or cut.text.startswith("x = ")
    # the greedy tokens without the mask differ: the grammar, not the model, kept the reply in shape
    ids = torch.tensor([gen.prompt_token_ids + gen.token_ids])
    with torch.inference_mode():
        logits = smol.model(ids).logits[0, len(gen.prompt_token_ids) - 1 : -1].float()
    free_choice = logits.argmax(-1).tolist()
    assert free_choice != gen.token_ids  # unconstrained, the model would not have written this


def test_a_grammar_that_does_not_compile_is_a_clear_error(smol) -> None:
    with pytest.raises(ConfigError, match="the grammar does not compile"):
        smol.generate(["Hi"], SamplingParams(max_tokens=2, grammar="start: undefined_rule"))
