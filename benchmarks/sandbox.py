"""Sandbox latency and throughput: the isolated ``local`` sandbox against a plain cold subprocess.

Measures, in the same run:
  * latency (median, p99) of ``print(1)`` and of a numpy snippet, run isolated through
    ``get_sandbox("local")``, and unisolated with ``subprocess.run([python, "-c", code])``;
  * throughput of ``run_many`` over N snippets, against the same N cold subprocesses run
    with as many threads as the sandbox has workers.

Usage: python benchmarks/sandbox.py [--quick] [--workers N]
The last line printed is one JSON object with the headline figures (ratios > 1: sandbox faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

PRINT = "print(1)"
NUMPY = "import numpy as np\nx = np.arange(1000.0)\nprint(float(np.sqrt(x @ x)))"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def tree_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + sys, including reaped children) of these processes and everything below them."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = fields
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, stack, seen = 0, list(pids), set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in stats:
            continue
        seen.add(pid)
        total += sum(int(x) for x in stats[pid][11:15])  # utime, stime, cutime, cstime
        stack.extend(children.get(pid, []))
    return total / os.sysconf("SC_CLK_TCK")


def host_cpu_s() -> float:
    t = os.times()
    return t.user + t.system


def cold(code: str) -> None:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == 0, proc.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (< 1 minute)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    n_lat = 40 if args.quick else 200
    n_ref = 15 if args.quick else 60
    n_many = 300 if args.quick else 1000

    from llmrl_core import get_sandbox

    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs ({_cpu_model()}), load average {load[0]:.1f} "
          f"at start; python {platform.python_version()}; {args.workers} workers", flush=True)
    t0 = time.perf_counter()
    with get_sandbox("local", workers=args.workers) as sb:
        startup = time.perf_counter() - t0
        for code in (PRINT, NUMPY):  # warm-up, and the results must be right
            r = sb.run(code)
            assert r.ok, r
        rows = {}
        for label, code in (("print(1)", PRINT), ("numpy", NUMPY)):
            iso = timed(lambda c=code: _ok(sb.run(c)), n_lat)
            ref = timed(lambda c=code: cold(c), n_ref)
            rows[label] = {"isolated_median_ms": 1e3 * statistics.median(iso), "isolated_p99_ms": 1e3 * pct(iso, 0.99),
                           "subprocess_median_ms": 1e3 * statistics.median(ref),
                           "subprocess_p99_ms": 1e3 * pct(ref, 0.99)}
            rows[label]["speedup"] = rows[label]["subprocess_median_ms"] / rows[label]["isolated_median_ms"]
        codes = [f"print({i} * {i})" for i in range(n_many)]
        cpu0 = tree_cpu_s(sb.worker_pids) + host_cpu_s()
        t = time.perf_counter()
        results = sb.run_many(codes)
        many_s = time.perf_counter() - t
        cpu_per_exec_ms = 1e3 * (tree_cpu_s(sb.worker_pids) + host_cpu_s() - cpu0) / n_many
        assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(n_many)]
    n_ref_many = max(50, n_many // 5)
    c0 = os.times()
    t = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        list(pool.map(cold, codes[:n_ref_many]))
    ref_many_s = time.perf_counter() - t
    c1 = os.times()
    ref_cpu_ms = 1e3 * (c1.children_user + c1.children_system - c0.children_user - c0.children_system) / n_ref_many
    throughput, ref_throughput = n_many / many_s, n_ref_many / ref_many_s

    print(f"\nlatency over {n_lat} isolated / {n_ref} subprocess runs (ms)")
    print(f"{'snippet':<10}{'isolated median':>17}{'p99':>9}{'subprocess median':>19}{'p99':>9}{'speedup':>9}")
    for label, row in rows.items():
        print(f"{label:<10}{row['isolated_median_ms']:>17.2f}{row['isolated_p99_ms']:>9.2f}"
              f"{row['subprocess_median_ms']:>19.2f}{row['subprocess_p99_ms']:>9.2f}{row['speedup']:>8.1f}x")
    print(f"\nrun_many over {n_many} snippets: {throughput:.0f} exec/s; cold subprocesses with {args.workers} threads: "
          f"{ref_throughput:.0f} exec/s ({throughput / ref_throughput:.1f}x); sandbox start-up {startup:.2f} s; "
          f"load average at end {os.getloadavg()[0]:.1f}")
    print(f"CPU time per execution in run_many (host + workers + children, load-independent): {cpu_per_exec_ms:.2f} ms"
          f" -> at most {1e3 * (os.cpu_count() or 1) / cpu_per_exec_ms:.0f} exec/s on {os.cpu_count()} idle cores;"
          f" a cold subprocess costs {ref_cpu_ms:.2f} ms CPU ({ref_cpu_ms / cpu_per_exec_ms:.1f}x)")
    print(json.dumps({
        "print_isolated_median_ms": round(rows["print(1)"]["isolated_median_ms"], 2),
        "print_isolated_p99_ms": round(rows["print(1)"]["isolated_p99_ms"], 2),
        "print_speedup_vs_subprocess": round(rows["print(1)"]["speedup"], 2),
        "numpy_isolated_median_ms": round(rows["numpy"]["isolated_median_ms"], 2),
        "numpy_isolated_p99_ms": round(rows["numpy"]["isolated_p99_ms"], 2),
        "numpy_speedup_vs_subprocess": round(rows["numpy"]["speedup"], 2),
        "run_many_exec_per_s": round(throughput, 1),
        "run_many_ratio_vs_subprocess": round(throughput / ref_throughput, 2),
        "cpu_ms_per_exec": round(cpu_per_exec_ms, 2),
        "subprocess_cpu_ms_per_exec": round(ref_cpu_ms, 2),
        "cpu_ratio_vs_subprocess": round(ref_cpu_ms / cpu_per_exec_ms, 2),
        "workers": args.workers, "cpus": os.cpu_count(), "load_avg_start": round(load[0], 2), "quick": args.quick,
    }))


def _ok(result) -> None:
    assert result.ok, result


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


if __name__ == "__main__":
    main()
