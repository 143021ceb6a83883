"""The DecodeSession's KV cache on the embedded SmolLM2-135M (CPU): left padding, rows that pause
(leaving holes in the cache), resume with appended ids, and finish (dropped from the cache) must give
each row exactly the logits of a fresh forward pass over its own tokens.
"""

from __future__ import annotations

import pytest

from llmrl_core import SamplingParams


@pytest.fixture(scope="module")
def sampler():
    from llmrl_core.models import load_model_and_tokenizer
    from llmrl_grpo.sampler import ModelSampler

    model, tokenizer = load_model_and_tokenizer("smollm2-135m")
    return ModelSampler(model, tokenizer)


def _fresh_logits(model, ids: list[int]):
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0, -1].float()


def test_cached_continuation_matches_a_fresh_forward(sampler):
    prompts = [sampler.encode("What is 12 * 7? Use Python.\n```python\n"), sampler.encode("Hi"),
               sampler.encode("A longer prompt: compute the sum of the first ten odd numbers with a short program.")]
    outputs = [sampler.encode("\n84\n```\n"), sampler.encode("\nZeroDivisionError: division by zero\n```\n"),
               sampler.encode("\n100\n```\n")]
    assert len({len(p) for p in prompts}) == 3  # left padding of two different widths
    session = sampler.session(prompts, SamplingParams(temperature=0.0), stops=[()] * 3, max_tokens=[2, 5, 3])
    context = [list(p) for p in prompts]  # exactly what each row has put into the cache
    paused_at: dict[int, int] = {}
    resumed: set[int] = set()
    checked, holes, step = 0, 0, 0
    with sampler.eval_mode():
        while session.running or paused_at:
            fed = [r for r in range(3) if session.state[r] == "run"]
            holes += len(paused_at) if fed else 0
            events = session.step()
            for r in fed:
                diff = (session.last_logits[r] - _fresh_logits(sampler.model, context[r])).abs().max().item()
                assert diff < 1e-4, (r, step, diff)
                context[r].append(session.seg_ids[r][-1])
                checked += 1
            for r, gen in events:
                ended = session.seg_ids[r]
                assert gen.token_ids == ended and gen.stop_reason is None
                assert len(ended) == session.budget[r] or ended[-1] in sampler.eos_ids  # its max_tokens, or EOS
                paused_at[r] = step
            for r, at in list(paused_at.items()):
                if step - at < 1 + r % 2:  # rows wait 1 or 2 steps, as for a sandbox answer
                    continue
                del paused_at[r]
                if r in resumed:
                    session.finish(r)  # dropped from the cache while the others go on
                else:
                    session.resume(r, outputs[r], (), 3)
                    context[r] += outputs[r]
                    resumed.add(r)
            step += 1
    assert resumed == {0, 1, 2} and holes > 0 and checked >= 10


def test_stop_string_ends_a_segment_with_the_providers_meaning(sampler):
    """The session's segments go through llmrl_core.stops.finish_row: the stop string's tokens are kept aside."""
    prompt = sampler.encode("<|im_start|>user\nWhat is 2 + 3? Use Python.<|im_end|>\n<|im_start|>assistant\n```python\n")
    session = sampler.session([prompt], SamplingParams(temperature=0.0), stops=[("```",)], max_tokens=[40])
    with sampler.eval_mode():
        events = []
        while session.running:
            events += session.step()
    [(row, gen)] = events
    assert row == 0 and gen.stop_reason == "```" and gen.finish_reason == "stop"
    sampled = gen.token_ids + gen.metadata["stop_token_ids"]
    assert sampled == session.seg_ids[0] and "```" in sampler.decode(sampled) and "```" not in gen.text


def test_seeded_sampling_is_reproducible_and_per_row(sampler):
    """Each row samples from its own seeded generator: same seed, same tokens, alone or in a batch."""
    prompts = [sampler.encode("Once upon a time"), sampler.encode("The answer is")]
    params = SamplingParams(temperature=1.0, max_tokens=6, seed=7)
    both = sampler.generate_ids(prompts, params)
    again = sampler.generate_ids(prompts, params)
    assert [g.token_ids for g in both] == [g.token_ids for g in again]
    other_seed = sampler.generate_ids(prompts, SamplingParams(temperature=1.0, max_tokens=6, seed=8))
    assert [g.token_ids for g in other_seed] != [g.token_ids for g in both]
    solo = sampler.session(prompts[1:], params, first_row=1)  # row 1 on its own: the same generator
    with sampler.eval_mode():
        while solo.running:
            for r, _ in solo.step():
                solo.finish(r)
    assert solo.seg_ids[0] == both[1].token_ids
