"""ToRL's loop on the generation interface, driven by a fake engine (vLLM needs a GPU): turns, masks,
logprobs, rows pausing for their tool calls, uneven turn counts, the response budget, and lockstep
over two real ranks (TRL's server-mode code pairs completions with ranks by position).

The fake is only the engine: ``llmrl_grpo.testing.FakeGenerator`` runs TRL's own ``VLLMGeneration``
in server mode with a scripted server, and the sandbox is the real local one.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from llmrl_core import SamplingParams
from llmrl_toolrl.config import ToolConfig
from llmrl_toolrl.observation import STOP, output_block_tail
from llmrl_toolrl.rollout import RolloutTimings, open_sandbox, rollout

LOGPROB = -0.5
TEMPLATE = "Question {question}\n"
PLAN = {"Q0": 0, "Q1": 1, "Q2": 2, "Q3": 3, "Q4": -1}
"""Tool calls each question's script tries (C = 2 caps Q3 at two); Q4 writes the marker without code."""


def script(context: str, k: int) -> str:
    """What the fake model writes next, given everything so far."""
    question = re.search(r"Question (Q\d)", context).group(1)
    done = context.count(STOP)
    if PLAN[question] == -1 and done == 0:
        return "I will run it.\n" + STOP
    if done < PLAN[question]:
        return f"Step {done}.\n```python\nprint({done} + 40)\n```\n{STOP}"
    return f"So the answer is \\boxed{{{40 + done}}}."


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from llmrl_core.models import resolve_model

    return AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)


@pytest.fixture(scope="module")
def sandbox():
    box = open_sandbox(ToolConfig(sandbox_config={"workers": 2, "light_preload": None, "preload": []}))
    yield box
    box.close()


def _trainer(tokenizer, limit: int):
    """What the generator reads from a trainer: the accelerator, the tokenizer, TRL's args."""
    from accelerate import Accelerator

    return SimpleNamespace(accelerator=Accelerator(cpu=True), processing_class=tokenizer,
                           args=SimpleNamespace(max_completion_length=limit), eos_token_ids=[tokenizer.eos_token_id])


def _mask_runs(mask: list[int]) -> list[tuple[int, int]]:
    runs, start = [], None
    for i, m in enumerate([*mask, 1]):
        if m == 0 and start is None:
            start = i
        elif m == 1 and start is not None:
            runs.append((start, i))
            start = None
    return runs


def test_turns_masks_logprobs_and_uneven_turns_with_fake_generator(tokenizer, sandbox) -> None:
    from llmrl_grpo.testing import FakeGenerator

    cfg = ToolConfig(prompt_template=TEMPLATE, max_tool_calls=2, timeout_s=5)
    gen = FakeGenerator(script, logprob=LOGPROB)
    trainer = _trainer(tokenizer, 200)
    timings = RolloutTimings()
    prompts = [cfg.render(q) for q in PLAN]
    trajs = rollout(gen.sampler(trainer), prompts, sandbox, cfg, SamplingParams(max_tokens=200),
                    max_completion_tokens=200, timings=timings)

    assert [t.num_calls for t in trajs] == [0, 1, 2, 2, 1]
    assert [c.status for t in trajs for c in t.calls] == ["ok", "ok", "ok", "ok", "ok", "no_code"]
    assert [c.observation for c in trajs[2].calls] == ["40", "41"]
    assert trajs[2].text.endswith("\\boxed{42}.") and trajs[3].text.endswith(STOP)  # C reached: the marker is text
    assert all(t.done and t.finish_reason == "stop" for t in trajs)
    assert timings.executions == 5
    # one request per turn, with the rows still going: every row in turn 0, the two-call rows in turn 2
    server = gen.server
    assert [r["prompts"] for r in server.requests] == [5, 4, 2]
    assert [r["stop"] for r in server.requests] == [[STOP], [STOP], []]
    assert {r["max_tokens"] for r in server.requests} == {200}
    for t in trajs:
        assert len(t.completion_ids) == len(t.env_mask) == len(t.logprobs)
        runs = _mask_runs(t.env_mask)
        assert len(runs) == t.num_calls  # one masked run per tool output, nothing else masked
        for (start, end), call in zip(runs, t.calls, strict=True):
            assert t.completion_ids[start:end] == tokenizer(output_block_tail(call.observation),
                                                              add_special_tokens=False)["input_ids"]
            assert tokenizer.decode(t.completion_ids[:start]).endswith(STOP)  # the marker is the model's (mask 1)
        assert all(lp == (LOGPROB if m else 0.0) for lp, m in zip(t.logprobs, t.env_mask, strict=True))
        assert t.completion_ids[-1] == tokenizer.eos_token_id  # the sampled EOS is kept (it is trained)
        assert tokenizer.decode(t.completion_ids, skip_special_tokens=True) == t.text


def test_the_response_budget_cuts_model_and_tool_tokens_with_fake_generator(tokenizer, sandbox) -> None:
    from llmrl_grpo.testing import FakeGenerator
    from llmrl_toolrl.trl_rollout import make_rollout_func

    cfg = ToolConfig(prompt_template=TEMPLATE, max_tool_calls=2, timeout_s=5)
    gen = FakeGenerator(script, logprob=LOGPROB)
    first = len(tokenizer(script("Question Q2\n", 0), add_special_tokens=False)["input_ids"])
    limit = first + 3  # room for the first segment and part of its tool output
    func = make_rollout_func(cfg, sandbox, max_completion_length=limit, generator=gen)
    out = func([cfg.render("Q2"), cfg.render("Q0")], _trainer(tokenizer, limit))
    assert sorted(out) == ["completion_ids", "env_mask", "logprobs", "prompt_ids", "response_tokens", "tool_statuses"]
    assert [len(ids) for ids in out["completion_ids"]] == [limit, len(out["completion_ids"][1])]
    assert out["env_mask"][0] == [1] * first + [0] * 3 and out["tool_statuses"] == [["ok"], []]
    assert out["response_tokens"] == [len(ids) for ids in out["completion_ids"]]
    assert [r["prompts"] for r in gen.server.requests] == [2]  # the cut row never goes back to the engine


RANK_SCRIPT = Path(__file__).with_name("lockstep_rank.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ranks_stay_in_lockstep_and_pad_finished_rows_with_fake_generator(tmp_path) -> None:
    """Rank 0's rows finish in the first turn, rank 1's make two tool calls: rank 0 keeps sending its
    (finished) rows, so every request pairs equal-length lists, and both ranks' results stay right."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "LOCKSTEP_OUT": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), str(RANK_SCRIPT)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["segments_rows"] == ranks[1]["segments_rows"] == [2, 2, 2]  # same calls, all rows each time
    assert ranks[0]["requests"] == [4, 4, 4]  # rank 0 sends one request per turn: both ranks' rows, gathered by TRL
    assert ranks[0]["calls"] == [0, 0] and ranks[1]["calls"] == [2, 1]
    assert ranks[0]["texts"] == ["So the answer is \\boxed{40}."] * 2
    assert ranks[1]["texts"][0].endswith("\\boxed{42}.") and ranks[1]["texts"][1].endswith("\\boxed{41}.")
    assert ranks[1]["observations"] == [["40", "41"], ["40"]]


def _sum_script(context: str, k: int) -> str:
    """Compute the sum in a tool call, then box the tool's output."""
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)\?", context).groups())
    if STOP not in context.split("What is", 1)[1]:
        return f"```python\nprint({a} + {b})\n```\n{STOP}"
    return f"The answer is \\boxed{{{a + b}}}."


@pytest.mark.slow
def test_torl_recipe_trains_on_the_generators_turns_with_fake_generator(tmp_path) -> None:
    """train(cfg, ToRLRecipe, generator=...): the tool loop samples through the generator the run was given."""
    from llmrl_grpo.run import RunDir
    from llmrl_grpo.testing import FakeGenerator
    from llmrl_toolrl.config import ToRLTrainConfig
    from llmrl_toolrl.recipe import train

    cfg = ToRLTrainConfig(output=str(tmp_path / "run"), steps=1, save_steps=1,
                          task_config={"seed": 0, "train_size": 4, "test_size": 2},
                          generation={"completions_per_step": 2, "num_generations": 2, "max_completion_length": 64},
                          eval={"before": False, "after": False}, optim={"learning_rate": 1e-5},
                          tools={"timeout_s": 5, "sandbox_config": {"workers": 2, "light_preload": None, "preload": []}})
    gen = FakeGenerator(_sum_script)
    assert train(cfg, generator=gen)["stopped_at"] == 1
    record = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)[0]
    assert record["tools/calls_per_response"] == 1.0 and record["tools/exec_success_rate"] == 1.0
    assert record["rewards/toolrl/mean"] == 1.0 and record["tools/accuracy"] == 1.0  # boxed the tool's right sum
    assert [r["prompts"] for r in gen.server.requests] == [2, 2]  # two turns: the call, then the answer
    assert record["completions/mean_length"] < record["tools/response_tokens"]  # tool output is not model tokens


@pytest.mark.gpu
@pytest.mark.slow
@pytest.mark.parametrize("backend", ["vllm-colocate", "vllm-server"])
def test_torl_trains_on_vllm(tmp_path, backend) -> None:
    """The same ToRL run on the embedded model with vLLM sampling the tool loop (a GPU and vLLM)."""
    import contextlib
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        pytest.skip("needs vLLM")
    from llmrl_grpo.run import RunDir
    from llmrl_grpo.testing import trl_vllm_server
    from llmrl_toolrl.config import ToRLTrainConfig
    from llmrl_toolrl.recipe import train

    with trl_vllm_server() if backend == "vllm-server" else contextlib.nullcontext() as url:
        gen = {"backend": backend, "completions_per_step": 8, "num_generations": 4, "max_completion_length": 128,
               "vllm_gpu_memory_utilization": 0.25, **({"vllm_server_base_url": url} if url else {})}
        cfg = ToRLTrainConfig(output=str(tmp_path / backend), steps=2, generation=gen,
                              eval={"before": False, "after": False})
        assert train(cfg)["stopped_at"] == 2
    records = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)
    assert [r["step"] for r in records] == [1, 2] and all("tools/calls_per_response" in r for r in records)
