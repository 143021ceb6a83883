"""llmrl-mpc benchmark: planner overhead, real-time factor per planner, and the instruction suites per planner.

(1) planner_vs_raw_rollout: simulation steps/s inside SamplingPlanner.optimize (sampling,
    spline evaluation, rollout, numpy costs, update) / steps/s of a bare mujoco.rollout call
    over the same samples x horizon and thread count, interleaved in the same run (MPPI). Target >= 0.9.
    Also from CPU time (load-robust): planner_vs_raw_rollout_dedicated_estimate.
(2) realtime_factor, per planner: the quadruped walking under the receding-horizon controller (the
    suite's controller: PlannerConfig's defaults, replanning every 50 ms), simulated s / wall s.
    Target >= 1.0. iLQG's cost per plan differs from the sampling planners' (derivatives + line search
    instead of 128 rollouts), so each planner has its own.
(3) suites: expert-written reward specs for quadruped and manipulator instructions, per planner and seed;
    a run counts when every check ends within tolerance. Two sets, reported separately:
      tuning  (benchmarks/mpc_suite.json, 19 instructions): the cost weights, the gaits and the MPPI
              controller were tuned on its results;
      heldout (benchmarks/mpc_suite_heldout.json, 13 instructions): written and committed after tuning
              froze, before any run; nothing was tuned on them afterwards.

The suite runs fan out with llmrl_core.parallel.parallel_map (--executor local: a process pool here; ray:
a Ray cluster), --workers at once (default: CPU count // --threads: the rollouts already use threads).

Usage: python benchmarks/mpc.py [--quick] [--planners P ...] [--sets tuning heldout] [--seeds N]
                                [--threads N] [--executor auto|local|ray] [--workers/--jobs N]
                                [--only ID ...] [--out rows.json] [--skip-overhead]
The last line printed is one JSON object of headline figures.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import time
from functools import cache
from pathlib import Path

import mujoco
import numpy as np
from mujoco import rollout as mj_rollout

from llmrl_core.parallel import EXECUTOR_DESCRIPTION, EXECUTORS, parallel_map, resolve_executor
from llmrl_mpc import PlannerConfig, SamplingPlanner
from llmrl_mpc.robots import make_robot
from llmrl_mpc.runner import run_spec

SUITE = Path(__file__).with_name("mpc_suite.json")  # the tuning set
SUITES = {"tuning": SUITE, "heldout": Path(__file__).with_name("mpc_suite_heldout.json")}
PLANNERS = ("predictive_sampling", "cem", "mppi", "ilqg")
QUICK_IDS = ["q_low", "q_face_left", "m_base_yaw", "m_reach_box", "q_roll_left", "m_lower_gripper"]
WALK = {"task": "quadruped", "calls": [{"fn": "set_torso_targets", "target_torso_velocity_xy": [0.3, 0.0]},
                                       {"fn": "execute_plan", "plan_duration": 5.0}]}


# iLQG plans on the model's own 0.01 s timestep (L2R's setting): on the tuning set, at 0.02 s its
# contact-rich manipulator plans failed (2/7 with feedback) where at 0.01 s they reached 4/7 (see docs/benchmarks/mpc.md).
PLANNER_SETTINGS = {"ilqg": {"timestep": None}}
DETERMINISTIC = {"ilqg"}  # no sampling: every seed gives the same run (checked on the tuning set, seeds 0 and 1)


def control_config(threads: int, seed: int = 0, method: str = "mppi") -> PlannerConfig:
    """The controller of (2) and (3): PlannerConfig's defaults (128 samples x 0.5 s, noise 0.3, 0.02 s planning model),
    with ``PLANNER_SETTINGS[method]`` on top."""
    return PlannerConfig(method=method, nthread=threads, seed=seed, **PLANNER_SETTINGS.get(method, {}))


def load_suite(sets: list[str] | tuple[str, ...] = ("tuning",), ids: list[str] | None = None) -> list[dict]:
    """The entries of the named sets, each tagged with its ``set``; ``ids`` keeps only those."""
    out = [{**e, "set": name} for name in sets for e in json.loads(SUITES[name].read_text())]
    return [e for e in out if e["id"] in ids] if ids else out


def _cpu_split() -> tuple[float, float]:
    """(process CPU s, calling-thread CPU s): the difference is what the rollout worker threads used."""
    return time.process_time(), time.thread_time()


def planner_overhead(threads: int, reps: int) -> dict:
    """Figure (1): simulation steps/s of a whole planning iteration vs a bare ``mujoco.rollout`` of the same batch.

    The planner side is ``SamplingPlanner.optimize`` end to end (warm start, noise, spline controls, the
    rollout, residuals + norms + risk, divergence check, MPPI update) over 128 samples x 50 steps. The
    reference re-runs that iteration's exact controls from the same state in its own
    ``Rollout(nthread=threads)`` pool with preallocated outputs (the fastest way to call it), right after,
    so load drifts hit both sides of a pair alike; the ratio is the median over pairs.

    The wall-clock ratio depends on what else the shared cores run, so each side's CPU time is split too:
    the calling thread's (serial) and the worker threads' (parallel). ``ratio_dedicated_estimate`` is
    the ratio of ``serial + workers / threads``: what the same work would take on ``threads`` idle cores.
    """
    task = make_robot("quadruped")
    model = task.model
    data = mujoco.MjData(model)
    task.home(data)
    task.apply_call(task.validate(WALK).calls[0])
    state = np.empty(task.layout.nstate)
    mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    cfg = PlannerConfig(method="mppi", samples=128, horizon=0.5, noise=0.3, timestep=None, nthread=threads)  # model timestep 0.01: 50 steps
    planner_rates, raw_rates, ratios, est_ratios, overheads = [], [], [], [], []
    with SamplingPlanner(model, task.cost, cfg) as planner, mj_rollout.Rollout(nthread=threads) as pool:
        planner.reset(data.ctrl)
        datas = [mujoco.MjData(model) for _ in range(threads)]
        out_state = np.empty((cfg.samples, planner.steps, task.layout.nstate))
        out_sensor = np.empty((cfg.samples, planner.steps, model.nsensordata))
        for i in range(reps + 2):  # two warm-up rounds; interleaved so load changes hit both alike
            p0, m0 = _cpu_split()
            info = planner.optimize(state)
            p1, m1 = _cpu_split()
            ctrl = planner.last_ctrl.copy()  # the raw call simulates exactly what the planner just did
            p2, m2 = _cpu_split()
            t = time.perf_counter()
            pool.rollout(model, datas, state[None], ctrl, state=out_state, sensordata=out_sensor)
            raw = time.perf_counter() - t
            p3, m3 = _cpu_split()
            if i >= 2:
                steps = ctrl.shape[0] * ctrl.shape[1]
                assert steps == info.steps, "the reference must simulate the planner's samples x horizon"
                raw_rates.append(steps / raw)
                planner_rates.append(info.steps / info.total_s)
                ratios.append(planner_rates[-1] / raw_rates[-1])  # per pair: load drift between pairs cancels
                planner_est = (m1 - m0) + max(0.0, (p1 - p0) - (m1 - m0)) / threads
                raw_est = (m3 - m2) + max(0.0, (p3 - p2) - (m3 - m2)) / threads
                est_ratios.append(raw_est / planner_est)
                overheads.append(info.total_s - info.rollout_s)
    p, r = statistics.median(planner_rates), statistics.median(raw_rates)
    return {"planner_steps_per_s": round(p), "raw_rollout_steps_per_s": round(r), "ratio": round(statistics.median(ratios), 3),
            "ratio_spread": [round(min(ratios), 3), round(max(ratios), 3)],
            "ratio_dedicated_estimate": round(statistics.median(est_ratios), 3),
            "ms_outside_rollout": round(1000 * statistics.median(overheads), 2),
            "samples": cfg.samples, "horizon_steps": planner.steps, "threads": threads, "reps": reps}


def realtime(threads: int, seconds: float, replan_every: int, method: str = "mppi") -> dict:
    """Wall-clock real-time factor, plus what the CPU time spent implies for ``threads`` dedicated cores.

    The machine's cores are shared, so wall time includes waiting for other jobs. The calling thread's
    CPU time is the serial part (plant physics, sampling, costs); the rest of the process's CPU time is
    the rollout workers', which run in parallel: dedicated wall ~= serial + workers / threads.
    """
    task = make_robot("quadruped")
    cpu0, main0 = time.process_time(), time.thread_time()
    res = run_spec(task, WALK, control_config(threads, method=method), replan_every=replan_every, seconds=seconds)
    main_cpu = time.thread_time() - main0
    workers_cpu = max(0.0, time.process_time() - cpu0 - main_cpu)
    dedicated = main_cpu + workers_cpu / threads
    return {"realtime_factor": round(res.realtime_factor, 3),
            "dedicated_cores_estimate": round(res.sim_seconds / dedicated, 3),
            "cpu_s_main": round(main_cpu, 2), "cpu_s_workers": round(workers_cpu, 2), "sim_s": round(res.sim_seconds, 2),
            "wall_s": round(res.wall_seconds, 2), "ms_per_plan": round(1000 * res.plan_seconds / res.plans, 1),
            "plans_per_sim_s": round(res.plans / res.sim_seconds, 1), "forward_speed": round(res.metrics["forward_speed"], 3)}


def within(metric: str, value: float, target: float, tol: float) -> bool:
    diff = value - target
    if metric.endswith(("heading", "yaw")):
        diff = (diff + math.pi) % (2 * math.pi) - math.pi
    return abs(diff) <= tol


@cache
def _task(name: str):
    return make_robot(name)


def suite_job(job: dict) -> dict:
    """One suite run: an instruction's expert spec under one planner and seed (top level, so a process pool can pickle it)."""
    task = _task(job["task"])
    cpu0, main0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
    res = run_spec(task, job["spec"], control_config(job["threads"], job["seed"], job["planner"]),
                   replan_every=job["replan_every"], seed=job["seed"])
    wall = time.perf_counter() - wall0
    main_cpu = time.thread_time() - main0
    workers_cpu = max(0.0, time.process_time() - cpu0 - main_cpu)
    checks = [(c["metric"], res.metrics[c["metric"]], c["target"], c["tol"]) for c in job["checks"]]
    return {"id": job["id"], "set": job["set"], "task": job["task"], "planner": job["planner"], "seed": job["seed"],
            "threads": job["threads"],
            "ok": all(within(*c) for c in checks), "reached": {m: round(v, 3) for m, v, _, _ in checks},
            "wanted": {m: f"{tg}±{tol}" for m, _, tg, tol in checks},
            "sim_s": round(res.sim_seconds, 3), "wall_s": round(wall, 2), "plans": res.plans,
            "ms_per_plan": round(1000 * res.plan_seconds / max(res.plans, 1), 1), "diverged": res.diverged,
            "dedicated_rtf_estimate": round(res.sim_seconds / (main_cpu + workers_cpu / job["threads"]), 3)}


def _share(rows: list[dict]) -> dict:
    ok = sum(r["ok"] for r in rows)
    return {"ok": ok, "n": len(rows), "share": round(ok / len(rows), 3) if rows else None}


def summarize(rows: list[dict]) -> dict:
    """Per planner: per set (and per task within it) the runs within tolerance; the real-time factor over all its runs."""
    out = {}
    for planner in dict.fromkeys(r["planner"] for r in rows):
        mine = [r for r in rows if r["planner"] == planner]
        sets = {}
        for name in dict.fromkeys(r["set"] for r in mine):
            sel = [r for r in mine if r["set"] == name]
            sets[name] = {**_share(sel), "per_task": {t: _share([r for r in sel if r["task"] == t])
                                                      for t in sorted({r["task"] for r in sel})}}
        sim, wall = sum(r["sim_s"] for r in mine), sum(r["wall_s"] for r in mine)
        out[planner] = {"sets": sets, "realtime_factor": round(sim / wall, 3) if wall else None,
                        "dedicated_rtf_estimate": round(statistics.median(r["dedicated_rtf_estimate"] for r in mine), 3),
                        "ms_per_plan": round(statistics.mean(r["ms_per_plan"] for r in mine), 1)}
    return out


def run_suite(threads: int, entries: list[dict], planners: list[str], replan_every: int, seeds: int,
              executor: str = "auto", workers: int | None = None) -> list[dict]:
    """Every entry under every planner and seed, fanned out by ``parallel_map`` (rows in job order);
    a planner that draws no random numbers (iLQG) runs seed 0 only."""
    jobs = [{**e, "planner": p, "seed": seed, "threads": threads, "replan_every": replan_every}
            for p in planners for e in entries for seed in range(1 if p in DETERMINISTIC else seeds)]

    def report(_i: int, r: dict) -> None:
        print(f"  {r['planner']:<19} {r['set']:<7} {r['id']:<18} seed {r['seed']} {'OK ' if r['ok'] else 'MISS'} {r['reached']} "
              f"wanted {r['wanted']} (real-time factor {r['sim_s'] / r['wall_s']:.2f}, {r['wall_s']} s)", flush=True)

    return parallel_map(suite_job, jobs, backend=executor, max_workers=workers, on_result=report)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help=f"A short run: {QUICK_IDS}, mppi and ilqg, one seed.")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--replan-every", type=int, default=5, help="Physics steps (0.01 s) between plans.")
    ap.add_argument("--planners", nargs="+", choices=PLANNERS, default=None, help="Planners for (2) and (3) (default: all four).")
    ap.add_argument("--sets", nargs="+", choices=sorted(SUITES), default=sorted(SUITES), help="Suite sets to run.")
    ap.add_argument("--only", nargs="*", help="Suite entries to run (ids from the suite files).")
    ap.add_argument("--seeds", type=int, default=1, help="Planner seeds per suite entry: 0 .. N-1 (each run counts once).")
    ap.add_argument("--executor", choices=EXECUTORS, default="auto", help=EXECUTOR_DESCRIPTION)
    ap.add_argument("--workers", "--jobs", dest="workers", type=int, default=None,
                    help="Suite runs at once (default: CPU count // --threads, at least 1).")
    ap.add_argument("--skip-overhead", action="store_true", help="Skip figure (1).")
    ap.add_argument("--out", type=Path, default=None, help="Write every suite row as JSON here.")
    args = ap.parse_args()
    planners = args.planners or (["mppi", "ilqg"] if args.quick else list(PLANNERS))
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, threads={args.threads}, "
          f"load average {load[0]:.1f} (cores shared with other jobs), mujoco {mujoco.__version__}", flush=True)
    headline: dict = {}
    if not args.skip_overhead:
        overhead = planner_overhead(args.threads, reps=10 if args.quick else 20)
        print(f"(1) planner vs raw rollout (mppi): {overhead}", flush=True)
        headline |= {"planner_vs_raw_rollout": overhead["ratio"],
                     "planner_vs_raw_rollout_dedicated_estimate": overhead["ratio_dedicated_estimate"],
                     "planner_ms_outside_rollout": overhead["ms_outside_rollout"]}
    rt = {}
    for p in planners:
        rt[p] = realtime(args.threads, seconds=1.5 if args.quick else 5.0, replan_every=args.replan_every, method=p)
        print(f"(2) real-time factor, {p}, replanning every {args.replan_every * 10} ms: {rt[p]}", flush=True)
    print("(3) instruction suites:", flush=True)
    entries = load_suite(args.sets, args.only or (QUICK_IDS if args.quick else None))
    workers = args.workers or max(1, (os.cpu_count() or 1) // args.threads)
    print(f"    {len(entries)} instructions; executor {resolve_executor(args.executor)}, {workers} at once, "
          f"{args.threads} rollout threads each", flush=True)
    rows = run_suite(args.threads, entries, planners, args.replan_every, args.seeds, args.executor, workers)
    summary = summarize(rows)
    for p, s in summary.items():
        sets = "; ".join(f"{name} {v['ok']}/{v['n']} = {v['share']}" for name, v in s["sets"].items())
        print(f"    {p}: {sets} (suite real-time factor {s['realtime_factor']}, {s['ms_per_plan']} ms per plan)", flush=True)
    if args.out:
        args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows}, indent=1))
    load_end = os.getloadavg()
    print(json.dumps(headline | {
        "realtime_factor": {p: v["realtime_factor"] for p, v in rt.items()},
        "realtime_factor_dedicated_cores_estimate": {p: v["dedicated_cores_estimate"] for p, v in rt.items()},
        "ms_per_plan": {p: v["ms_per_plan"] for p, v in rt.items()},
        "suite_share": {p: {name: v["share"] for name, v in s["sets"].items()} for p, s in summary.items()},
        "suite_ok": {p: {name: f"{v['ok']}/{v['n']}" for name, v in s["sets"].items()} for p, s in summary.items()},
        "suite_seeds": args.seeds, "threads": args.threads, "executor": resolve_executor(args.executor), "workers": workers,
        "load_avg_1m": round(load[0], 2),
        "load_avg_1m_end": round(load_end[0], 2), "quick": args.quick,
    }))


if __name__ == "__main__":
    main()
