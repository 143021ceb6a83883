"""Generation behind one interface: the config's backend and TRL's knobs, the errors without vLLM, and
both trainers driven by a fake engine (vLLM needs a GPU; the policy, loss and rewards are real). The
vLLM backends themselves run in the gpu-marked tests at the end (skipped without CUDA and vLLM)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from llmrl_core.config import load_config
from llmrl_core.errors import ConfigError
from llmrl_grpo.config import GRPOTrainConfig

HAS_VLLM = importlib.util.find_spec("vllm") is not None


def test_backend_and_trl_knobs_reach_trl_config(tmp_path) -> None:
    from llmrl_grpo.generation import HFGenerator, VLLMGenerator
    from llmrl_grpo.run import RunDir, trl_config

    cfg = load_config(GRPOTrainConfig, overrides=[
        "generation.backend=vllm-server", "generation.vllm_server_base_url=http://gen-node:8000",
        "generation.vllm_args={vllm_importance_sampling_correction: false}"])
    args = trl_config(cfg, RunDir(tmp_path), "cpu", bf16=False, generator=VLLMGenerator(cfg.generation))
    assert (args.use_vllm, args.vllm_mode, args.vllm_server_base_url) == (True, "server", "http://gen-node:8000")
    assert args.vllm_importance_sampling_correction is False and args.vllm_gpu_memory_utilization == 0.3
    assert trl_config(GRPOTrainConfig(), RunDir(tmp_path), "cpu", bf16=False, generator=HFGenerator()).use_vllm is False
    bad = load_config(GRPOTrainConfig, overrides=["generation.backend=vllm-colocate", "generation.vllm_args={vllm_nonsense: 1}"])
    with pytest.raises(ConfigError, match="vllm_nonsense is not a field of the installed TRL's GRPOConfig"):
        trl_config(bad, RunDir(tmp_path), "cpu", bf16=False, generator=VLLMGenerator(bad.generation))
    with pytest.raises(ConfigError, match="vllm_args takes TRL's GRPOConfig vllm_\\* fields only; got beta"):
        load_config(GRPOTrainConfig, overrides=["generation.vllm_args={beta: 1}"])
    with pytest.raises(ConfigError, match="generation.backend"):
        load_config(GRPOTrainConfig, overrides=["generation.backend=vllm"])


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_a_vllm_backend_without_vllm_fails_before_anything_loads(tmp_path) -> None:
    from llmrl_grpo.run import train

    for backend in ("vllm-colocate", "vllm-server"):
        cfg = GRPOTrainConfig(output=str(tmp_path / backend), generation={"backend": backend})
        with pytest.raises(ConfigError, match=r"needs vLLM, which is not installed: `pip install vllm`"):
            train(cfg)
        assert not (tmp_path / backend / "metrics.jsonl").exists()


def _sum(context: str) -> int:
    a, b = map(int, re.search(r"What is (\d+) \+ (\d+)\?", context).groups())
    return a + b


def _maye_script(context: str, k: int) -> str:
    """Right when the sum is even, one off when it is odd."""
    total = _sum(context)
    return f" {total + total % 2}"


def _grpo_script(context: str, k: int) -> str:
    """The first sample of each prompt right, the second one off."""
    return f" {_sum(context) + k}"


@pytest.mark.slow
@pytest.mark.parametrize(("mode", "script", "per_prompt"), [("maye", _maye_script, 1), ("grpo", _grpo_script, 2)])
def test_both_trainers_train_on_what_the_generator_returns_with_fake_generator(tmp_path, mode, script, per_prompt) -> None:
    from transformers import AutoTokenizer

    from llmrl_core import get_task
    from llmrl_core.models import resolve_model
    from llmrl_grpo.run import RunDir, train
    from llmrl_grpo.testing import FakeGenerator

    task_config = {"seed": 0, "train_size": 8, "test_size": 4}
    cfg = GRPOTrainConfig(output=str(tmp_path / "run"), mode=mode, steps=2, task_config=task_config, save_steps=2,
                          generation={"completions_per_step": 4, "num_generations": 2, "max_completion_length": 8},
                          optim={"learning_rate": 1e-5}, eval={"before": False, "after": False})
    gen = FakeGenerator(script, logprob=-0.25)
    assert train(cfg, generator=gen)["stopped_at"] == 2
    records = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)

    tokenizer = AutoTokenizer.from_pretrained(resolve_model("smollm2-135m").path)
    examples = {e.id: e for e in get_task("arithmetic", **task_config).dataset("train")}
    for record in records:
        prompts = [examples[i] for i in record["batch_ids"]]
        texts = [script(f"What is {p.metadata['expression']}?", k % per_prompt) for k, p in enumerate(prompts)]
        right = [int(t.strip()) == int(p.reference) for t, p in zip(texts, prompts, strict=True)]
        lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) + 1 for t in texts]  # + the EOS
        assert record["rewards/accuracy/mean"] == pytest.approx(sum(right) / len(right)), record
        assert record["completions/mean_length"] == pytest.approx(sum(lengths) / len(lengths)), record
        assert record["loss"] == record["loss"]  # finite: the real policy scored the fake's tokens
    # TRL's server-mode path: one request per step, each prompt once with n samples
    assert [(r["prompts"], r["n"]) for r in gen.server.requests] == [(4 // per_prompt, per_prompt)] * 2


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_VLLM, reason="needs vLLM")
@pytest.mark.parametrize("mode", ["maye", "grpo"])
def test_vllm_colocate_trains_both_modes(tmp_path, mode) -> None:
    from llmrl_grpo.run import RunDir, train

    cfg = GRPOTrainConfig(output=str(tmp_path / mode), mode=mode, steps=2, eval={"before": False, "after": False},
                          generation={"backend": "vllm-colocate", "completions_per_step": 16, "num_generations": 4,
                                      "max_completion_length": 16, "vllm_gpu_memory_utilization": 0.25})
    assert train(cfg)["stopped_at"] == 2
    records = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)
    assert [r["step"] for r in records] == [1, 2] and all(0.0 <= r["rewards/accuracy/mean"] <= 1.0 for r in records)


@pytest.mark.gpu
@pytest.mark.skipif(not HAS_VLLM, reason="needs vLLM")
def test_vllm_server_trains_with_a_trl_vllm_serve_process(tmp_path, trl_vllm_server) -> None:
    from llmrl_grpo.run import RunDir, train

    cfg = GRPOTrainConfig(output=str(tmp_path / "run"), steps=2, eval={"before": False, "after": False},
                          generation={"backend": "vllm-server", "vllm_server_base_url": trl_vllm_server,
                                      "completions_per_step": 16, "max_completion_length": 16})
    assert train(cfg)["stopped_at"] == 2
    assert len(RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)) == 2


@pytest.fixture
def trl_vllm_server():
    from llmrl_grpo.testing import trl_vllm_server as server

    with server(gpu_memory_utilization=0.25) as url:
        yield url


def test_gpu_smoke_script_fails_at_once_and_says_why_without_a_gpu_or_vllm() -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    import torch

    if torch.cuda.is_available() and HAS_VLLM:
        pytest.skip("this machine can run the smoke test itself")
    script = Path(__file__).resolve().parents[3] / "benchmarks" / "gpu_smoke.py"
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "cannot run: " in done.stderr and ("CUDA" in done.stderr or "vLLM" in done.stderr)
    assert json.loads(done.stdout.strip().splitlines()[-1])["ok"] is False
