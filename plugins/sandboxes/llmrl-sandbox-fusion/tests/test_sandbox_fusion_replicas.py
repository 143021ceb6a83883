"""The fusion client over two real `llmrl sandbox serve` replicas on 127.0.0.1: spread, caps, and fail-over
when one replica is killed while 200 executions are in flight."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from llmrl_core import get_sandbox
from llmrl_core.testing.hostile import descendants
from llmrl_sandbox_fusion.spawn import start_server, stop_server

# No preloaded modules: a replica is up in ~3 s instead of ~15 s on a busy 2-core machine.
REPLICA = ("workers=2", "preload=[]", "light_preload=null")


@pytest.fixture
def replicas():
    started = [start_server(*REPLICA), start_server(*REPLICA)]
    yield started
    for proc, _ in started:
        stop_server(proc)


def program(i: int) -> str:
    return f"import time\ntime.sleep(0.02)\nprint({i} * {i})"


def test_killing_a_replica_mid_batch_loses_and_doubles_nothing(replicas) -> None:
    (victim, victim_url), (_, survivor_url) = replicas
    n = 200
    with get_sandbox("fusion", endpoints=[victim_url, survivor_url], max_concurrency=8,
                     max_concurrency_per_endpoint=4, retry_backoff_s=0.05) as sb:
        assert sb.ping()
        results: list = []
        batch = threading.Thread(target=lambda: results.extend(sb.run_many([program(i) for i in range(n)])))
        batch.start()
        victim_ep, survivor_ep = sb.pool.endpoints
        deadline = time.monotonic() + 120
        while victim_ep.answered < 30 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert victim_ep.answered >= 30, "the first replica never got going"
        in_flight_at_kill = victim_ep.in_flight
        workers = descendants(victim.pid)
        assert workers, "the replica's sandbox workers should be its child processes"
        victim.kill()  # SIGKILL: the replica and its sandbox workers die at once, as when a machine goes away
        batch.join(timeout=180)
        assert not batch.is_alive()

        assert len(results) == n  # one result per execution, in input order
        assert [r.status for r in results] == ["ok"] * n, [r.stderr for r in results if not r.ok][:3]
        assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(n)]
        assert not sb.failures
        # Every execution was answered exactly once; what the dead replica had in flight was re-sent.
        assert victim_ep.answered + survivor_ep.answered == n
        assert in_flight_at_kill >= 1 and sb.resent >= 1
        assert victim_ep.answered < n // 2 < survivor_ep.answered
        assert victim.wait(10) is not None
        wait_gone = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < wait_gone:
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers), "the dead replica's workers live on"

        # With the only live replica gone as well, an execution ends in one clear sandbox_error.
        stop_server(replicas[1][0])
        result = sb.run("print(1)")
        assert result.status == "sandbox_error" and "no endpoint answered after 3 sends" in result.stderr
        assert victim_url in result.stderr and survivor_url in result.stderr


def test_spread_and_per_endpoint_cap(replicas) -> None:
    urls = [url for _, url in replicas]
    with get_sandbox("fusion", endpoints=urls, max_concurrency=8, max_concurrency_per_endpoint=2) as sb:
        peak = [0, 0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                for k, ep in enumerate(sb.pool.endpoints):
                    peak[k] = max(peak[k], ep.in_flight)
                time.sleep(0.002)

        watcher = threading.Thread(target=watch)
        watcher.start()
        results = sb.run_many([program(i) for i in range(40)])
        done.set()
        watcher.join()
        assert [r.stdout for r in results] == [f"{i * i}\n" for i in range(40)]
        assert all(ep.answered >= 10 for ep in sb.pool.endpoints), [ep.answered for ep in sb.pool.endpoints]
        assert max(peak) <= 2 and min(peak) >= 1
