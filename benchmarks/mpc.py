"""llmrl-mpc benchmark: planner overhead, real-time factor, and the instruction suite.

(1) planner_vs_raw_rollout: simulation steps/s inside SamplingPlanner.optimize (sampling,
    spline evaluation, rollout, numpy costs, update) / steps/s of a bare mujoco.rollout call
    over the same samples x horizon and thread count, interleaved in the same run. Target >= 0.9.
    Also from CPU time (load-robust): planner_vs_raw_rollout_dedicated_estimate.
(2) realtime_factor: the quadruped walking under the receding-horizon controller, 128 samples
    x 0.5 s horizon, simulated seconds / wall seconds. Target >= 1.0.
(3) suite: expert-written reward specs for quadruped and manipulator instructions
    (benchmarks/mpc_suite.json); the share whose metrics end within tolerance, per task.

Usage: python benchmarks/mpc.py [--quick] [--threads N] [--only ID ...]
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
from pathlib import Path

import mujoco
import numpy as np
from mujoco import rollout as mj_rollout

from llmrl_mpc import PlannerConfig, SamplingPlanner
from llmrl_mpc.runner import run_spec
from llmrl_mpc.task import get_task

SUITE = Path(__file__).with_name("mpc_suite.json")
QUICK_IDS = ["q_low", "q_face_left", "m_base_yaw", "m_reach_box"]
WALK = {"task": "quadruped", "calls": [{"fn": "set_torso_targets", "target_torso_velocity_xy": [0.3, 0.0]},
                                       {"fn": "execute_plan", "plan_duration": 5.0}]}


def control_config(threads: int, seed: int = 0) -> PlannerConfig:
    """The controller used for (2) and (3): MPPI, 128 samples x 0.5 s, planning model at 0.02 s."""
    return PlannerConfig(method="mppi", samples=128, horizon=0.5, noise=0.3, timestep=0.02, nthread=threads, seed=seed)


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
    task = get_task("quadruped")
    model = task.model
    data = mujoco.MjData(model)
    task.home(data)
    task.apply_call(task.validate(WALK).calls[0])
    state = np.empty(task.layout.nstate)
    mujoco.mj_getState(model, data, state, mujoco.mjtState.mjSTATE_FULLPHYSICS)
    cfg = PlannerConfig(method="mppi", samples=128, horizon=0.5, noise=0.3, nthread=threads)  # model timestep 0.01
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


def realtime(threads: int, seconds: float, replan_every: int) -> dict:
    """Wall-clock real-time factor, plus what the CPU time spent implies for ``threads`` dedicated cores.

    The machine's cores are shared, so wall time includes waiting for other jobs. The calling thread's
    CPU time is the serial part (plant physics, sampling, costs); the rest of the process's CPU time is
    the rollout workers', which run in parallel: dedicated wall ~= serial + workers / threads.
    """
    task = get_task("quadruped")
    cpu0, main0 = time.process_time(), time.thread_time()
    res = run_spec(task, WALK, control_config(threads), replan_every=replan_every, seconds=seconds)
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


def run_suite(threads: int, ids: list[str] | None, replan_every: int, seeds: int) -> dict:
    entries = json.loads(SUITE.read_text())
    if ids:
        entries = [e for e in entries if e["id"] in ids]
    tasks = {}
    rows = []
    for e in entries:
        task = tasks.setdefault(e["task"], get_task(e["task"]))
        for seed in range(seeds):
            t = time.perf_counter()
            res = run_spec(task, e["spec"], control_config(threads, seed), replan_every=replan_every, seed=seed)
            checks = [(c["metric"], res.metrics[c["metric"]], c["target"], c["tol"]) for c in e["checks"]]
            ok = all(within(*c) for c in checks)
            rows.append({"id": e["id"], "seed": seed, "task": e["task"], "ok": ok, "wall_s": round(time.perf_counter() - t, 1),
                         "reached": {m: round(v, 3) for m, v, _, _ in checks},
                         "wanted": {m: f"{tg}±{tol}" for m, _, tg, tol in checks}})
            print(f"  {e['id']:<16} seed {seed} {'OK ' if ok else 'MISS'} {rows[-1]['reached']} wanted {rows[-1]['wanted']} "
                  f"({rows[-1]['wall_s']} s)", flush=True)
    share = {t: round(sum(r["ok"] for r in rows if r["task"] == t) / max(1, sum(r["task"] == t for r in rows)), 3)
             for t in sorted({r["task"] for r in rows})}
    return {"n": len(rows), "instructions": len(entries), "seeds": seeds, "share": round(sum(r["ok"] for r in rows) / max(1, len(rows)), 3), "share_per_task": share,
            "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="A < 1 min subset.")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--replan-every", type=int, default=5, help="Physics steps (0.01 s) between plans.")
    ap.add_argument("--only", nargs="*", help="Suite entries to run (ids from mpc_suite.json).")
    ap.add_argument("--seeds", type=int, default=1, help="Planner seeds per suite entry (each run counts once).")
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, threads={args.threads}, "
          f"load average {load[0]:.1f} (cores shared with other jobs), mujoco {mujoco.__version__}", flush=True)
    overhead = planner_overhead(args.threads, reps=10 if args.quick else 20)
    print(f"(1) planner vs raw rollout: {overhead}", flush=True)
    rt = realtime(args.threads, seconds=1.5 if args.quick else 5.0, replan_every=args.replan_every)
    print(f"(2) real-time factor (128 samples x 0.5 s, replan every {args.replan_every * 10} ms): {rt}", flush=True)
    rt_slow = realtime(args.threads, seconds=1.5 if args.quick else 5.0, replan_every=2 * args.replan_every)
    print(f"    the same, replanning every {args.replan_every * 20} ms: {rt_slow}", flush=True)
    print("(3) instruction suite:", flush=True)
    suite = run_suite(args.threads, args.only or (QUICK_IDS if args.quick else None), args.replan_every, args.seeds)
    print(f"    share within tolerance: {suite['share']} of {suite['n']} runs ({suite['instructions']} instructions x "
          f"{suite['seeds']} seeds); per task {suite['share_per_task']}", flush=True)
    print(json.dumps({
        "planner_vs_raw_rollout": overhead["ratio"], "planner_vs_raw_rollout_dedicated_estimate": overhead["ratio_dedicated_estimate"],
        "planner_ms_outside_rollout": overhead["ms_outside_rollout"], "realtime_factor": rt["realtime_factor"],
        "ms_per_plan": rt["ms_per_plan"], "realtime_factor_half_replan_rate": rt_slow["realtime_factor"],
        "realtime_factor_dedicated_cores_estimate": rt["dedicated_cores_estimate"], "suite_share": suite["share"], "suite_n": suite["n"], "suite_seeds": suite["seeds"],
        "suite_share_per_task": suite["share_per_task"], "threads": args.threads, "load_avg_1m": round(load[0], 2),
        "quick": args.quick,
    }))


if __name__ == "__main__":
    main()
