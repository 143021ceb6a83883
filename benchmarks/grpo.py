"""GRPO/MAYE figures.

* ``--headline``: the README's job, ``llmrl grpo train`` with every default, run as the README runs it
  (the CLI, in a subprocess); writes its held-out evals (greedy pass@1 first, unparseable answers
  counted apart), wall time and load to ``--write`` as JSON and as a markdown fragment.
* overhead (always): our trainer classes with our callbacks — ``MayeGRPOTrainer`` in maye mode,
  ``LlmrlGRPOTrainer`` in grpo mode — against TRL's bare ``GRPOTrainer`` in the same mode, on the same
  model, data, config and seed, alternated in one process. Every completion is forced to the same
  length (``min_new_tokens``), so both arms do the same generation work whatever their policies sample.
* vLLM colocated: the same overhead comparison, when a GPU and vLLM are present.

    uv run --all-packages python benchmarks/grpo.py --quick                 # overhead, tiny steps (< 1 min alone)
    uv run --all-packages python benchmarks/grpo.py                         # overhead, default-sized steps
    uv run --all-packages python benchmarks/grpo.py --headline --skip-overhead --write benchmarks/results/grpo-headline

The last line printed is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EVAL_ROWS = (
    ("pass@1_greedy", "pass@1, greedy (MAYE's T = 0.01, top_p = 0.001)"),
    ("pass@1_t0.6", "pass@1, T = 0.6"),
    ("mean@k_t1.0", "pass@1, T = 1.0 (mean over 8 samples each)"),
    ("pass@8", "pass@8, T = 1.0"),
    ("unparseable", "unparseable answers (all samples of the eval)"),
    ("expression_answers", "answers left as an expression, right only by the judge's arithmetic (all samples)"),
)


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg())


def headline(out: Path, write: Path | None) -> dict:
    """Run ``llmrl grpo train`` exactly as the README does (defaults only) and report its held-out evals."""
    llmrl = shutil.which("llmrl") or str(Path(sys.executable).with_name("llmrl"))
    run_dir = out / "headline"
    load_before = _load()
    t0 = time.perf_counter()
    proc = subprocess.run([llmrl, "grpo", "train", "--output", str(run_dir)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode:
        sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
        raise SystemExit(f"`llmrl grpo train` failed with exit code {proc.returncode}")
    evals = {e["stage"]: e for e in map(json.loads, (run_dir / "eval.jsonl").read_text().splitlines())}
    metrics = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    figures = {
        "command": "llmrl grpo train", "wall_s": round(wall, 1), "load_before": load_before, "load_after": _load(),
        "steps": len(metrics), "train_accuracy": [round(m.get("rewards/accuracy/mean", 0.0), 3) for m in metrics],
        "before": {k: evals["before"].get(k) for k, _ in EVAL_ROWS},
        "after": {k: evals["after"].get(k) for k, _ in EVAL_ROWS},
        "num_prompts": int(evals["after"]["num_prompts"]),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
    }
    print(headline_markdown(figures))
    if write is not None:
        write.parent.mkdir(parents=True, exist_ok=True)
        write.with_suffix(".json").write_text(json.dumps(figures, indent=1) + "\n")
        write.with_suffix(".md").write_text(headline_markdown(figures))
    return {"headline": figures}


def headline_markdown(f: dict) -> str:
    """The fragment the benchmark pages include: one row per held-out metric, greedy first."""
    def cell(key: str, value: float | None) -> str:
        if value is None:
            return "—"
        return f"{int(value)}" if key in ("unparseable", "expression_answers") else f"{100 * value:.1f} %"

    rows = [f"| {label} | {cell(k, f['before'][k])} | {cell(k, f['after'][k])} |" for k, label in EVAL_ROWS]
    return (
        f"`{f['command']}` (every default; {f['steps']} steps), {f['num_prompts']} held-out questions, "
        f"{f['wall_s'] / 60:.1f} min wall on {f['machine']} (load {f['load_before']} before, {f['load_after']} after; "
        f"the machine was shared), {f['date']}. Written by `benchmarks/grpo.py --headline`.\n\n"
        "| held-out metric | untrained | after training |\n|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"Training accuracy per step (T = 1.0): {', '.join(f'{a:.2f}' for a in f['train_accuracy'])}.\n"
    )


class _StepTimer:
    """Times each generation step: one generation and its ``updates`` optimiser steps."""

    def __new__(cls, updates: int):
        from transformers import TrainerCallback

        class Timer(TrainerCallback):
            def __init__(self):
                self.cpu: list[float] = []
                self.wall: list[float] = []

            def on_step_begin(self, args, state, control, **kwargs):
                if state.global_step % updates == 0:
                    self._t, self._c = time.perf_counter(), time.process_time()

            def on_step_end(self, args, state, control, **kwargs):
                if state.global_step % updates == 0:
                    # CPU time of the process: on a shared machine wall time mostly measures the neighbours.
                    self.cpu.append(time.process_time() - self._c)
                    self.wall.append(time.perf_counter() - self._t)

        return Timer()


def _time_trainer(ours: bool, cfg, dataset, out: Path) -> tuple[list[float], list[float]]:
    """Seconds per step after the first: (CPU, wall). ``ours``: our class and callbacks; else TRL's bare trainer."""
    import torch
    from trl import GRPOTrainer

    from llmrl_grpo.recipe import GRPORecipe
    from llmrl_grpo.run import RunDir, load_model, make_metrics_callback, trainer_class, trl_config

    torch.manual_seed(cfg.seed)
    model, tokenizer, backend = load_model(cfg)
    run = RunDir(out)
    run.root.mkdir(parents=True, exist_ok=True)
    recipe = GRPORecipe(cfg)
    funcs, weights = (list(x) for x in zip(*recipe.rewards(tokenizer), strict=True))
    args = trl_config(cfg, run, backend.device.type, bf16=str(backend.default_dtype) == "torch.bfloat16")
    args.reward_weights, args.save_strategy = weights, "no"
    args.generation_kwargs = {"min_new_tokens": cfg.generation.max_completion_length}  # equal work in both arms
    updates = cfg.optim.updates_per_generation
    timer = _StepTimer(updates)
    common = dict(model=model, reward_funcs=funcs, args=args, train_dataset=dataset, processing_class=tokenizer)
    if not ours:
        trainer = GRPOTrainer(**common, callbacks=[timer])
    else:
        extra = {"keep_mean": cfg.optim.maye_keep_mean} if cfg.mode == "maye" else {}
        trainer = trainer_class(cfg.mode)(**common, callbacks=[timer, make_metrics_callback(run, recipe, cfg.steps, None, updates)],
                                          **extra)
    trainer.train()
    return timer.cpu[1:], timer.wall[1:]  # the first step warms up


def overhead(quick: bool, out: Path, backend: str = "hf") -> dict:
    """Per mode: our trainer + callbacks vs bare TRL, same config and data, alternated to share the machine's load."""
    from llmrl_grpo.config import GRPOTrainConfig
    from llmrl_grpo.data import to_dataset
    from llmrl_grpo.run import load_task

    figures: dict = {}
    use_vllm = backend != "hf"
    tag = "vllm_" if use_vllm else ""
    for mode in ("maye", "grpo"):
        cfg = GRPOTrainConfig(mode=mode, steps=3 if quick else 5, output=str(out / mode), generation={
            "completions_per_step": 4 if quick else 32, "num_generations": 2 if quick else 8,
            "max_completion_length": 4 if quick else 16, "backend": backend})
        _, train_examples, _, _ = load_task(cfg)
        dataset = to_dataset(train_examples, cfg.instruction)
        times: dict[str, tuple[list[float], list[float]]] = {"ours": ([], []), "bare": ([], [])}
        for rnd in range(1 if quick else 2):
            for arm in ("ours", "bare") if rnd % 2 == 0 else ("bare", "ours"):
                cpu, wall = _time_trainer(arm == "ours", cfg, dataset, out / f"{mode}-{arm}{rnd}")
                times[arm][0].extend(cpu)
                times[arm][1].extend(wall)
        ours_cpu, bare_cpu = statistics.median(times["ours"][0]), statistics.median(times["bare"][0])
        ours_wall, bare_wall = statistics.median(times["ours"][1]), statistics.median(times["bare"][1])
        cls = "MayeGRPOTrainer" if mode == "maye" else "LlmrlGRPOTrainer"
        gen = cfg.generation
        print(f"overhead {mode}{' (vLLM colocated)' if use_vllm else ''}: {cls} + callbacks {ours_cpu:.2f} CPU-s/step "
              f"({ours_wall:.2f} s wall), bare TRL GRPOTrainer {bare_cpu:.2f} CPU-s/step ({bare_wall:.2f} s wall): "
              f"CPU ratio {ours_cpu / bare_cpu:.3f}, wall ratio {ours_wall / bare_wall:.3f} "
              f"({len(times['ours'][0])} + {len(times['bare'][0])} timed steps; {gen.completions_per_step} responses x "
              f"{gen.max_completion_length} tokens per step)")
        figures.update({
            f"{tag}{mode}_cpu_ratio_vs_bare_trl": round(ours_cpu / bare_cpu, 3),
            f"{tag}{mode}_wall_ratio_vs_bare_trl": round(ours_wall / bare_wall, 3),
            f"{tag}{mode}_ours_cpu_s_per_step": round(ours_cpu, 2), f"{tag}{mode}_bare_cpu_s_per_step": round(bare_cpu, 2),
            f"{tag}{mode}_ours_steps_cpu_s": [round(x, 2) for x in times["ours"][0]],
            f"{tag}{mode}_bare_steps_cpu_s": [round(x, 2) for x in times["bare"][0]],
        })
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="overhead only, tiny steps: a smoke run of the pipeline")
    parser.add_argument("--headline", action="store_true", help="also run the README's `llmrl grpo train` and report it")
    parser.add_argument("--skip-overhead", action="store_true")
    parser.add_argument("--write", type=Path, default=None, help="with --headline: write PATH.json and PATH.md")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "quick": args.quick,
                     "load_start": _load()}
    with tempfile.TemporaryDirectory(prefix="llmrl-grpo-bench-") as tmp:
        out = Path(tmp)
        if args.headline:
            figures.update(headline(out, args.write))
        if not args.skip_overhead:
            figures.update(overhead(args.quick, out / "overhead"))
            try:
                import torch

                has_gpu = torch.cuda.is_available()
            except ImportError:
                has_gpu = False
            if has_gpu:
                try:
                    import vllm  # noqa: F401

                    figures.update(overhead(args.quick, out / "overhead_vllm", backend="vllm-colocate"))
                except ImportError:
                    print("vLLM is not installed: skipping the colocated figure", file=sys.stderr)
    figures["load_end"] = _load()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
