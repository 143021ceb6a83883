"""LaRe on episodic-reward MuJoCo, in two parts measured in one run.

1. ``pipeline``: LaRe's generation (K candidates -> summary -> sandbox validation on real states -> repair) with
   an LLM (default: the embedded SmolLM2-135M) on each task, free and grammar-constrained, side by side: how
   many candidates parsed and validated, how many repairs the summarised answer needed, the factors kept.
2. ``train``: five arms at one step budget, the decoder arms with equal heads (``--heads linear mlp``):
   ``lare-llm`` (LaRe with the factors the LLM wrote in part 1, grammar-constrained), ``lare-expert`` (LaRe with
   the hand-written factors of ``lare.examples``: the dense reward's own terms, an ORACLE), ``rrd-state`` (the
   same decoder on the raw state and action), ``episodic`` (the episodic reward only) and ``dense`` (the
   environment's dense reward: the ceiling). Plus the cost of proxy-reward evaluation per environment step.

    uv run --all-packages python benchmarks/lare.py --quick          # every path runs: Reacher, 1 seed, 300 steps
    uv run --all-packages python benchmarks/lare.py --envs Reacher-v5 HalfCheetah-v5 --seeds 0 1 2 3 4 --steps 100000 --jobs 2

Training runs on the episodic-reward environments of llmrl-env-mujoco (``llmrl/EpisodicReacher-v5``, ...); every
run is evaluated by the task's dense return, one torch thread per run; ``--jobs`` runs them in parallel, in
processes here (``--executor local``) or as tasks on a Ray cluster (``--executor ray``, joins ``$RAY_ADDRESS``;
``auto``, the default, takes Ray when ``RAY_ADDRESS`` is set). Every latent function, LLM-written or hand-written,
is evaluated in the real ``local`` sandbox. The last line printed is one JSON object of headline figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

from llmrl_core.parallel import EXECUTOR_DESCRIPTION, EXECUTORS

DECODER_ARMS = {"lare-llm": "lare", "lare-expert": "lare", "rrd-state": "rrd-state"}  # arm -> baseline
PLAIN_ARMS = {"episodic": "episodic", "dense": "dense"}
TASK_ENVS = ["Reacher-v5", "HalfCheetah-v5", "Walker2d-v5", "HumanoidStandup-v5"]


def arm_labels(heads: list[str]) -> list[str]:
    return [f"{arm}/{head}" for arm in DECODER_ARMS for head in heads] + list(PLAIN_ARMS)


def pipeline(envs: list[str], modes: list[str], cfg_kwargs: dict, out: Path, provider: str, model: str | None) -> dict:
    """LaRe's generation on each task, free and with the grammar: the stage counts, and the accepted functions saved."""
    from llmrl_core import get_provider, get_sandbox
    from llmrl_rewardgen.codegen import CodegenError
    from llmrl_rewardgen.lare.generate import GenerateConfig, generate_latent_function

    rows: dict = {}
    with get_provider(provider, **({"model": model} if model else {})) as llm, get_sandbox("local") as sandbox:
        for env_id in envs:
            for mode in modes:
                cfg = GenerateConfig(grammar="on" if mode == "grammar" else "off", **cfg_kwargs)
                start = time.monotonic()
                try:
                    result = generate_latent_function(env_id, llm, sandbox, provider_name=provider,
                                                      model_name=model or "default", config=cfg, cache_root=out / "latent",
                                                      use_cache=False)
                    report, saved = result.report, result.save(out / "latent" / f"{env_id}-{mode}.json")
                    code = result.code
                except CodegenError as exc:
                    report, saved, code = dataclasses.asdict(exc.report), None, None
                counts = _counts(report)
                errors = [c["error"] for c in report["candidates"] + report["rounds"] if c["error"]]
                rows[f"{env_id}/{mode}"] = {**counts, "seconds": round(time.monotonic() - start, 1),
                                            "function": str(saved) if saved else None, "dropped": report["dropped"],
                                            "first_errors": [e.splitlines()[0][:160] for e in errors[:3]]}
                print(f"[pipeline] {env_id} {mode}: {json.dumps(rows[f'{env_id}/{mode}'])} (load {loadavg()})",
                      flush=True)
                if code:
                    print(code, flush=True)
    return rows


def _counts(report: dict) -> dict:
    from llmrl_rewardgen.lare.generate import PipelineReport

    return PipelineReport(**report).counts()


def time_env_step(env_id: str, n: int) -> tuple[float, np.ndarray, np.ndarray]:
    """Seconds per raw env step (random actions), plus the visited observations/actions."""
    from llmrl_core import make_env

    env = make_env(env_id)
    env.action_space.seed(0)
    obs, _ = env.reset(seed=0)
    observations = []
    acts = [env.action_space.sample() for _ in range(n)]
    start = time.perf_counter()
    for act in acts:
        observations.append(obs)
        obs, _, term, trunc, _ = env.step(act)
        if term or trunc:
            obs, _ = env.reset()
    seconds = (time.perf_counter() - start) / n
    env.close()
    return seconds, np.array(observations, np.float32), np.array(acts, np.float32)


def eval_cost(env_id: str, sandbox, steps: int, per_step_calls: int) -> dict[str, float]:
    """Proxy-reward evaluation cost per env step, relative to the env step itself."""
    import torch

    from llmrl_rewardgen.lare.decoder import RewardDecoder
    from llmrl_rewardgen.lare.evaluator import SandboxedLatentFunction
    from llmrl_rewardgen.lare.examples import EXAMPLES, worked_example_source

    env_step_s, obs, act = time_env_step(env_id, steps)
    fn = SandboxedLatentFunction(worked_example_source(env_id), sandbox, EXAMPLES[env_id][1])
    fn(obs[:8], act[:8])  # warm-up
    reps = 3
    start = time.perf_counter()
    for _ in range(reps):
        factors = fn(obs, act)  # a whole episode's worth per call: the training-time path
    batched_s = (time.perf_counter() - start) / (reps * steps)
    start = time.perf_counter()
    for i in range(per_step_calls):
        fn(obs[i : i + 1], act[i : i + 1])  # one sandbox call per step: LatentRewardWrapper(mode="step")
    per_call_s = (time.perf_counter() - start) / per_step_calls
    torch.set_num_threads(1)
    dec = RewardDecoder(fn.n_factors, "linear")
    start = time.perf_counter()
    for i in range(0, steps, 256):
        dec.predict(factors[i : i + 256])  # relabelling a policy batch
    decode_s = (time.perf_counter() - start) / steps
    return {
        "env_step_us": env_step_s * 1e6,
        "episode_batched_us_per_step": batched_s * 1e6,
        "per_step_call_us": per_call_s * 1e6,
        "decoder_relabel_us_per_transition": decode_s * 1e6,
        "episode_batched_vs_env_step": batched_s / env_step_s,
        "per_step_call_vs_env_step": per_call_s / env_step_s,
        "decoder_relabel_vs_env_step": decode_s / env_step_s,
    }


def random_return(env_id: str, episodes: int) -> float:
    from llmrl_core import make_env

    env = make_env(env_id)
    env.action_space.seed(0)
    total = 0.0
    for i in range(episodes):
        env.reset(seed=10_000 + i)
        done = False
        while not done:
            _, r, term, trunc, _ = env.step(env.action_space.sample())
            total += r
            done = term or trunc
    return total / episodes


def run_one(job: dict) -> dict:
    """One training run, in a worker process (with its own sandbox for LaRe's latent function), one torch thread."""
    import torch

    from llmrl_core import get_sandbox
    from llmrl_rewardgen.lare.evaluator import SandboxedLatentFunction
    from llmrl_rewardgen.lare.examples import EXAMPLES, worked_example_source
    from llmrl_rewardgen.lare.generate import GeneratedLatentFunction
    from llmrl_rewardgen.lare.train import TrainConfig, train

    torch.set_num_threads(1)
    logging.basicConfig(level=logging.WARNING)
    cfg = TrainConfig(**job["config"])
    if cfg.baseline != "lare":
        return train(cfg, None, run_dir=Path(job["run_dir"])).to_dict()
    with get_sandbox("local") as sandbox:
        if job["latent"] == "expert":
            latent = SandboxedLatentFunction(worked_example_source(cfg.env), sandbox, EXAMPLES[cfg.env][1])
        else:
            latent = GeneratedLatentFunction.read(Path(job["latent"])).load(sandbox)
        return train(cfg, latent, run_dir=Path(job["run_dir"])).to_dict()


def loadavg() -> str:
    """The 1/5/15-minute load averages (the CPU is shared: figures depend on them)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="every path runs: pipeline on Reacher (2 candidates, no repair), training 1 seed x 300 steps")
    p.add_argument("--part", choices=["all", "pipeline", "train"], default="all")
    p.add_argument("--envs", nargs="+", default=["Reacher-v5", "HalfCheetah-v5"], help="training envs")
    p.add_argument("--pipeline-envs", nargs="+", default=TASK_ENVS, help="envs of the generation report")
    p.add_argument("--modes", nargs="+", default=["free", "grammar"], choices=["free", "grammar"])
    p.add_argument("--provider", default="transformers", help="LLM provider of the pipeline (default: embedded model)")
    p.add_argument("--model", default=None)
    p.add_argument("--candidates", type=int, default=5, help="K")
    p.add_argument("--max-tokens", type=int, default=768, help="token budget of each reply")
    p.add_argument("--repair-budget", type=int, default=2)
    p.add_argument("--heads", nargs="+", default=["linear", "mlp"], choices=["linear", "mlp"])
    p.add_argument("--arms", nargs="+", default=None, help="train only these arms (labels as printed)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4])
    p.add_argument("--steps", type=int, default=100_000, help="steps per run")
    p.add_argument("--learning-starts", type=int, default=10_000)
    p.add_argument("--eval-every", type=int, default=5000)
    p.add_argument("--eval-episodes", type=int, default=5)
    p.add_argument("--algo", default="td3")
    p.add_argument("--jobs", type=int, default=1, help="training runs at once (1 torch thread each)")
    p.add_argument("--executor", choices=EXECUTORS, default="auto", help=EXECUTOR_DESCRIPTION)
    p.add_argument("--out", type=Path, default=Path("runs/benchmarks/lare"))
    args = p.parse_args(argv)
    if args.quick:
        args.envs, args.pipeline_envs, args.seeds, args.steps, args.learning_starts = ["Reacher-v5"], ["Reacher-v5"], [0], 300, 150
        args.eval_every, args.eval_episodes, args.candidates, args.repair_budget, args.max_tokens = 300, 2, 2, 0, 256
    logging.basicConfig(level=logging.WARNING)

    import torch

    from llmrl_core import get_sandbox
    from llmrl_core.parallel import parallel_map, resolve_executor
    from llmrl_rewardgen.lare.train import TrainConfig, TrainResult, plot_curves

    torch.set_num_threads(1)
    headline: dict = {"machine_cpus": os.cpu_count(), "loadavg_start": loadavg(), "algo": args.algo,
                      "steps": args.steps, "learning_starts": args.learning_starts, "seeds": args.seeds,
                      "jobs": args.jobs, "heads": args.heads}
    if args.part in ("all", "pipeline"):
        cfg = {"n_candidates": args.candidates, "max_tokens": args.max_tokens, "repair_budget": args.repair_budget}
        headline["pipeline"] = pipeline(args.pipeline_envs, args.modes, cfg, args.out, args.provider, args.model)
        headline["pipeline_settings"] = {**cfg, "provider": args.provider, "model": args.model or "default"}
    if args.part == "pipeline":
        headline["loadavg_end"] = loadavg()
        print(json.dumps(headline))
        return headline

    cost_env = "HalfCheetah-v5"
    with get_sandbox("local") as sandbox:
        cost = eval_cost(cost_env, sandbox, steps=1000, per_step_calls=10 if args.quick else 100)
    print(f"[cost] {cost_env}: " + ", ".join(f"{k}={v:.3g}" for k, v in cost.items()), flush=True)
    headline["eval_cost"] = {k: round(v, 4) for k, v in cost.items()}

    labels = [a for a in arm_labels(args.heads) if args.arms is None or a in args.arms]
    jobs = []
    for env_id in args.envs:
        llm_function = args.out / "latent" / f"{env_id}-grammar.json"
        for seed in args.seeds:
            for label in labels:
                arm, _, head = label.partition("/")
                if arm == "lare-llm" and not llm_function.is_file():
                    print(f"[skip] {env_id} {label}: no LLM-written function at {llm_function} (run --part pipeline)")
                    continue
                cfg = TrainConfig(env=env_id, algo=args.algo, steps=args.steps,
                                  baseline={**DECODER_ARMS, **PLAIN_ARMS}[arm], head=head or "mlp", seed=seed,
                                  learning_starts=args.learning_starts, eval_every=args.eval_every,
                                  eval_episodes=args.eval_episodes)
                jobs.append({"env": env_id, "label": label, "config": cfg.model_dump(),
                             "latent": str(llm_function) if arm == "lare-llm" else "expert",
                             "run_dir": str((args.out / f"{env_id}-{label.replace('/', '-')}-seed{seed}").resolve())})

    def report(i: int, out: dict) -> None:
        res = TrainResult(**out)
        print(f"[run] {jobs[i]['env']} {jobs[i]['label']} seed {res.config['seed']}: final eval return "
              f"{res.final_return:.1f} ({res.seconds:.0f} s, {args.steps / res.seconds:.1f} steps/s, "
              f"latent calls {res.latent_calls}, latent {res.latent_seconds:.2f} s; load {loadavg()})", flush=True)

    headline["executor"] = resolve_executor(args.executor)
    start = time.monotonic()
    outs = parallel_map(run_one, jobs, backend=args.executor, max_workers=args.jobs, on_result=report)
    results = {i: TrainResult(**out) for i, out in enumerate(outs)}
    headline["wall_s"] = round(time.monotonic() - start, 1)
    headline["loadavg_end"] = loadavg()
    for env_id in args.envs:
        runs: dict[str, list[TrainResult]] = {}
        for i, job in enumerate(jobs):
            if job["env"] == env_id:
                runs.setdefault(job["label"], []).append(results[i])
        curves = plot_curves(runs, args.out / f"{env_id}-curves.png",
                             title=f"llmrl/Episodic{env_id}, {args.algo}, {len(args.seeds)} seeds")
        ref = random_return(env_id, 10)
        finals = {m: float(np.mean([r.final_return for r in rs])) for m, rs in runs.items()}
        headline[env_id] = {
            "random_policy_return": round(ref, 2),
            **{f"{m}_return": round(v, 2) for m, v in finals.items()},
            **{f"{m}_return_std": round(float(np.std([r.final_return for r in rs])), 2) for m, rs in runs.items()},
            **{f"{m}_returns": [round(r.final_return, 2) for r in rs] for m, rs in runs.items()},
            # improvement over the random policy, relative to the random policy's |return| (same run)
            **{f"{m}_gain_vs_random": round((v - ref) / abs(ref), 3) for m, v in finals.items()},
            **{f"{m}_steps_per_s": round(float(np.mean([args.steps / r.seconds for r in rs])), 1)
               for m, rs in runs.items()},
            "curves": str(curves),
        }
    print(json.dumps(headline))
    return headline


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
