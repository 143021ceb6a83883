"""llmrl_core.stops: where a stop string cuts text and token ids, on the real SmolLM2 tokenizer (no model run)."""

from __future__ import annotations

import pytest

from llmrl_core.models import resolve_model
from llmrl_core.stops import finish_row, stop_in_tail, stop_window


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)


def _finish(tokenizer, text: str, stops: tuple[str, ...], eos: bool = False):
    ids = tokenizer(text, add_special_tokens=False)["input_ids"] + ([tokenizer.eos_token_id] if eos else [])
    logprobs = [-0.1 * (i + 1) for i in range(len(ids))]
    gen = finish_row(tokenizer, ids, logprobs, eos_ids={tokenizer.eos_token_id}, stops=stops, fired_at=None,
                     prompt_ids=[1], metadata={})
    return ids, logprobs, gen


def test_output_fence_stop_excludes_its_tokens_and_keeps_them_aside(tokenizer) -> None:
    ids, logprobs, gen = _finish(tokenizer, "```python\nprint(2 + 2)\n```\n```output\n4\n", ("```output",))
    assert gen.finish_reason == "stop" and gen.stop_reason == "```output"
    assert gen.text == "```python\nprint(2 + 2)\n```\n"
    assert tokenizer.decode(gen.token_ids) == gen.text  # the fence starts on a token boundary
    assert gen.metadata["stop_split_token"] is False
    assert gen.token_ids + gen.metadata["stop_token_ids"] == ids
    assert gen.logprobs + gen.metadata["stop_logprobs"] == logprobs
    assert tokenizer.decode(gen.metadata["stop_token_ids"]).startswith("```output")


def test_stop_inside_a_token_keeps_text_exact_and_flags_the_split(tokenizer) -> None:
    ids, _, gen = _finish(tokenizer, "x = 1 ```output", ("```output",))
    assert gen.text == "x = 1 "
    assert tokenizer.decode(gen.token_ids) == "x = 1"  # " ```" is one token: it goes to the stop side
    assert gen.metadata["stop_split_token"] is True
    assert gen.token_ids + gen.metadata["stop_token_ids"] == ids


def test_earliest_of_several_stops_wins(tokenizer) -> None:
    _, _, gen = _finish(tokenizer, "alpha beta gamma delta", ("delta", "beta"))
    assert gen.stop_reason == "beta" and gen.text == "alpha "


def test_eos_is_kept_in_token_ids_but_not_in_text(tokenizer) -> None:
    ids, _, gen = _finish(tokenizer, "All done.", (), eos=True)
    assert gen.finish_reason == "stop" and gen.stop_reason is None
    assert gen.token_ids == ids and gen.token_ids[-1] == tokenizer.eos_token_id
    assert gen.text == "All done."


def test_no_stop_no_eos_is_length(tokenizer) -> None:
    ids, _, gen = _finish(tokenizer, "and so on and so forth", ("```output",))
    assert gen.finish_reason == "length" and gen.token_ids == ids and gen.text == "and so on and so forth"


def test_padding_after_eos_is_dropped(tokenizer) -> None:
    ids = tokenizer("Yes.", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id] * 4
    gen = finish_row(tokenizer, ids, [0.0] * len(ids), eos_ids={tokenizer.eos_token_id}, stops=(), fired_at=None,
                     prompt_ids=[], metadata={})
    assert gen.token_ids == ids[:-3] and len(gen.logprobs) == len(gen.token_ids)


def test_stop_in_tail_sees_a_fresh_stop_within_its_window(tokenizer) -> None:
    """The per-token check samplers run: a stop just completed is seen; one that ended long ago is not searched."""
    stops = ("```output",)
    fresh = tokenizer("print(2)\n```\n```output", add_special_tokens=False)["input_ids"]
    assert stop_in_tail(tokenizer, fresh, stops)
    assert not stop_in_tail(tokenizer, fresh[:-1], stops)  # one token short of the marker
    later = fresh + tokenizer(" a" * stop_window(stops), add_special_tokens=False)["input_ids"]
    assert not stop_in_tail(tokenizer, later, stops)  # only the last stop_window tokens are decoded


@pytest.mark.parametrize(("text", "stops", "eos"), [
    ("```python\nprint(2 + 2)\n```\n```output\n4\n", ("```output",), False),
    ("x = 1 ```output", ("```output",), False),
    ("The capital of France is Paris. It is", ("Paris", "It"), False),
    ("no stop here", ("```output",), True),
    ("no stop here either", (), False),
])
def test_tokenizer_free_pieces_agree_with_finish_row(tokenizer, text, stops, eos) -> None:
    """finish_pieces, fed each real token's text, gives what finish_row gives with the tokenizer."""
    from llmrl_core.stops import finish_pieces

    ids, logprobs, want = _finish(tokenizer, text, stops, eos=eos)
    pieces = [tokenizer.decode([t], skip_special_tokens=True) for t in ids]
    got = finish_pieces(pieces, stops=stops, eos=eos, token_ids=ids, logprobs=logprobs, prompt_token_ids=[1])
    assert (got.text, got.finish_reason, got.stop_reason, got.token_ids, got.logprobs) == (
        want.text, want.finish_reason, want.stop_reason, want.token_ids, want.logprobs)
    for key in ("stop_token_ids", "stop_logprobs", "stop_split_token"):
        assert got.metadata.get(key) == want.metadata.get(key)


def test_text_only_engines_get_the_cut_and_the_reason() -> None:
    from llmrl_core.stops import finish_pieces

    gen = finish_pieces(["Paris. Next question"], stops=["\n", "Next"])
    assert (gen.text, gen.finish_reason, gen.stop_reason, gen.token_ids) == ("Paris. ", "stop", "Next", None)
    assert finish_pieces(["Paris."]).finish_reason == "length" and finish_pieces(["Paris."], eos=True).finish_reason == "stop"
    with pytest.raises(ValueError, match="token_ids has 1 entries for 2 pieces"):
        finish_pieces(["a", "b"], token_ids=[1])
