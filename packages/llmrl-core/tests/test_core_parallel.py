"""parallel_map on real worker processes and a real local Ray cluster (one per test session)."""

from __future__ import annotations

import os
import pickle
import sys

import pytest

from llmrl_core.errors import ComponentUnavailableError, ConfigError
from llmrl_core.parallel import ParallelMapError, parallel_map, resolve_executor
from llmrl_core.testing.probes import slow_square, worker_pid

# Later items finish first, so results in input order are not an accident of timing.
ITEMS = [(x, 0.02 * (8 - x)) for x in range(8)]
EXPECTED = [x * x for x in range(8)]


def test_local_runs_in_other_processes_and_keeps_input_order():
    seen = []
    assert parallel_map(slow_square, ITEMS, backend="local", max_workers=2,
                        on_result=lambda i, r: seen.append((i, r))) == EXPECTED
    assert sorted(seen) == list(enumerate(EXPECTED))
    pids = parallel_map(worker_pid, range(4), backend="local", max_workers=2)
    assert os.getpid() not in pids


def test_local_failure_names_the_item_and_the_original_error():
    items = [*ITEMS[:3], (-7, 0.0), *ITEMS[3:]]
    with pytest.raises(ParallelMapError) as info:
        parallel_map(slow_square, items, backend="local", max_workers=2)
    err = info.value
    assert (err.index, err.item, err.cause_type) == (3, (-7, 0.0), "ValueError")
    assert "item 3 ((-7, 0.0))" in str(err) and "ValueError: negative input -7" in str(err)
    copy = pickle.loads(pickle.dumps(err))  # intact across processes (a map inside another map's worker)
    assert (str(copy), copy.index, copy.item, copy.cause_type) == (str(err), 3, (-7, 0.0), "ValueError")


def test_local_refuses_a_function_a_worker_cannot_import():
    with pytest.raises(ConfigError, match="module level"):
        parallel_map(lambda x: x, [1, 2], backend="local")


def test_ray_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    with pytest.raises(ComponentUnavailableError, match=r"pip install 'llmrl-core\[ray\]'"):
        parallel_map(slow_square, ITEMS, backend="ray")


def test_auto_is_local_without_a_cluster_and_ray_with_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.delitem(sys.modules, "ray", raising=False)
    assert resolve_executor("auto") == "local"
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    assert resolve_executor("auto") == "ray"
    assert resolve_executor("local") == "local"


def test_ray_equals_local_in_order(ray_cluster):
    local = parallel_map(slow_square, ITEMS, backend="local", max_workers=2)
    assert parallel_map(slow_square, ITEMS, backend="ray") == local == EXPECTED
    seen = []
    assert parallel_map(slow_square, ITEMS, backend="ray", max_workers=1, on_result=lambda i, r: seen.append(i)) == EXPECTED
    assert seen == list(range(8))  # one in flight at a time: finishes in input order
    assert resolve_executor("auto") == "ray"  # Ray is initialised in this process
    assert parallel_map(lambda item: item[0] + 1, ITEMS, backend="auto") == list(range(1, 9))  # closures work on Ray


def test_ray_failure_names_the_item_and_the_original_error(ray_cluster):
    items = [*ITEMS[:5], (-3, 0.0), *ITEMS[5:]]
    with pytest.raises(ParallelMapError) as info:
        parallel_map(slow_square, items, backend="ray")
    err = info.value
    assert (err.index, err.item, err.cause_type) == (5, (-3, 0.0), "ValueError")
    assert "parallel_map (ray): item 5 ((-3, 0.0)) failed with ValueError" in str(err)
    assert "negative input -3" in str(err)
