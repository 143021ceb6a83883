"""Scaling out, measured on one machine: sandbox replicas and fan-out backends against their references.

(1) grpo_ranks: a 2-rank vs 1-rank CPU GRPO step of llmrl_grpo.train (torchrun, gloo, one thread per rank,
    the same global batch, real generation with the embedded model): samples/s per rank, and both ratios.
(2) fusion_replicas: the fusion client over 2 `llmrl sandbox serve` replicas vs 1 (each replica 1 worker),
    the same N programs, executions/s ratio. Two kinds of program: `sleep` (0.1 s asleep: what the client's
    spreading gives when the replicas have the CPU to spare, ideal 2.0) and `cpu` (~0.1 s of Python
    arithmetic: bounded by this machine's shared cores).
(3) fanout: parallel_map over 8 short MPC episodes (llmrl-mpc's quadruped walking 1 simulated second under
    MPPI, 64 samples, one rollout thread each): serial in this process (not with --quick), `local` (a spawn
    process pool, started per call, as parallel_map does), `ray` on a local cluster (first call: cluster start
    + cold workers; second call: warm workers). Ratios are episodes/s against `local` in the same run; every
    backend must return the same episodes (same seeds).

Usage: python benchmarks/scale.py [--quick] [--workers N] [--only grpo fusion fanout]
The last line printed is one JSON object of headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

EPISODE_SPEC = {"task": "quadruped", "calls": [{"fn": "set_torso_targets", "target_torso_velocity_xy": [0.3, 0.0]},
                                               {"fn": "execute_plan", "plan_duration": 1.0}]}
PROGRAMS = {
    "sleep": "import time\ntime.sleep(0.1)\nprint({i})",
    "cpu": "total = 0\nfor k in range(1_000_000):\n    total += k % 7\nprint({i}, total)",
}
REPLICA = ("workers=1", "preload=[]", "light_preload=null")  # 1 worker each; no preload: fast start


def loadavg() -> str:
    """The 1/5/15-minute load averages (the CPU is shared: figures depend on them)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


# ---- (1) 2-rank vs 1-rank CPU GRPO step ------------------------------------------------------------------------
def grpo_ranks(quick: bool) -> dict:
    """One GRPO step of `llmrl_grpo.train` on 1 rank and under `torchrun --nproc_per_node 2` (gloo, one thread per
    rank), the same global batch (real generation with the embedded model); the first step warms up, the next
    ones are timed. Samples/s per rank = (global batch / ranks) / median step time."""
    import shutil
    import statistics
    import subprocess
    import sys
    import tempfile

    steps = 2 if quick else 4
    out: dict = {"global_batch": 8 if quick else 16, "max_completion_length": 4 if quick else 8, "timed_steps": steps - 1}
    with tempfile.TemporaryDirectory(prefix="llmrl-scale-grpo-") as tmp:
        for ranks in (1, 2):
            cmd = [sys.executable, __file__, "--grpo-worker", tmp, "--grpo-steps", str(steps), *(["--quick"] * quick)]
            if ranks > 1:
                cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(ranks),
                       "--master_addr", "127.0.0.1", "--master_port", str(_free_port()), *cmd[1:]]
            done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
            if done.returncode != 0:
                return {**out, "error": f"{ranks} rank(s): {done.stderr.strip()[-1500:]}"}
            times = json.loads(Path(tmp, f"steps-{ranks}.json").read_text())[1:]
            shutil.rmtree(Path(tmp, f"run-{ranks}"), ignore_errors=True)  # its final/ model
            per_rank = out["global_batch"] / ranks / statistics.median(times)
            out[f"step_s_{ranks}"] = [round(t, 2) for t in times]
            out[f"samples_per_s_per_rank_{ranks}"] = round(per_rank, 3)
    out["per_rank_ratio"] = round(out["samples_per_s_per_rank_2"] / out["samples_per_s_per_rank_1"], 3)
    out["total_ratio"] = round(2 * out["per_rank_ratio"], 3)
    return out


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def grpo_worker(tmp: str, steps: int, quick: bool) -> None:
    """One rank of grpo_ranks(): train `steps` GRPO steps, rank 0 writes the wall time of each."""
    import torch
    from transformers import TrainerCallback

    from llmrl_core.runs import world
    from llmrl_grpo.config import GRPOTrainConfig
    from llmrl_grpo.run import train

    torch.set_num_threads(1)
    rank, ranks = world()

    class StepTimes(TrainerCallback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_step_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.times.append(time.perf_counter() - self.start)
            control.should_save = False  # no checkpoints: only the steps are measured (and the disk is shared)
            return control

    timer = StepTimes()
    cfg = GRPOTrainConfig(output=str(Path(tmp, f"run-{ranks}")), mode="grpo", steps=steps, save_steps=1000,
                          eval={"before": False, "after": False},
                          generation={"completions_per_step": 8 if quick else 16, "num_generations": 4,
                                      "max_completion_length": 4 if quick else 8})
    train(cfg, callbacks=[timer])
    if rank == 0:
        Path(tmp, f"steps-{ranks}.json").write_text(json.dumps(timer.times))


# ---- (2) the fusion client over 2 replicas vs 1 ----------------------------------------------------------------
def fusion_replicas(n: int, repeats: int) -> dict:
    from llmrl_core import get_sandbox
    from llmrl_sandbox_fusion.spawn import start_server, stop_server

    servers = [start_server(*REPLICA), start_server(*REPLICA)]
    urls = [url for _, url in servers]
    out: dict = {"programs_per_batch": n, "repeats": repeats, "replica_workers": 1}
    try:
        for kind, template in PROGRAMS.items():
            codes = [template.format(i=i) for i in range(n)]
            rates: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(repeats):
                for k in (1, 2):  # interleaved, so a change of load hits both
                    with get_sandbox("fusion", endpoints=urls[:k], max_concurrency=k,
                                     max_concurrency_per_endpoint=1) as sb:
                        sb.run("print(0)")  # connection and Server-header probe, outside the timing
                        start = time.perf_counter()
                        results = sb.run_many(codes, timeout_s=30)
                        seconds = time.perf_counter() - start
                    bad = [r for r in results if not r.ok]
                    assert not bad and [r.stdout.split()[0] for r in results] == [str(i) for i in range(n)], bad[:2]
                    rates[k].append(n / seconds)
            best = {k: max(v) for k, v in rates.items()}  # the least disturbed repeat of each
            out[kind] = {"exec_per_s_1_replica": round(best[1], 2), "exec_per_s_2_replicas": round(best[2], 2),
                         "ratio_2_vs_1": round(best[2] / best[1], 3),
                         "all_rates": {k: [round(r, 2) for r in v] for k, v in rates.items()}}
            print(f"[fusion] {kind}: 1 replica {best[1]:.2f} exec/s, 2 replicas {best[2]:.2f} exec/s, "
                  f"ratio {best[2] / best[1]:.2f} (load {loadavg()})", flush=True)
    finally:
        for proc, _ in servers:
            stop_server(proc)
    return out


# ---- (3) parallel_map: ray vs local on short MPC episodes ------------------------------------------------------
def mpc_episode(seed: int) -> dict:
    """One short quadruped episode under MPPI with one rollout thread; runs in a worker (local or Ray)."""
    from llmrl_mpc import PlannerConfig
    from llmrl_mpc.robots import make_robot
    from llmrl_mpc.runner import run_spec

    config = PlannerConfig(method="mppi", samples=64, horizon=0.5, noise=0.3, timestep=0.02, nthread=1)
    result = run_spec(make_robot("quadruped"), EPISODE_SPEC, config, replan_every=5, seed=seed)
    return {"seed": seed, "forward_speed": round(float(result.metrics["forward_speed"]), 4),
            "sim_s": result.sim_seconds, "wall_s": result.wall_seconds}


def fanout(episodes: int, workers: int, serial: bool) -> dict:
    from llmrl_core.parallel import parallel_map

    seeds = list(range(episodes))
    timings: dict[str, float] = {}
    outputs: dict[str, list[dict]] = {}

    def timed(label: str, fn) -> None:
        start = time.perf_counter()
        outputs[label] = fn()
        timings[label] = time.perf_counter() - start
        print(f"[fanout] {label}: {timings[label]:.2f} s for {episodes} episodes (load {loadavg()})", flush=True)

    if serial:
        timed("serial", lambda: [mpc_episode(s) for s in seeds])
    timed("local", lambda: parallel_map(mpc_episode, seeds, backend="local", max_workers=workers))
    timed("ray_cold", lambda: parallel_map(mpc_episode, seeds, backend="ray", max_workers=workers))
    timed("ray_warm", lambda: parallel_map(mpc_episode, seeds, backend="ray", max_workers=workers))
    import ray

    ray.shutdown()
    speeds = {label: [o["forward_speed"] for o in out] for label, out in outputs.items()}
    same = all(v == speeds["local"] for v in speeds.values())  # same seeds, same episodes, any backend
    rate = {label: episodes / s for label, s in timings.items()}
    return {"episodes": episodes, "sim_s_each": EPISODE_SPEC["calls"][1]["plan_duration"], "workers": workers,
            "seconds": {k: round(v, 2) for k, v in timings.items()},
            "episodes_per_s": {k: round(v, 3) for k, v in rate.items()},
            "ray_warm_vs_local": round(rate["ray_warm"] / rate["local"], 3),
            "ray_cold_vs_local": round(rate["ray_cold"] / rate["local"], 3),
            "local_vs_serial": round(rate["local"] / rate["serial"], 3) if serial else None,
            "same_results_every_backend": same}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer programs and one repeat (< 1 minute on 2 cores)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="fan-out workers (default: CPUs)")
    parser.add_argument("--only", nargs="+", choices=["grpo", "fusion", "fanout"], default=["grpo", "fusion", "fanout"])
    parser.add_argument("--grpo-worker", help=argparse.SUPPRESS)
    parser.add_argument("--grpo-steps", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.grpo_worker:
        grpo_worker(args.grpo_worker, args.grpo_steps, args.quick)
        return
    headline: dict = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
                      "quick": args.quick, "loadavg_start": loadavg()}
    if "grpo" in args.only:
        headline["grpo_ranks"] = grpo_ranks(args.quick)
    if "fusion" in args.only:
        headline["fusion_replicas"] = fusion_replicas(n=16 if args.quick else 60, repeats=1 if args.quick else 3)
    if "fanout" in args.only:
        headline["fanout"] = fanout(episodes=8, workers=args.workers, serial=not args.quick)
    headline["loadavg_end"] = loadavg()
    print(json.dumps(headline))


if __name__ == "__main__":
    main()
