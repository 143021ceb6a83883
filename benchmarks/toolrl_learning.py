"""Does a tool help? ToRL with the code interpreter (C = 1) against the same RL without it (C = 0).

Both arms train the embedded SmolLM2-135M with ``llmrl_toolrl.train`` on the ``multiplication``
task (two 2-digit factors, several phrasings), same prompt, same seeds, same budget; the only
difference is whether the code the model writes runs (C = 1: the ```` ```output ```` block is the
sandbox's; C = 0: the stop marker is dropped and the model writes the output block itself). Each
run evaluates greedy held-out accuracy before and after training, with its own C, on the same
held-out questions. Per step it records the training accuracy, the share of responses calling the
tool and the share of executions that failed.

    uv run --all-packages python benchmarks/toolrl_learning.py --quick     # the pipeline, 1 seed, 1 step
    uv run --all-packages python benchmarks/toolrl_learning.py --jobs 2 --write benchmarks/results/toolrl-learning

The full run (3 seeds x 2 arms) is documented on docs/benchmarks/toolrl.md, not part of CI. Runs
fan out over ``--jobs`` processes (``--executor local|ray``), one torch thread each. The last line
printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROMPT = (
    "<|im_start|>user\nWhat is 23 * 41? You may use Python.<|im_end|>\n<|im_start|>assistant\n```python\n"
    "print(23 * 41)\n```\n```output\n943\n```\nThe answer is \\boxed{{943}}.<|im_end|>\n"
    "<|im_start|>user\n{question} You may use Python.<|im_end|>\n<|im_start|>assistant\n"
)
"""One shot that shows the tool; the model decides whether to call it (no assistant prefix)."""

ARMS = {"tool": 1, "no-tool": 0}
"""Arm name -> C, the code executions allowed per response."""


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def sampled_eval(model_name: str, cfg, samples: int, seed: int) -> dict:
    """Held-out accuracy and tool share at T = 1.0, ``samples`` responses per question (greedy saturates early)."""
    from llmrl_core import SamplingParams, get_task
    from llmrl_core.models import load_model_and_tokenizer
    from llmrl_grpo.sampler import ModelSampler
    from llmrl_toolrl.rewards import ToolReward
    from llmrl_toolrl.rollout import open_sandbox, rollout

    model, tokenizer = load_model_and_tokenizer(model_name)
    examples = get_task(cfg.task, **cfg.task_config).dataset("test")[: cfg.eval.num_prompts]
    prompts = [cfg.tools.render(e.prompt) for e in examples for _ in range(samples)]
    tokens = cfg.generation.max_completion_length
    box = open_sandbox(cfg.tools)
    try:
        trajs = rollout(ModelSampler(model, tokenizer, batch_size=cfg.eval.batch_size), prompts, box, cfg.tools,
                        SamplingParams(temperature=1.0, max_tokens=tokens, seed=seed), max_completion_tokens=tokens)
    finally:
        box.close()
    references = [str(e.reference) for e in examples for _ in range(samples)]
    reward = ToolReward()
    right = [reward.accuracy(t.text, ref) > 0 for t, ref in zip(trajs, references, strict=True)]
    return {"accuracy_t1": sum(right) / len(right), "tool_share_t1": sum(bool(t.calls) for t in trajs) / len(trajs)}


def run_one(job: dict) -> dict:
    """Train one arm with one seed; return its held-out evals and per-step tool metrics."""
    import torch

    from llmrl_core.cli.quiet import silence_known_warnings
    from llmrl_toolrl import train
    from llmrl_toolrl.config import ToolConfig, ToRLTrainConfig

    silence_known_warnings()  # as `llmrl toolrl train` does
    torch.set_num_threads(1)
    cfg = ToRLTrainConfig(
        output=job["output"], steps=job["steps"], save_steps=job["steps"], seed=job["seed"], task="multiplication",
        task_config={"seed": 0, "train_size": job["train_size"], "test_size": job["test_size"]},
        generation={"completions_per_step": job["completions"], "num_generations": job["generations"],
                    "max_completion_length": job["tokens"]},
        eval={"num_prompts": job["test_size"]},
        optim={"learning_rate": job["learning_rate"]},
        tools=ToolConfig(prompt_template=PROMPT, max_tool_calls=ARMS[job["arm"]], timeout_s=5,
                         sandbox_config={"workers": 2, "light_preload": None, "preload": ["math"]}),
    )
    start, cpu = time.monotonic(), time.process_time()
    result = train(cfg)
    before_t1 = sampled_eval(cfg.model, cfg, job["samples"], job["seed"])
    after_t1 = sampled_eval(str(Path(job["output"]) / "final"), cfg, job["samples"], job["seed"])
    steps = [json.loads(line) for line in (Path(job["output"]) / "metrics.jsonl").read_text().splitlines()]
    keep = ("pass@1_greedy", "tools/response_share", "tools/calls_per_response", "tools/exec_success_rate")
    return {
        **{k: job[k] for k in ("arm", "seed")},
        "before": {**{k: result["evals"]["before"].get(k) for k in keep}, **before_t1},
        "after": {**{k: result["evals"]["after"].get(k) for k in keep}, **after_t1},
        "train_accuracy": [round(s["tools/accuracy"], 3) for s in steps],
        "tool_share": [round(s["tools/response_share"], 3) for s in steps],
        # share of this step's executions that failed (error, timeout); None where nothing ran
        "failing_code": [round(1 - s["tools/exec_success_rate"], 3) if s["tools/calls_per_response"] else None
                         for s in steps],
        "wall_s": round(time.monotonic() - start, 1), "cpu_s": round(time.process_time() - cpu, 1),
        "load_end": _load(),
    }


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def summarise(runs: list[dict]) -> dict:
    """Per arm: held-out accuracy and tool share before/after (mean, sd, every seed)."""
    out: dict = {}
    for arm in ARMS:
        rs = [r for r in runs if r["arm"] == arm]
        if not rs:
            continue
        row: dict = {"seeds": [r["seed"] for r in rs]}
        for stage in ("before", "after"):
            for key, name in (("pass@1_greedy", "accuracy"), ("tools/response_share", "tool_share"),
                              ("accuracy_t1", "accuracy_t1"), ("tool_share_t1", "tool_share_t1")):
                values = [r[stage][key] for r in rs]
                mean, sd = _mean_sd(values)
                row[f"{name}_{stage}"] = {"mean": round(mean, 3), "sd": round(sd, 3), "per_seed": values}
        row["cpu_min_per_run"] = round(statistics.fmean(r["cpu_s"] for r in rs) / 60, 1)
        row["wall_min_per_run"] = round(statistics.fmean(r["wall_s"] for r in rs) / 60, 1)
        out[arm] = row
    return out


def plot(runs: list[dict], path: Path) -> None:
    """Training accuracy, tool-call share and failing-code share per step: every seed faint, the arm's mean bold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (("train_accuracy", "training accuracy (T = 1.0)"), ("tool_share", "responses calling the tool"),
              ("failing_code", "executions that failed"))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (key, title) in zip(axes, panels, strict=True):
        for arm, colour in zip(ARMS, ("tab:blue", "tab:orange"), strict=True):
            curves = [r[key] for r in runs if r["arm"] == arm]
            for curve in curves:
                ax.plot(range(1, len(curve) + 1), [float("nan") if v is None else v for v in curve],
                        color=colour, alpha=0.3, lw=1)
            if curves:
                mean = [statistics.fmean(v) if (v := [c[i] for c in curves if c[i] is not None]) else float("nan")
                        for i in range(len(curves[0]))]
                ax.plot(range(1, len(mean) + 1), mean, color=colour, lw=2, label=f"{arm} (C = {ARMS[arm]})")
        ax.set_title(title)
        ax.set_xlabel("generation step")
        ax.set_ylim(-0.05, 1.05)
    axes[0].legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(f: dict) -> str:
    """The table the benchmark page includes."""
    def cell(stat: dict) -> str:
        seeds = ", ".join(f"{100 * v:.0f}" for v in stat["per_seed"])
        return f"{100 * stat['mean']:.1f} ± {100 * stat['sd']:.1f} % ({seeds})"

    s = f["settings"]
    lines = [
        f"`{f['command']}`: seeds {', '.join(map(str, s['seeds']))} (all of them), {s['steps']} steps of "
        f"{s['completions']} responses ({s['generations']} per prompt), {s['tokens']} tokens per response, lr "
        f"{s['learning_rate']}, {s['train_size']} training and {s['test_size']} held-out questions; "
        f"{f['machine']}, {s['jobs']} runs at once, load {f['load_start']} at the start and {f['load_end']} at "
        f"the end; {f['wall_min']:.1f} min wall, {f['date']}. Written by `benchmarks/toolrl_learning.py`.",
        "",
        f"Held-out figures: mean ± sd over seeds (each seed's value in brackets, %); T = 1.0 rows are over "
        f"{s['samples']} samples per question.",
        "",
        "| held-out figure | arm | untrained | after training |",
        "|---|---|---|---|",
    ]
    for name, label in (("accuracy", "accuracy, greedy"), ("accuracy_t1", "accuracy, T = 1.0"),
                        ("tool_share", "responses calling the tool, greedy"),
                        ("tool_share_t1", "responses calling the tool, T = 1.0")):
        for arm, row in f["arms"].items():
            lines.append(f"| {label} | {arm} (C = {ARMS[arm]}) | {cell(row[name + '_before'])} | "
                         f"{cell(row[name + '_after'])} |")
    lines += ["", "CPU minutes per run: " + ", ".join(f"{arm} {row['cpu_min_per_run']}" for arm, row in f["arms"].items())
              + " (one torch thread each; includes the four held-out evaluations)."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    from llmrl_core.parallel import EXECUTOR_DESCRIPTION, EXECUTORS, parallel_map, resolve_executor

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1 seed, 1 step of 4 responses, 4 held-out questions")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--arms", nargs="+", choices=list(ARMS), default=list(ARMS))
    p.add_argument("--steps", type=int, default=8, help="generation steps per run")
    p.add_argument("--completions", type=int, default=16, help="responses per step")
    p.add_argument("--generations", type=int, default=8, help="responses per prompt (the GRPO group)")
    p.add_argument("--tokens", type=int, default=48, help="model + tool-output tokens per response")
    p.add_argument("--learning-rate", type=float, default=None, help="default: ToRLOptimConfig's (6e-5)")
    p.add_argument("--train-size", type=int, default=64)
    p.add_argument("--test-size", type=int, default=50)
    p.add_argument("--samples", type=int, default=4, help="responses per held-out question at T = 1.0")
    p.add_argument("--jobs", type=int, default=1, help="runs at once (one torch thread each)")
    p.add_argument("--executor", choices=EXECUTORS, default="local", help=EXECUTOR_DESCRIPTION)
    p.add_argument("--write", type=Path, default=None, help="write PATH.json, PATH.md and PATH.png")
    args = p.parse_args(argv)
    if args.learning_rate is None:
        from llmrl_toolrl.config import ToRLOptimConfig

        args.learning_rate = ToRLOptimConfig().learning_rate
    if args.quick:
        args.seeds, args.steps, args.completions, args.generations, args.test_size, args.samples = [0], 1, 4, 2, 4, 2

    settings = {k: getattr(args, k) for k in ("seeds", "steps", "completions", "generations", "tokens",
                                               "learning_rate", "train_size", "test_size", "samples", "jobs")}
    figures: dict = {"command": " ".join(["python benchmarks/toolrl_learning.py", *(argv if argv is not None else sys.argv[1:])]),
                     "settings": settings, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                     "load_start": _load(), "executor": resolve_executor(args.executor)}
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="llmrl-toolrl-learning-") as tmp:
        jobs = [{**settings, "arm": arm, "seed": seed, "output": str(Path(tmp) / f"{arm}-seed{seed}")}
                for seed in args.seeds for arm in args.arms]

        def report(i: int, r: dict) -> None:
            if args.write is not None:  # each run as it ends, so a stopped sweep keeps what it finished
                args.write.parent.mkdir(parents=True, exist_ok=True)
                with args.write.with_suffix(".runs.jsonl").open("a") as fh:
                    fh.write(json.dumps(r) + "\n")
            print(f"[run] {r['arm']} seed {r['seed']}: held-out accuracy {r['before']['pass@1_greedy']:.2f} -> "
                  f"{r['after']['pass@1_greedy']:.2f}, tool use {r['before']['tools/response_share']:.2f} -> "
                  f"{r['after']['tools/response_share']:.2f}; training accuracy per step {r['train_accuracy']} "
                  f"({r['cpu_s'] / 60:.1f} CPU min, {r['wall_s'] / 60:.1f} min wall, load {r['load_end']})", flush=True)

        runs = parallel_map(run_one, jobs, backend=args.executor, max_workers=args.jobs, on_result=report)
    figures.update(arms=summarise(runs), runs=runs, wall_min=round((time.monotonic() - start) / 60, 2),
                   load_end=_load(), date=time.strftime("%Y-%m-%d %H:%M %Z"))
    print(markdown(figures))
    if args.write is not None:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.with_suffix(".json").write_text(json.dumps(figures, indent=1) + "\n")
        args.write.with_suffix(".md").write_text(markdown(figures))
        plot(runs, args.write.with_suffix(".png"))
        figures["curves"] = str(args.write.with_suffix(".png"))
    print(json.dumps({k: v for k, v in figures.items() if k != "runs"}))
    return figures


if __name__ == "__main__":
    main()
