"""Fan CPU-heavy work (seeds, suites, learning histories) out over processes or a Ray cluster.

``parallel_map(fn, items)`` is ``[fn(x) for x in items]`` run in parallel, results in input
order. ``local`` is a spawn-context process pool on this machine; ``ray`` runs one Ray task per
item, on the cluster at ``RAY_ADDRESS`` or on a local one; ``auto`` takes ray when a cluster is
there (``RAY_ADDRESS`` set, or Ray already initialised in this process), else local. Ray is the
optional extra ``llmrl-core[ray]`` and is imported only when it is used.

Callers that fan out take the executor as a config field or option named ``executor``
(``auto`` | ``local`` | ``ray``); :data:`EXECUTOR_DESCRIPTION` is the text to give it.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar, get_args

from llmrl_core.errors import ComponentUnavailableError, ConfigError, LlmrlError

log = logging.getLogger(__name__)

Executor = Literal["auto", "local", "ray"]
EXECUTORS: tuple[str, ...] = get_args(Executor)
EXECUTOR_DESCRIPTION = (
    "Where fanned-out work runs: local (a process pool on this machine), ray (the Ray cluster at "
    "$RAY_ADDRESS, else a local one; pip install 'llmrl-core[ray]'), auto (ray when RAY_ADDRESS is set or "
    "Ray is already initialised, else local)."
)
RAY_INSTALL = "pip install 'llmrl-core[ray]'"

T = TypeVar("T")
R = TypeVar("R")


class ParallelMapError(LlmrlError):
    """One item's call failed; names the item and the original exception (chained as ``__cause__``)."""

    def __init__(self, index: int, item: Any, backend: str, cause: BaseException, note: str = ""):
        self.index, self.item, self.backend = index, item, backend
        self.cause_type, self.cause_message = type(cause).__name__, str(cause)
        super().__init__(f"parallel_map ({backend}): item {index} ({_short_repr(item)}) failed with "
                         f"{self.cause_type}: {self.cause_message}{note}")

    def __reduce__(self) -> tuple:
        # Crosses process boundaries intact (a parallel_map inside a worker of another one).
        return _rebuild_error, (str(self), self.index, self.item, self.backend, self.cause_type, self.cause_message)


def _rebuild_error(message: str, index: int, item: Any, backend: str, cause_type: str,
                   cause_message: str) -> ParallelMapError:
    err = ParallelMapError.__new__(ParallelMapError)
    LlmrlError.__init__(err, message)
    err.index, err.item, err.backend, err.cause_type, err.cause_message = index, item, backend, cause_type, cause_message
    return err


def _short_repr(item: Any, limit: int = 80) -> str:
    text = repr(item)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parallel_map(fn: Callable[[T], R], items: Iterable[T], backend: Executor = "auto",
                 max_workers: int | None = None, on_result: Callable[[int, R], None] | None = None) -> list[R]:
    """``[fn(item) for item in items]`` in parallel; results in input order.

    ``fn`` and the items are pickled to the workers: with ``local`` ``fn`` must be importable by
    name (a module-level function or a ``functools.partial`` of one); Ray also takes closures.
    ``max_workers`` caps the calls running at once (local: default the CPU count; ray: default
    what the cluster schedules, and the size of a local cluster that this call starts).
    ``on_result(index, result)`` is called in this process as each item finishes (for progress).
    The first failure stops the map and raises :class:`ParallelMapError` naming the item.
    """
    items = list(items)
    if backend not in EXECUTORS:
        raise ConfigError(f"parallel_map: unknown backend {backend!r}; use one of {', '.join(EXECUTORS)}")
    if max_workers is not None and max_workers < 1:
        raise ConfigError(f"parallel_map: max_workers must be at least 1, got {max_workers}")
    if not items:
        return []
    chosen = resolve_executor(backend)
    log.debug("parallel_map: %d items on %s (max_workers=%s)", len(items), chosen, max_workers)
    report = on_result or (lambda _i, _r: None)
    if chosen == "ray":
        return _map_ray(fn, items, max_workers, report)
    return _map_local(fn, items, max_workers, report)


def resolve_executor(backend: Executor = "auto") -> Literal["local", "ray"]:
    """The backend ``auto`` stands for here: ray when a cluster is reachable, else local."""
    if backend != "auto":
        return backend  # type: ignore[return-value]
    if os.environ.get("RAY_ADDRESS"):
        return "ray"
    ray = sys.modules.get("ray")  # never import Ray just to ask: it is slow and optional
    return "ray" if ray is not None and ray.is_initialized() else "local"


def _map_local(fn: Callable[[T], R], items: list[T], max_workers: int | None,
               report: Callable[[int, R], None]) -> list[R]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    try:
        pickle.dumps(fn)
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        raise ConfigError(f"parallel_map (local): {fn!r} cannot be sent to a worker process ({exc}). Define it at "
                          "module level (or pass functools.partial of such a function), or use backend='ray'") from None
    workers = min(max_workers or os.cpu_count() or 1, len(items))
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        results: list[Any] = [None] * len(items)
        for future in as_completed(futures):
            i = futures[future]
            cause = future.exception()
            if cause is not None:
                note = (" (a worker process died; the item that killed it is one of those running at the time)"
                        if isinstance(cause, BrokenProcessPool) else "")
                raise ParallelMapError(i, items[i], "local", cause, note) from cause
            results[i] = future.result()
            report(i, results[i])
        return results
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _call(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def _map_ray(fn: Callable[[T], R], items: list[T], max_workers: int | None,
             report: Callable[[int, R], None]) -> list[R]:
    ray = _ray(max_workers)
    remote_call = ray.remote(_call)
    fn_ref = ray.put(fn)
    pending: dict[Any, int] = {}
    results: list[Any] = [None] * len(items)
    cap = max_workers or len(items)
    next_item = 0
    try:
        while next_item < len(items) or pending:
            while next_item < len(items) and len(pending) < cap:
                pending[remote_call.remote(fn_ref, items[next_item])] = next_item
                next_item += 1
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i = pending.pop(ref)
                try:
                    results[i] = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    cause = getattr(exc, "cause", None) or exc  # a RayTaskError carries the worker's exception
                    raise ParallelMapError(i, items[i], "ray", cause) from exc
                report(i, results[i])
    finally:
        for ref in pending:
            ray.cancel(ref, force=False)
    return results


def _ray(max_workers: int | None) -> Any:
    """Ray, initialised: joined to ``RAY_ADDRESS`` if set, else a local cluster sized to ``max_workers``."""
    address = os.environ.get("RAY_ADDRESS")
    if "ray" not in sys.modules and not address:
        # Under `uv run`, Ray would otherwise start every worker of a *local* cluster through `uv run` again
        # and ship the working directory to it: seconds per worker and a size limit, for nothing.
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    try:
        import ray
    except ImportError:
        raise ComponentUnavailableError(f"parallel_map(backend='ray') needs Ray, which is not installed: {RAY_INSTALL}"
                                        " (or use backend='local')") from None
    if ray.is_initialized():
        return ray
    try:
        if address:
            log.info("parallel_map: joining the Ray cluster at %s", address)
            ray.init(address=address)
        else:
            log.info("parallel_map: starting a local Ray cluster (%s CPUs)", max_workers or "all")
            ray.init(num_cpus=max_workers, include_dashboard=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at RAY_ADDRESS={address}" if address else "a local Ray cluster"
        raise ComponentUnavailableError(f"parallel_map could not start or join {where}: {exc}. Check the address "
                                        "(`ray status` on the head node), or use backend='local'") from exc
    return ray
