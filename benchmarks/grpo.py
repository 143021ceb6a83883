"""GRPO/MAYE figures: (1) learning — held-out accuracy before/after the default run and its curve;
(2) overhead — our training step vs a bare TRL GRPOTrainer on the same model, data and config,
timed in the same process; (3) the same with vLLM colocated, when a GPU and vLLM are present.

    uv run --all-packages python benchmarks/grpo.py            # the full default run (~10 min alone on 2 cores)
    uv run --all-packages python benchmarks/grpo.py --quick    # < 1 min of training on 2 cores: a smoke run

The last line printed is one JSON object of headline figures.
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


def learning(quick: bool, out: Path) -> dict:
    from llmrl_grpo.config import GRPOTrainConfig
    from llmrl_grpo.run import RunDir, train

    overrides: dict = {"output": str(out / "learning")}
    if quick:
        overrides.update(steps=2, generation={"completions_per_step": 8, "max_completion_length": 8},
                         eval={"num_prompts": 4, "pass_k": 2, "metrics": ["pass@k", "pass@1_greedy"]})
    cfg = GRPOTrainConfig(**overrides)
    t0 = time.perf_counter()
    result = train(cfg)
    seconds = time.perf_counter() - t0
    before, after = result["evals"]["before"], result["evals"]["after"]
    records = RunDir(cfg.output).read_jsonl(RunDir(cfg.output).metrics)
    curve = [round(r["rewards/accuracy/mean"], 3) for r in records]
    print(f"learning: {cfg.steps} steps in {seconds:.0f} s (train + 2 evals)")
    for key in ("mean@k_t1.0", f"pass@{cfg.eval.pass_k}", "pass@1_t0.6", "pass@1_greedy"):
        if key in before:
            print(f"  held-out {key:14s} before {before[key]:.3f}  after {after[key]:.3f}")
    print(f"  train accuracy per step: {curve}")
    return {
        "heldout_t1_before": before.get("mean@k_t1.0"), "heldout_t1_after": after.get("mean@k_t1.0"),
        "heldout_greedy_before": before.get("pass@1_greedy"), "heldout_greedy_after": after.get("pass@1_greedy"),
        "train_accuracy_curve": curve, "learning_seconds": round(seconds, 1),
    }


class _StepTimer:
    def __new__(cls):
        from transformers import TrainerCallback

        class Timer(TrainerCallback):
            def __init__(self):
                self.times: list[float] = []
                self.walls: list[float] = []

            def on_step_begin(self, args, state, control, **kwargs):
                self._t = time.perf_counter()
                self._c = time.process_time()

            def on_step_end(self, args, state, control, **kwargs):
                # CPU time of the process: on a shared machine wall time mostly measures the neighbours.
                self.times.append(time.process_time() - self._c)
                self.walls.append(time.perf_counter() - self._t)

        return Timer()


def _time_trainer(ours: bool, cfg, model_name: str, dataset, out: Path, use_vllm: bool = False) -> list[float]:
    from trl import GRPOTrainer

    from llmrl_grpo.recipe import GRPORecipe
    from llmrl_grpo.run import RunDir, load_model, make_metrics_callback, trl_config

    model, tokenizer, backend = load_model(cfg)
    run = RunDir(out)
    run.root.mkdir(parents=True, exist_ok=True)
    recipe = GRPORecipe(cfg)
    funcs, weights = (list(x) for x in zip(*recipe.rewards(tokenizer), strict=True))
    args = trl_config(cfg, run, backend.device.type, bf16=str(backend.default_dtype) == "torch.bfloat16")
    args.reward_weights, args.save_strategy = weights, "no"
    if use_vllm:
        args.use_vllm, args.vllm_mode, args.vllm_gpu_memory_utilization = True, "colocate", 0.3
    timer = _StepTimer()
    callbacks = [timer] + ([make_metrics_callback(run, recipe, cfg.steps, None)] if ours else [])
    trainer = GRPOTrainer(model=model, reward_funcs=funcs, args=args, train_dataset=dataset, processing_class=tokenizer, callbacks=callbacks)
    trainer.train()
    return timer.times[1:]  # the first step warms up


def overhead(quick: bool, out: Path, use_vllm: bool = False) -> dict:
    """Same GRPO config, same data, same seed: our trainer (+ metrics callback) vs bare TRL, alternated."""
    from llmrl_grpo.config import GRPOTrainConfig
    from llmrl_grpo.data import to_dataset
    from llmrl_grpo.run import load_task

    steps = 3 if quick else 6
    cfg = GRPOTrainConfig(mode="grpo", steps=steps, output=str(out), generation={
        "completions_per_step": 8 if quick else 32, "num_generations": 8 if not quick else 4,
        "max_completion_length": 8 if quick else 16})
    _, train_examples, _, _ = load_task(cfg)
    dataset = to_dataset(train_examples, cfg.instruction)
    ours: list[float] = []
    bare: list[float] = []
    for rnd in range(1 if quick else 2):  # alternate to spread the load of a shared machine over both
        ours += _time_trainer(True, cfg, cfg.model, dataset, out / f"ours{rnd}", use_vllm)
        bare += _time_trainer(False, cfg, cfg.model, dataset, out / f"bare{rnd}", use_vllm)
    ratio = statistics.median(ours) / statistics.median(bare)
    tag = "vllm_" if use_vllm else ""
    print(f"overhead{' (vLLM colocated)' if use_vllm else ''}: ours median {statistics.median(ours):.2f} CPU-s/step, "
          f"bare TRL {statistics.median(bare):.2f} CPU-s/step, ratio {ratio:.3f} ({len(ours)} + {len(bare)} timed steps)")
    return {f"{tag}step_ratio_vs_bare_trl": round(ratio, 3), f"{tag}ours_cpu_s_per_step": round(statistics.median(ours), 2),
            f"{tag}bare_cpu_s_per_step": round(statistics.median(bare), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few steps, tiny evals")
    parser.add_argument("--skip-learning", action="store_true")
    args = parser.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING)
    figures: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="llmrl-grpo-bench-") as tmp:
        out = Path(tmp)
        if not args.skip_learning:
            figures.update(learning(args.quick, out))
        figures.update(overhead(args.quick, out / "overhead"))
        try:
            import torch

            has_gpu = torch.cuda.is_available()
        except ImportError:
            has_gpu = False
        if has_gpu:
            try:
                import vllm  # noqa: F401

                figures.update(overhead(args.quick, out / "overhead_vllm", use_vllm=True))
            except ImportError:
                print("vLLM is not installed: skipping the colocated figure", file=sys.stderr)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
