"""Checking a latent function inside the sandbox on a batch of real states and actions.

LaRe's public code calls the function once on two copies of one reset state. That
misses factors that are constant, NaN on some states, or coupled across the batch;
llmrl checks a batch of states visited by a random policy instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from llmrl_rewardgen.codegen import SandboxProgram, harness


class ValidationConfig(BaseModel):
    """Limits a latent function must respect on the validation batch."""

    model_config = ConfigDict(extra="forbid")

    batch_size: int = Field(256, ge=4, description="States/actions in the validation batch.")
    max_seconds_per_batch: float = Field(
        1.0, gt=0, description="Slowest accepted evaluation of the whole validation batch (seconds)."
    )
    min_factor_std: float = Field(1e-8, ge=0, description="A factor whose std over the batch is below this is constant.")
    max_factors: int = Field(32, ge=1, description="Most factors accepted.")
    drop_bad_factors: bool = Field(
        True, description=(
            "Drop factors that are constant or non-finite on the validation batch and keep the rest (the function "
            "is rejected only when no factor is left); False rejects the whole function for one bad factor."
        ),
    )


@dataclass(frozen=True)
class StateBatch:
    """Real observations and actions from an environment, float32."""

    observations: np.ndarray
    actions: np.ndarray


def sample_env_batch(env_id: str, n: int = 256, seed: int = 0, *, env=None) -> StateBatch:
    """``n`` (observation, action) pairs visited by a uniformly random policy (resets on episode end)."""
    from llmrl_core import make_env

    own = env is None
    env = make_env(env_id) if own else env
    try:
        env.action_space.seed(seed)
        obs, _ = env.reset(seed=seed)
        observations, actions = [], []
        for _ in range(n):
            act = env.action_space.sample()
            observations.append(np.asarray(obs, dtype=np.float32))
            actions.append(np.asarray(act, dtype=np.float32))
            obs, _, term, trunc, _ = env.step(act)
            if term or trunc:
                obs, _ = env.reset()
        return StateBatch(np.stack(observations), np.stack(actions))
    finally:
        if own:
            env.close()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


_CHECKS = """
import ast as _ast
import time as _time
import numpy as _np
try:
    _ast.parse(CANDIDATE)
except SyntaxError as exc:
    _verdict(False, stage="parse", error="the code does not parse: " + _short_tb(exc))
_obs = _np.load("observations.npy").astype(_np.float64)
_act = _np.load("actions.npy").astype(_np.float64)
_B = _obs.shape[0]
_ns = _load_candidate(CANDIDATE)
_fn = _ns.get("evaluation_func")
if not callable(_fn):
    _verdict(False, error="the code defines no function `evaluation_func(observation, action)`")

def _call(o, a):
    try:
        return _fn(o.copy(), a.copy())
    except BaseException as exc:
        _verdict(False, error=f"evaluation_func raised on a batch of {len(o)} states: " + _short_tb(exc))

def _factors(out, n):
    if not isinstance(out, (list, tuple)):
        _verdict(False, error=f"evaluation_func must return a list of factor arrays, got {type(out).__name__}")
    if len(out) == 0:
        _verdict(False, error="evaluation_func returned an empty list: return at least one factor")
    if len(out) > MAX_FACTORS:
        _verdict(False, error=f"evaluation_func returned {len(out)} factors; use at most {MAX_FACTORS}")
    arrays = []
    for i, f in enumerate(out):
        try:
            arr = _np.asarray(f, dtype=_np.float64)
        except Exception as exc:
            _verdict(False, error=f"factor {i} is not numeric ({type(f).__name__}): {exc}")
        if arr.shape != (n, 1):
            _verdict(False, error=(
                f"factor {i} has shape {arr.shape}, expected ({n}, 1) for a batch of {n} states. "
                "Keep the batch dimension: use keepdims=True or .reshape(-1, 1)."))
        arrays.append(arr)
    return arrays

_t0 = _time.perf_counter()
_out = _call(_obs, _act)
_dt = _time.perf_counter() - _t0
_arrays = _factors(_out, _B)
_dropped = {}
for _i, _a in enumerate(_arrays):
    _bad = int((~_np.isfinite(_a)).sum())
    if _bad:
        _dropped[_i] = (
            f"factor {_i} is NaN or infinite on {_bad} of {_B} real states (a division by zero, a log or sqrt "
            "of a negative number?). Guard the computation, e.g. with np.maximum(x, 1e-8).")
    elif float(_a.std()) <= MIN_STD:
        _dropped[_i] = (
            f"factor {_i} is constant ({float(_a[0, 0]):.6g}) over {_B} different real states and actions: it "
            "carries no information. Compute it from the observation and action values.")
    if _dropped and not DROP_BAD:
        _verdict(False, stage="factors", error=_dropped[min(_dropped)])
_kept = [i for i in range(len(_arrays)) if i not in _dropped]
if not _kept:
    _verdict(False, stage="factors", error="no factor is usable: " + " / ".join(_dropped.values()))
if _dt > MAX_SECONDS:
    _verdict(False, error=(
        f"evaluation_func took {_dt:.3f} s on a batch of {_B}; the limit is {MAX_SECONDS} s. "
        "Vectorise it with numpy; no Python loops over the batch."))
_half = _B // 2
_part = _factors(_call(_obs[:_half], _act[:_half]), _half)
for _i in _kept:
    _a, _p = _arrays[_i], _part[_i]
    if not _np.allclose(_a[:_half], _p, rtol=1e-5, atol=1e-6):
        _verdict(False, error=(
            f"factor {_i} of a row changes when the other rows of the batch change (a statistic over the batch, "
            "e.g. normalising by the batch mean?). Compute each row from its own observation and action only."))
_verdict(True, n_factors=len(_kept), kept=_kept, returned=len(_arrays), dropped={str(k): v for k, v in _dropped.items()},
         seconds_per_batch=_dt, batch=_B, factor_mean=[float(_arrays[i].mean()) for i in _kept],
         factor_std=[float(_arrays[i].std()) for i in _kept])
"""


def latent_function_program(code: str, batch: StateBatch, config: ValidationConfig | None = None) -> SandboxProgram:
    """The validation program for one candidate: the candidate, the checks and the batch as .npy files."""
    cfg = config or ValidationConfig()
    constants = (
        f"MAX_FACTORS = {cfg.max_factors}\nMIN_STD = {cfg.min_factor_std!r}\nMAX_SECONDS = {cfg.max_seconds_per_batch!r}\n"
        f"DROP_BAD = {cfg.drop_bad_factors!r}\n"
    )
    files = {"observations.npy": npy_bytes(batch.observations), "actions.npy": npy_bytes(batch.actions)}
    return harness(code, constants + _CHECKS, files)
