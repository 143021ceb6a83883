"""The stop-execute-continue loop on the embedded SmolLM2-135M (CPU) with the real local sandbox.

A one-shot prompt plus an assistant prefix that opens a python block make the model write
code and then the ```output marker.
"""

from __future__ import annotations

import pytest

from llmrl_core import SamplingParams
from llmrl_toolrl.config import ToolConfig
from llmrl_toolrl.observation import STOP, output_block_tail
from llmrl_toolrl.rollout import RolloutTimings, open_sandbox, rollout

ONE_SHOT = (
    "<|im_start|>user\nWhat is 2 + 3? Use Python.<|im_end|>\n<|im_start|>assistant\n```python\nprint(2 + 3)\n```\n"
    "```output\n5\n```\nThe answer is \\boxed{{5}}.<|im_end|>\n<|im_start|>user\n{question} Use Python.<|im_end|>\n"
    "<|im_start|>assistant\n"
)
QUESTIONS = ["What is 12 * 7?", "What is 9 + 30?"]


@pytest.fixture(scope="module")
def model_and_tokenizer():
    from llmrl_core.models import load_model_and_tokenizer

    return load_model_and_tokenizer("smollm2-135m")


@pytest.fixture(scope="module")
def sandbox():
    box = open_sandbox(ToolConfig(sandbox_config={"workers": 2, "light_preload": None, "preload": ["math"]}))
    yield box
    box.close()


def _cfg(calls: int) -> ToolConfig:
    return ToolConfig(prompt_template=ONE_SHOT, assistant_prefix="```python\n", max_tool_calls=calls, timeout_s=5)


def _run(model_and_tokenizer, sandbox, calls: int, limit: int = 64):
    from llmrl_grpo.sampler import ModelSampler

    model, tokenizer = model_and_tokenizer
    cfg = _cfg(calls)
    timings = RolloutTimings()
    trajs = rollout(ModelSampler(model, tokenizer), [cfg.render(q) for q in QUESTIONS], sandbox, cfg,
                    SamplingParams(temperature=0.0, max_tokens=limit), max_completion_tokens=limit, timings=timings)
    return trajs, timings


@pytest.fixture(scope="module")
def one_call(model_and_tokenizer, sandbox):
    return _run(model_and_tokenizer, sandbox, calls=1)


def test_stop_execute_and_continue(one_call):
    trajs, timings = one_call
    called = [t for t in trajs if t.calls]
    assert called, [t.text for t in trajs]
    for t in called:
        call = t.calls[0]
        assert call.status == "ok" and call.code and "print(" in call.code
        assert t.segments[0][0] == "model" and t.segments[0][1].endswith(STOP)
        assert t.segments[1] == ("tool", output_block_tail(call.observation))
        assert len(t.segments) >= 3 and t.segments[2][0] == "model"  # generation went on after the output
    assert "84" in [c.observation for t in trajs for c in t.calls]
    assert timings.executions == sum(t.num_calls for t in trajs) and timings.generate_s > 0


def test_mask_is_aligned_token_by_token(one_call, model_and_tokenizer):
    _, tokenizer = model_and_tokenizer
    trajs, _ = one_call
    for t in trajs:
        assert len(t.env_mask) == len(t.completion_ids) == len(t.logprobs)
        zeros = [i for i, m in enumerate(t.env_mask) if m == 0]
        if not t.calls:
            assert not zeros
            continue
        # the tool output is one contiguous run of mask 0: exactly the tokenised output block, nothing else
        start, end = zeros[0], zeros[-1] + 1
        assert zeros == list(range(start, end))
        tail = output_block_tail(t.calls[0].observation)
        assert t.completion_ids[start:end] == tokenizer(tail, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(t.completion_ids[:start]).endswith(STOP)  # the marker is the model's (mask 1)
        assert all(m == 1 for m in t.env_mask[end:]) and end < len(t.env_mask)


def test_continuation_is_conditioned_on_the_exact_ids(one_call, model_and_tokenizer):
    """The sampler's logprobs equal a teacher-forced pass over prompt_ids + completion_ids, so every
    round saw exactly those ids (a re-tokenised context would give other logits)."""
    import torch

    model, _ = model_and_tokenizer
    trajs, _ = one_call
    for t in [t for t in trajs if t.calls]:
        ids = torch.tensor([t.prompt_ids + t.completion_ids])
        with torch.no_grad():
            logp = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
        p = len(t.prompt_ids)
        forced = [logp[p - 1 + i, tok].item() for i, tok in enumerate(t.completion_ids)]
        after_tool = [i for i in range(len(t.env_mask)) if t.env_mask[i] == 1 and 0 in t.env_mask[:i]]
        assert after_tool
        for i in range(len(t.env_mask)):
            if t.env_mask[i] == 1:
                assert abs(forced[i] - t.logprobs[i]) < 2e-3, (i, forced[i], t.logprobs[i])


def test_tool_call_cap(model_and_tokenizer, sandbox, one_call):
    none, _ = _run(model_and_tokenizer, sandbox, calls=0, limit=40)
    assert all(t.num_calls == 0 and all(m == 1 for m in t.env_mask) for t in none)
    # with C = 0 the stop marker is not used: the greedy model writes the marker and goes straight on
    first, _ = one_call
    for t0, t1 in zip(none, first, strict=True):
        if t1.calls:
            assert STOP in t0.text and t0.completion_ids[: len(t1.completion_ids)] != t1.completion_ids
    assert all(t.num_calls <= 1 for t in first)


def test_overlapped_chunks_run_the_same_loop_in_text_mode(sandbox):
    """Text mode (a provider from the registry): a round sampled in chunks of one, each chunk's code
    running while the next is sampled, gives the same trajectories as one batch per round (greedy)."""
    from llmrl_core import get_provider

    llm = get_provider("transformers")
    cfg = _cfg(1)
    prompts = [cfg.render(q) for q in QUESTIONS]
    params = SamplingParams(temperature=0.0, max_tokens=24)
    timings = RolloutTimings()
    chunked = rollout(llm, prompts, sandbox, cfg, params, timings=timings, overlap_chunk=1)
    whole = rollout(llm, prompts, sandbox, cfg, params)
    assert any(t.calls for t in chunked) and timings.executions == sum(t.num_calls for t in chunked)
    assert [t.text for t in chunked] == [t.text for t in whole]
    assert all(c.status == "ok" for t in chunked for c in t.calls) and not any(t.completion_ids for t in chunked)


def test_a_seeded_rollout_is_reproducible(model_and_tokenizer, sandbox):
    """Sampling at T = 1 with a seed: the same ids twice (a row resumes at a fixed step, not when the sandbox answers)."""
    from llmrl_grpo.sampler import ModelSampler

    model, tokenizer = model_and_tokenizer
    cfg = _cfg(1)
    prompts = [cfg.render(q) for q in QUESTIONS]

    def once():
        return rollout(ModelSampler(model, tokenizer), prompts, sandbox, cfg,
                       SamplingParams(temperature=1.0, max_tokens=32, seed=11), max_completion_tokens=32)

    first, second = once(), once()
    assert [t.completion_ids for t in first] == [t.completion_ids for t in second]
    assert [t.env_mask for t in first] == [t.env_mask for t in second]
    assert all(len(t.completion_ids) <= 32 for t in first)


def test_solve_cli_with_a_provider_prints_the_trajectory():
    """`llmrl toolrl solve` through the registry's transformers provider (text mode) and the local sandbox."""
    from typer.testing import CliRunner

    from llmrl_toolrl.cli import app

    result = CliRunner().invoke(app, [
        "solve", "What is 12 * 7?", "--provider", "transformers", "--sandbox", "local", "--max-tokens", "24",
        "--template", ONE_SHOT.replace("\n", "\\n"),
        "--prefix", "```python\\n",
    ])
    assert result.exit_code == 0, result.output
    assert "print(" in result.output and "tool calls:" in result.output
    assert "```output\n84\n```" in result.output  # the real execution's output, interleaved
