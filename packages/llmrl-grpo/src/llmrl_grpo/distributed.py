"""What the ranks of a multi-process run share beyond TRL's own collectives (torchrun, accelerate launch).

Rank 0 alone writes the run directory and runs the held-out evaluations. The other ranks wait for
its result at :func:`share_from_main`: a barrier on torch.distributed's key-value store with a
timeout of its own, since an evaluation can outlast the collectives' timeout, and waiting on the
store holds no NCCL/gloo operation open. A step's metrics that the recipe computes from its
rank's batch are gathered over the ranks with :func:`gather_lists` first. With one process every
function here is a no-op.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from typing import Any

from llmrl_core.runs import world

_shares = itertools.count()


def _dist() -> Any:
    """torch.distributed, initialised (by TRL's trainer through accelerate, or by the caller)."""
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        raise RuntimeError("a multi-process run needs torch.distributed initialised (TRL's trainer does it); "
                           "build the trainer before the ranks wait on each other")
    return dist


def _store() -> Any:
    return _dist().distributed_c10d._get_default_store()  # the store the process group was set up with


def share_from_main(key: str, value: Any, timeout_s: float) -> Any:
    """Rank 0's ``value`` (JSON-able) on every rank: rank 0 publishes it, the others wait up to ``timeout_s``."""
    rank, size = world()
    if size == 1:
        return value
    store, full = _store(), f"llmrl/{next(_shares)}/{key}"  # every rank counts its calls alike: a fresh key each time
    if rank == 0:
        store.set(full, json.dumps(value))
        return value
    try:
        store.wait([full], timedelta(seconds=timeout_s))
    except RuntimeError as exc:
        raise TimeoutError(f"rank {rank} waited {timeout_s:g} s for rank 0's {key!r} (the held-out evaluation); "
                           "raise eval.wait_timeout_s if rank 0 needs longer") from exc
    return json.loads(store.get(full))


def _gathered(value: Any) -> list[Any]:
    """``value`` of every rank, in rank order (a collective)."""
    dist = _dist()
    values: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(values, value)
    return values


def gather_lists(lists: dict[str, list]) -> dict[str, list]:
    """Each list concatenated over the ranks, in rank order (a collective: every rank must call it)."""
    if world()[1] == 1:
        return lists
    per_rank = _gathered({name: list(values) for name, values in lists.items()})
    return {name: [v for rank in per_rank for v in rank[name]] for name in lists}


def sum_over_ranks(value: float) -> float:
    """``value`` summed over the ranks (a collective)."""
    if world()[1] == 1:
        return value
    return float(sum(_gathered(value)))
