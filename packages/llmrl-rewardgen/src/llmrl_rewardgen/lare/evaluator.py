"""Latent-factor functions at training speed.

``Sandbox.run`` executes one program per call, so a sandboxed function cannot stay
loaded in a worker between calls through that interface. What costs time is the
call (a fork into fresh namespaces, ~5-30 ms), not loading a few lines of code, so
llmrl amortises it instead: the factors of a transition depend only on (s, a) and
never change, so they are computed once per transition, for a whole episode (or a
whole replay chunk) per sandbox call. The decoder, which does change, runs
in-process on the stored factors. See docs/llmrl-rewardgen.md for the numbers.
"""

from __future__ import annotations

import base64
import io
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np

from llmrl_core import LlmrlError, Sandbox
from llmrl_rewardgen.codegen import harness, parse_verdict
from llmrl_rewardgen.lare.validation import npy_bytes

log = logging.getLogger(__name__)


class LatentFunctionError(LlmrlError):
    """The latent function failed, hung or became too slow at training time."""


class LatentFunction(ABC):
    """Maps a batch of observations (B, obs_dim) and actions (B, act_dim) to factors (B, K)."""

    n_factors: int

    @abstractmethod
    def __call__(self, observations: np.ndarray, actions: np.ndarray) -> np.ndarray: ...

    def close(self) -> None:
        """Release resources."""


class TrustedLatentFunction(LatentFunction):
    """In-process factors from TRUSTED code only: llmrl's hand-written examples and raw state (RRD).

    Never wrap LLM-written code in this class: use :class:`SandboxedLatentFunction`.
    """

    def __init__(self, fn: Callable[[np.ndarray, np.ndarray], list[np.ndarray]], n_factors: int, name: str = "trusted"):
        self.fn, self.n_factors, self.name = fn, n_factors, name

    def __call__(self, observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        obs = np.asarray(observations, dtype=np.float64)
        act = np.asarray(actions, dtype=np.float64)
        out = self.fn(obs, act)
        return np.concatenate([np.asarray(f, dtype=np.float64).reshape(len(obs), -1) for f in out], axis=1).astype(
            np.float32
        )


class StateActionFactors(TrustedLatentFunction):
    """The raw state and action as factors: RRD's input, the baseline LaRe is compared with."""

    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__(lambda o, a: [o, a], obs_dim + act_dim, name="state-action")


_EVAL = """
import numpy as _np, base64 as _b64, io as _io
_ns = _load_candidate(CANDIDATE)
_fn = _ns["evaluation_func"]
_obs = _np.load("observations.npy").astype(_np.float64)
_act = _np.load("actions.npy").astype(_np.float64)
try:
    _out = _fn(_obs, _act)
    _f = _np.concatenate([_np.asarray(x, dtype=_np.float64).reshape(len(_obs), -1) for x in _out], axis=1)
    if KEEP is not None:
        _f = _f[:, KEEP]
except BaseException as exc:
    _verdict(False, error="evaluation_func raised: " + _short_tb(exc))
if _f.shape != (len(_obs), N_FACTORS):
    _verdict(False, error=f"evaluation_func returned factors of shape {_f.shape}, expected ({len(_obs)}, {N_FACTORS})")
_buf = _io.BytesIO()
_np.save(_buf, _np.nan_to_num(_f, nan=0.0, posinf=0.0, neginf=0.0).astype(_np.float32))
_verdict(True, nonfinite=int((~_np.isfinite(_f)).sum()), factors=_b64.b64encode(_buf.getvalue()).decode())
"""


class SandboxedLatentFunction(LatentFunction):
    """An LLM-written ``evaluation_func`` evaluated in the sandbox, whole batches per call.

    Batches larger than ``max_rows`` are split into chunks (the sandbox caps request
    and output sizes) and run through ``Sandbox.run_many``. Non-finite factors on
    states the validation batch did not cover are replaced by 0 and counted in
    ``nonfinite_count``. ``keep`` selects the factors validation kept (all when None).
    """

    def __init__(
        self,
        code: str,
        sandbox: Sandbox,
        n_factors: int,
        *,
        timeout_s: float = 20.0,
        memory_mb: int = 1024,
        max_request_bytes: int = 2 << 20,
        keep: list[int] | None = None,
    ):
        if keep is not None and len(keep) != n_factors:
            raise ValueError(f"keep lists {len(keep)} factors but n_factors is {n_factors}")
        self.code, self.sandbox, self.n_factors = code, sandbox, n_factors
        self.timeout_s, self.memory_mb, self.max_request_bytes = timeout_s, memory_mb, max_request_bytes
        self.calls = 0
        self.rows = 0
        self.seconds = 0.0
        self.nonfinite_count = 0
        keep_list = None if keep is None else [int(i) for i in keep]
        self._program_head = harness(code, f"N_FACTORS = {n_factors}\nKEEP = {keep_list!r}\n" + _EVAL).code

    def _rows_per_call(self, width: int) -> int:
        per_row = 4 * width + 4 * self.n_factors * 2  # float32 in, float32 out (base64 ~ x1.34)
        return max(1, self.max_request_bytes // per_row)

    def __call__(self, observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        obs = np.asarray(observations, dtype=np.float32)
        act = np.asarray(actions, dtype=np.float32)
        if obs.ndim != 2 or act.ndim != 2 or len(obs) != len(act):
            raise ValueError(f"expected (B, obs_dim) and (B, act_dim) arrays, got {obs.shape} and {act.shape}")
        if len(obs) == 0:
            return np.zeros((0, self.n_factors), np.float32)
        step = self._rows_per_call(obs.shape[1] + act.shape[1])
        chunks = [(obs[i : i + step], act[i : i + step]) for i in range(0, len(obs), step)]
        files = [{"observations.npy": npy_bytes(o), "actions.npy": npy_bytes(a)} for o, a in chunks]
        results = [self._run(f) for f in files]  # run_many takes no files: one call per chunk
        out = []
        for (o, _), result in zip(chunks, results, strict=True):
            out.append(self._decode(result, len(o)))
        self.calls += len(chunks)
        self.rows += len(obs)
        return np.concatenate(out, axis=0)

    def _run(self, files: dict[str, bytes]):
        result = self.sandbox.run(self._program_head, timeout_s=self.timeout_s, memory_mb=self.memory_mb, files=files)
        self.seconds += result.duration_s
        return result

    def _decode(self, result, rows: int) -> np.ndarray:
        if result.status == "timeout":
            raise LatentFunctionError(
                f"the latent function did not finish a batch of {rows} states within {self.timeout_s:g} s (the "
                "sandbox's limit): it became slow or hangs. Raise timeout_s if the batch is just large, or regenerate "
                "it (`llmrl lare generate --force`) or fall back to a worked example (`--latent example`)."
            )
        if result.status != "ok":
            raise LatentFunctionError(
                f"the latent function failed in the sandbox (status {result.status}): "
                f"{result.error_last_line or result.stdout[-300:]}. Regenerate it or use a worked example."
            )
        verdict = parse_verdict(result)
        if verdict is None or not verdict.get("ok"):
            reason = verdict.get("error") if verdict else (result.error_last_line or "no verdict printed")
            raise LatentFunctionError(f"the latent function failed on a batch of {rows} states: {reason}")
        self.nonfinite_count += int(verdict.get("nonfinite", 0))
        factors = np.load(io.BytesIO(base64.b64decode(verdict["factors"])), allow_pickle=False)
        return factors
