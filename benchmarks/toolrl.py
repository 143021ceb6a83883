"""ToRL rollout cost: the wall time of a rollout batch with tool calls (C = 1, the real sandbox)
vs the same batch with tools disabled (C = 0), in the same process, and the share of the tool
rollout's wall time spent waiting on the sandbox. ToRL's own step time doubled with one call
(118 s -> 237 s); the target here is <= 1.3x.

    uv run --all-packages python benchmarks/toolrl.py            # 16 prompts, 96 tokens, 3 repeats
    uv run --all-packages python benchmarks/toolrl.py --quick    # 4 prompts, 48 tokens, 1 repeat (< 1 min alone)

The model is the embedded SmolLM2-135M with a one-shot prompt and an assistant prefix that opens a
python block, so it writes code and the ```output marker. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

ONE_SHOT = (
    "<|im_start|>user\nWhat is 2 + 3? Use Python.<|im_end|>\n<|im_start|>assistant\n```python\nprint(2 + 3)\n```\n"
    "```output\n5\n```\nThe answer is \\boxed{{5}}.<|im_end|>\n<|im_start|>user\n{question} Use Python.<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--prompts", type=int, default=None)
    parser.add_argument("--tokens", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    n = args.prompts or (4 if args.quick else 16)
    tokens = args.tokens or (48 if args.quick else 96)
    repeats = args.repeats or (1 if args.quick else 3)

    from llmrl_core import SamplingParams, get_task
    from llmrl_core.models import load_model_and_tokenizer
    from llmrl_grpo.sampler import ModelSampler
    from llmrl_toolrl.config import ToolConfig
    from llmrl_toolrl.rollout import RolloutTimings, open_sandbox, rollout

    model, tokenizer = load_model_and_tokenizer("smollm2-135m")
    sampler = ModelSampler(model, tokenizer)
    questions = [e.prompt for e in get_task("arithmetic").dataset("train")[:n]]
    with_tools = ToolConfig(prompt_template=ONE_SHOT, assistant_prefix="```python\n", max_tool_calls=1)
    plain = with_tools.model_copy(update={"max_tool_calls": 0})
    prompts = [with_tools.render(q) for q in questions]
    box = open_sandbox(with_tools)
    try:
        def timed(cfg: ToolConfig, seed: int) -> tuple[float, RolloutTimings, list]:
            t = RolloutTimings()
            cpu0 = time.process_time()
            trajs = rollout(sampler, prompts, box, cfg, SamplingParams(temperature=1.0, max_tokens=tokens, seed=seed),
                            max_completion_tokens=tokens, timings=t)
            cpu_s.append(time.process_time() - cpu0)
            return t.total_s, t, trajs

        cpu_s: list[float] = []  # this process's CPU seconds per rollout (contention inflates these too)

        timed(plain, 0)  # warm-up (first generate call, worker caches)
        ratios, cpu_ratios, shares, tool_s, plain_s, calls, tokens_tool, tokens_plain = [], [], [], [], [], [], [], []
        for r in range(repeats):
            p_s, _, p_trajs = timed(plain, r)
            t_s, t_t, t_trajs = timed(with_tools, r)
            ratios.append(t_s / p_s)
            cpu_ratios.append(cpu_s[-1] / cpu_s[-2])
            shares.append(t_t.sandbox_wait_s / t_t.total_s)
            tool_s.append(t_s)
            plain_s.append(p_s)
            calls.append(sum(t.num_calls for t in t_trajs) / n)
            tokens_tool.append(sum(len(t.completion_ids) for t in t_trajs) / n)
            tokens_plain.append(sum(len(t.completion_ids) for t in p_trajs) / n)
            print(f"repeat {r}: tools {t_s:.2f} s ({calls[-1]:.2f} calls/response, sandbox wait {t_t.sandbox_wait_s:.3f} s, "
                  f"{t_t.executions} executions), plain {p_s:.2f} s -> {ratios[-1]:.2f}x (CPU time {cpu_ratios[-1]:.2f}x)")
    finally:
        box.close()
    figures = {
        "tool_rollout_vs_plain": round(statistics.median(ratios), 3),
        "tool_rollout_vs_plain_cpu": round(statistics.median(cpu_ratios), 3),
        "sandbox_share_of_tool_rollout": round(statistics.median(shares), 4),
        "tool_rollout_s": round(statistics.median(tool_s), 2),
        "plain_rollout_s": round(statistics.median(plain_s), 2),
        "tool_calls_per_response": round(statistics.mean(calls), 2),
        "tokens_per_response_tools": round(statistics.mean(tokens_tool), 1),
        "tokens_per_response_plain": round(statistics.mean(tokens_plain), 1),
        "prompts": n, "max_tokens": tokens, "repeats": repeats,
        "machine": f"{platform.machine()} {os.cpu_count()} cpus", "load_1min": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
