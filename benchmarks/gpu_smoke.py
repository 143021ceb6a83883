"""GPU smoke run of the vLLM paths, on a machine with one CUDA GPU and vLLM, in under 8 minutes.

    uv run --all-packages python benchmarks/gpu_smoke.py            # all parts, 480 s budget
    uv run --all-packages python benchmarks/gpu_smoke.py --budget-s 600 --only maye torl

Parts, each in its own process (so a hang is killed at its time limit and GPU memory is freed):

* ``maye``        — ``llmrl_grpo.train`` in MAYE mode with ``generation.backend: vllm-colocate``, 3 steps;
* ``torl``        — one ToRL step on ``vllm-colocate``: a batch sampled through the tool loop on vLLM,
                    with tool calls (a one-shot prompt and a ```` ```python ```` prefix make the model call);
* ``conformance`` — the ``vllm`` provider's conformance suite (``pytest -m gpu``);
* ``throughput``  — tokens/s of vLLM vs Hugging Face ``generate`` on the same 64 prompts, same settings.

Without a CUDA GPU or without vLLM it exits at once with code 2 and says which is missing. The
last line printed is one JSON object (steps done, tool calls, tests passed, tokens/s, seconds).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("maye", "torl", "conformance", "throughput")
LIMITS = {"maye": 180, "torl": 120, "conformance": 150, "throughput": 120}
ONE_SHOT = (
    "<|im_start|>user\nWhat is 2 + 3? Use Python.<|im_end|>\n<|im_start|>assistant\n```python\nprint(2 + 3)\n```\n"
    "```output\n5\n```\nThe answer is \\boxed{{5}}.<|im_end|>\n<|im_start|>user\n{question} Use Python.<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def missing() -> str | None:
    """Why this machine cannot run the smoke test, or None."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return "no CUDA GPU is visible (torch.cuda.is_available() is False)"
    if importlib.util.find_spec("vllm") is None:
        return "vLLM is not installed: pip install vllm (a release that matches this torch)"
    return None


def part_maye(out: Path) -> dict:
    from llmrl_grpo.config import GRPOTrainConfig
    from llmrl_grpo.run import RunDir, train

    cfg = GRPOTrainConfig(output=str(out / "maye"), mode="maye", steps=3, eval={"before": False, "after": False},
                          generation={"backend": "vllm-colocate", "completions_per_step": 32,
                                      "max_completion_length": 16, "vllm_gpu_memory_utilization": 0.3})
    t0 = time.perf_counter()
    result = train(cfg)
    records = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)
    return {"maye_steps": result["stopped_at"], "maye_seconds": round(time.perf_counter() - t0, 1),
            "maye_accuracy": [round(r["rewards/accuracy/mean"], 3) for r in records]}


def part_torl(out: Path) -> dict:
    from llmrl_grpo.run import RunDir
    from llmrl_toolrl.config import ToRLTrainConfig
    from llmrl_toolrl.recipe import train

    cfg = ToRLTrainConfig(
        output=str(out / "torl"), steps=1, eval={"before": False, "after": False},
        generation={"backend": "vllm-colocate", "completions_per_step": 16, "num_generations": 4,
                    "max_completion_length": 96, "temperature": 0.7, "vllm_gpu_memory_utilization": 0.3},
        tools={"prompt_template": ONE_SHOT, "assistant_prefix": "```python\n", "timeout_s": 5},
    )
    t0 = time.perf_counter()
    train(cfg)
    record = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)[0]
    calls = record["tools/calls_per_response"]
    if calls <= 0:
        raise RuntimeError(f"the ToRL batch made no tool call (metrics: {record})")
    return {"torl_calls_per_response": round(calls, 3), "torl_exec_success_rate": round(record["tools/exec_success_rate"], 3),
            "torl_seconds": round(time.perf_counter() - t0, 1)}


def part_conformance(out: Path) -> dict:
    tests = ROOT / "plugins" / "providers" / "llmrl-provider-vllm" / "tests"
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider", str(tests)],
                          capture_output=True, text=True, cwd=ROOT)
    summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode != 0 or "passed" not in summary or "skipped" in summary:
        raise RuntimeError(f"vllm conformance suite: {summary}\n{done.stdout[-3000:]}")
    return {"conformance": summary}


def part_throughput(out: Path) -> dict:
    import torch

    from llmrl_core import get_task
    from llmrl_core.models import load_model_and_tokenizer, resolve_model

    questions = [e.prompt for e in get_task("arithmetic", train_size=64, test_size=8).dataset("train")][:64]
    model, tokenizer = load_model_and_tokenizer("smollm2-135m", device="cuda", dtype=torch.bfloat16)
    texts = [tokenizer.apply_chat_template([{"role": "user", "content": f"{q} Explain step by step."}], tokenize=False,
                                           add_generation_prompt=True) for q in questions]
    max_new = 128

    tokenizer.padding_side = "left"
    enc = tokenizer(texts, return_tensors="pt", padding=True).to("cuda")
    model.generate(**enc, max_new_tokens=8, do_sample=True)  # warm-up
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    ids = model.generate(**enc, max_new_tokens=max_new, do_sample=True, temperature=1.0, top_p=1.0, top_k=0,
                         pad_token_id=tokenizer.pad_token_id)
    torch.cuda.synchronize()
    hf_s = time.perf_counter() - t0
    new = ids[:, enc["input_ids"].shape[1]:]
    hf_tokens = int(sum(_length(row.tolist(), tokenizer.eos_token_id) for row in new))
    del model
    torch.cuda.empty_cache()

    from vllm import LLM, SamplingParams

    llm = LLM(model=resolve_model("smollm2-135m").path, gpu_memory_utilization=0.3, dtype="bfloat16", seed=0)
    params = SamplingParams(temperature=1.0, top_p=1.0, max_tokens=max_new)
    llm.generate(texts[:4], SamplingParams(max_tokens=8), use_tqdm=False)  # warm-up
    t0 = time.perf_counter()
    outs = llm.generate(texts, params, use_tqdm=False)
    vllm_s = time.perf_counter() - t0
    vllm_tokens = sum(len(o.outputs[0].token_ids) for o in outs)
    hf_rate, vllm_rate = hf_tokens / hf_s, vllm_tokens / vllm_s
    return {"prompts": len(texts), "max_new_tokens": max_new, "hf_tokens_per_s": round(hf_rate, 1),
            "vllm_tokens_per_s": round(vllm_rate, 1), "vllm_vs_hf": round(vllm_rate / hf_rate, 2)}


def _length(row: list[int], eos: int) -> int:
    return row.index(eos) + 1 if eos in row else len(row)


def run_part(name: str, limit: float, out: Path) -> dict:
    """``name`` in a child process, killed after ``limit`` seconds; its JSON, or the failure."""
    t0 = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, __file__, "--part", name, "--out", str(out)], capture_output=True,
                              text=True, timeout=limit, cwd=ROOT, env={**os.environ, "TRL_EXPERIMENTAL_SILENCE": "1"})
    except subprocess.TimeoutExpired:
        return {f"{name}_error": f"timed out after {limit:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {f"{name}_error": f"exit {done.returncode}: {done.stderr.strip()[-1500:]}"}
    result = json.loads(lines[-1])
    print(f"{name}: {result} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=480.0, help="wall-clock budget of all parts together")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--part", choices=PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part:  # a child: one part, one JSON line
        print(json.dumps(globals()[f"part_{args.part}"](args.out)))
        return
    reason = missing()
    if reason:
        print(f"gpu_smoke: cannot run: {reason}", file=sys.stderr)
        print(json.dumps({"ok": False, "error": reason}))
        sys.exit(2)
    import torch

    figures: dict = {"gpu": torch.cuda.get_device_name(0), "budget_s": args.budget_s}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="llmrl-gpu-smoke-") as tmp:
        for name in args.only:
            left = args.budget_s - (time.perf_counter() - start)
            if left < 20:
                figures[f"{name}_error"] = "not run: the budget was spent"
                continue
            figures.update(run_part(name, min(LIMITS[name], left), Path(tmp)))
    figures["seconds"] = round(time.perf_counter() - start, 1)
    figures["ok"] = not any(k.endswith("_error") for k in figures)
    print(json.dumps(figures))
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
