"""The stop-execute-continue loop (ToRL), for a batch of prompts.

A response is sampled with the stop string ```` ```output ```` while it has tool calls left
(``max_tool_calls``, C); when it hits the stop, the last complete ```` ```python ```` block of
its text runs in the sandbox (calls that come due together go through one ``run_many``), the
observation is appended as ``"\\n{obs}\\n```\\n"``, and it goes on. After C calls it is
sampled without the stop.

Three ways to sample:

* **token-exact, one session** (a :class:`~llmrl_grpo.sampler.ModelSampler`: training on the ``hf``
  backend): one :class:`~llmrl_grpo.sampler.DecodeSession` per batch keeps the KV cache across tool calls.
  A row that stops pauses while the others decode; its code runs during the next step; its
  output's ids are fed into the same cache and it samples on, so a call costs its output's
  tokens, not a second pass over the context, and rows that did not call a tool never wait.
  The sampler's own token ids are kept (``token_ids + stop_token_ids``, mask 1, the marker
  included) and only the appended tool output is tokenised (mask 0): decoded model text is
  never re-tokenised.
* **token-exact, in turns** (any other :class:`~llmrl_grpo.generation.TokenSampler`: the vLLM
  backends): each turn sends every running row's prompt + completion ids with the stop marker;
  the rows that stopped have their code run together (one ``run_many``), their output's ids
  appended (mask 0), and go on in the next turn. vLLM's prefix cache makes the re-sent context
  cheap. With a ``lockstep`` sampler (vLLM server mode: TRL pairs completions with ranks by
  position) every rank makes the same calls with all its rows, finished ones included, until no
  rank has a row going. The ids, logprobs and ``env_mask`` mean what they mean in a session.
* **text** (any :class:`~llmrl_core.LLMProvider`, used by ``llmrl toolrl solve``): rounds; each
  round's prompt is the prompt text plus everything so far. Providers do not take token-id
  prompts, so this mode re-tokenises; it is for inference, not training. With ``overlap_chunk``
  set, a round is sampled in chunks and each chunk's executions start in the background while
  the next chunk is sampled.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from llmrl_core import ExecResult, Generation, LLMProvider, SamplingParams, Sandbox, SandboxUnavailableError
from llmrl_toolrl.config import ToolConfig
from llmrl_toolrl.observation import STOP, extract_last_python_block, format_observation, output_block_tail

log = logging.getLogger(__name__)

NO_CODE = "No complete ```python block to run before ```output."


@dataclass(frozen=True)
class ToolCall:
    """One execution: its code (None: no complete block), status, observation and sandbox time."""

    code: str | None
    status: str  # an ExecStatus, or "no_code"
    observation: str
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Trajectory:
    """A response with its tool calls. ``segments`` interleave ("model", text) and ("tool", text)."""

    prompt: str
    prefix: str = ""
    prompt_ids: list[int] = field(default_factory=list)
    completion_ids: list[int] = field(default_factory=list)
    env_mask: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    segments: list[tuple[Literal["model", "tool"], str]] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str = "length"
    done: bool = False

    @property
    def text(self) -> str:
        """The response: model text and tool output blocks, interleaved (the assistant prefix not included)."""
        return "".join(text for _, text in self.segments)

    @property
    def num_calls(self) -> int:
        return len(self.calls)

    @property
    def exec_failed(self) -> bool:
        """Whether any of its executions failed (never overwritten by a later successful call)."""
        return any(not c.ok for c in self.calls)


@dataclass
class RolloutTimings:
    """Wall time of a rollout: sampling, waiting on the sandbox, and in all."""

    generate_s: float = 0.0
    sandbox_wait_s: float = 0.0
    sandbox_exec_s: float = 0.0
    total_s: float = 0.0
    executions: int = 0


def _mode(sampler: Any) -> Literal["session", "turns", "text"]:
    if hasattr(sampler, "session") and hasattr(sampler, "encode"):
        return "session"
    if hasattr(sampler, "segments") and hasattr(sampler, "encode"):
        return "turns"
    if isinstance(sampler, LLMProvider):
        return "text"
    raise TypeError(f"sampler must be an LLMProvider, a ModelSampler or a TokenSampler, got {type(sampler).__name__}")


def _take(t: Trajectory, gen: Generation, token: bool) -> bool:
    """Append one segment of model output to ``t``; True when it stopped at the marker for a tool call."""
    stopped = gen.stop_reason == STOP
    if token:
        ids = list(gen.token_ids or []) + list(gen.metadata.get("stop_token_ids", []))
        lps = list(gen.logprobs or []) + list(gen.metadata.get("stop_logprobs", []))
        t.completion_ids += ids
        t.logprobs += [float(x) for x in lps] + [0.0] * (len(ids) - len(lps))
        t.env_mask += [1] * len(ids)
    t.segments.append(("model", gen.text + (STOP if stopped else "")))
    if not stopped:
        t.done, t.finish_reason = True, gen.finish_reason
    return stopped


def _observe(t: Trajectory, call: ToolCall, sampler: Any, token: bool, limit: int | None) -> list[int]:
    """Append a call's output block to ``t``; in token mode its ids (mask 0), cut at the response's limit."""
    tail = output_block_tail(call.observation)
    t.calls.append(call)
    t.segments.append(("tool", tail))
    if not token:
        return []
    ids = sampler.encode(tail)
    if limit is not None and len(t.completion_ids) + len(ids) >= limit:
        ids = ids[: max(0, limit - len(t.completion_ids))]
        t.done, t.finish_reason = True, "length"
    t.completion_ids += ids
    t.logprobs += [0.0] * len(ids)
    t.env_mask += [0] * len(ids)
    return ids


def _to_call(code: str, result: ExecResult) -> ToolCall:
    return ToolCall(code, result.status, format_observation(result), result.duration_s)


def rollout(
    sampler: Any,
    prompts: list[str],
    sandbox: Sandbox,
    cfg: ToolConfig,
    params: SamplingParams,
    *,
    max_completion_tokens: int | None = None,
    timings: RolloutTimings | None = None,
    overlap_chunk: int | None = None,
) -> list[Trajectory]:
    """One response per prompt (repeat a prompt for several). ``prompts`` are rendered (see ``ToolConfig.render``).

    ``max_completion_tokens`` (token mode) caps model + tool tokens per response (None: ``params.max_tokens``
    per segment); ``params.max_tokens`` caps each round in text mode. ``overlap_chunk`` is for text mode (token
    mode always overlaps). Raises :class:`SandboxUnavailableError` when more than ``cfg.max_sandbox_error_rate``
    of a batch's executions fail inside the sandbox.
    """
    if max_completion_tokens is not None and max_completion_tokens < 1:
        raise ValueError(f"max_completion_tokens must be >= 1 (model + tool tokens per response), got {max_completion_tokens}")
    mode = _mode(sampler)
    timings = timings if timings is not None else RolloutTimings()
    start = time.perf_counter()
    prefix = [p[len(p) - len(cfg.assistant_prefix):] if cfg.assistant_prefix else "" for p in prompts]
    trajs = [Trajectory(prompt=p, prefix=x) for p, x in zip(prompts, prefix, strict=True)]
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="toolrl-sandbox")
    try:
        for t in trajs if mode != "text" else []:
            t.prompt_ids = sampler.encode(t.prompt, special=True)
        if mode == "session":
            with sampler.eval_mode():
                for lo in range(0, len(trajs), sampler.batch_size):
                    _token_batch(sampler, trajs[lo:lo + sampler.batch_size], lo, sandbox, cfg, params,
                                 max_completion_tokens, timings, pool)
        elif mode == "turns":
            _token_turns(sampler, trajs, sandbox, cfg, params, max_completion_tokens, timings)
        else:
            _text_rounds(sampler, trajs, sandbox, cfg, params, timings, pool, overlap_chunk or cfg.overlap_chunk)
    finally:
        pool.shutdown(wait=True)
        timings.total_s += time.perf_counter() - start
    return trajs


def _token_batch(sampler: Any, part: list[Trajectory], first_row: int, sandbox: Sandbox, cfg: ToolConfig,
                 params: SamplingParams, limit: int | None, timings: RolloutTimings, pool: ThreadPoolExecutor) -> None:
    """The loop over one :class:`~llmrl_grpo.sampler.DecodeSession`: rows pause at the marker and resume in place.

    A row that stops at step s has its code submitted at once (with the other rows that stopped at s,
    through ``run_many``); the sandbox runs while step s+1 is computed for the other rows; then its
    output is fed to the same KV cache and the row samples on. Resuming at a fixed step (not "whenever
    the sandbox answers") keeps a seeded rollout reproducible.
    """

    def stops(t: Trajectory) -> tuple[str, ...]:
        return (*params.stop, STOP) if t.num_calls < cfg.max_tool_calls else tuple(params.stop)

    def left(t: Trajectory) -> int:
        return limit - len(t.completion_ids) if limit is not None else params.max_tokens

    def go_on(i: int, ids: list[int]) -> None:
        t = part[i]
        if t.done or left(t) < 1:
            t.done, t.finish_reason = True, "length"
            session.finish(i)
        else:
            session.resume(i, ids, stops(t), left(t))

    session = sampler.session([t.prompt_ids for t in part], params, stops=[stops(t) for t in part],
                              max_tokens=[left(t) for t in part], first_row=first_row)
    waiting: list[tuple[Future, list[tuple[int, str]]]] = []
    while session.running or waiting:
        t0 = time.perf_counter()
        events = session.step()
        timings.generate_s += time.perf_counter() - t0
        t0 = time.perf_counter()
        answered = [(fut.result(), rows) for fut, rows in waiting]  # they ran while the step above was computed
        timings.sandbox_wait_s += time.perf_counter() - t0
        waiting = []
        for results, rows in answered:
            calls = [_to_call(code, r) for (_, code), r in zip(rows, results, strict=True)]
            _check_sandbox(calls, cfg)
            for (i, _), call in zip(rows, calls, strict=True):
                timings.sandbox_exec_s += call.duration_s
                timings.executions += 1
                go_on(i, _observe(part[i], call, sampler, True, limit))
        to_run: list[tuple[int, str]] = []
        for i, gen in events:
            t = part[i]
            if not _take(t, gen, True):
                session.finish(i)
                continue
            code = extract_last_python_block(t.prefix + t.text)
            if code is None:
                go_on(i, _observe(t, ToolCall(None, "no_code", NO_CODE), sampler, True, limit))
            else:
                to_run.append((i, code))
        if to_run:
            fut = pool.submit(sandbox.run_many, [c for _, c in to_run], timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb)
            waiting.append((fut, to_run))


def _token_turns(sampler: Any, trajs: list[Trajectory], sandbox: Sandbox, cfg: ToolConfig, params: SamplingParams,
                 limit: int | None, timings: RolloutTimings) -> None:
    """The loop on a :class:`~llmrl_grpo.generation.TokenSampler` (vLLM): one ``segments`` call per turn.

    In turn r every running row has made r calls, so one stop list serves the whole call. A lockstep
    sampler gets every row each turn (finished ones too, their results dropped) for as long as any
    rank has a row going, so all ranks make the same calls with as many rows.
    """

    def left(t: Trajectory) -> int:
        return limit - len(t.completion_ids) if limit is not None else params.max_tokens

    turn = 0
    while sampler.any_running(any(not t.done for t in trajs)):
        rows = list(range(len(trajs))) if sampler.lockstep else [i for i, t in enumerate(trajs) if not t.done]
        stop = (*params.stop, STOP) if turn < cfg.max_tool_calls else tuple(params.stop)
        t0 = time.perf_counter()
        gens = sampler.segments([trajs[i].prompt_ids + trajs[i].completion_ids for i in rows], stop=stop,
                                max_tokens=[1 if trajs[i].done else left(trajs[i]) for i in rows])
        timings.generate_s += time.perf_counter() - t0
        to_run: list[tuple[int, str]] = []
        for i, gen in zip(rows, gens, strict=True):
            t = trajs[i]
            if t.done or not _take(t, gen, True):  # a finished row sent to keep the ranks in step, or it ended now
                continue
            code = extract_last_python_block(t.prefix + t.text)
            if code is None:
                _observe(t, ToolCall(None, "no_code", NO_CODE), sampler, True, limit)
            else:
                to_run.append((i, code))
        if to_run:  # the turn's code blocks run together
            t0 = time.perf_counter()
            results = sandbox.run_many([c for _, c in to_run], timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb)
            timings.sandbox_wait_s += time.perf_counter() - t0
            calls = [_to_call(code, r) for (_, code), r in zip(to_run, results, strict=True)]
            _check_sandbox(calls, cfg)
            for (i, _), call in zip(to_run, calls, strict=True):
                timings.sandbox_exec_s += call.duration_s
                timings.executions += 1
                _observe(trajs[i], call, sampler, True, limit)
        for t in trajs:
            if not t.done and left(t) < 1:
                t.done, t.finish_reason = True, "length"
        turn += 1


def _text_rounds(sampler: LLMProvider, trajs: list[Trajectory], sandbox: Sandbox, cfg: ToolConfig,
                 params: SamplingParams, timings: RolloutTimings, pool: ThreadPoolExecutor, overlap_chunk: int | None) -> None:
    """Text mode: each round re-prompts the provider with everything so far (a provider keeps no state)."""
    rnd = 0
    while active := [t for t in trajs if not t.done]:
        calls_left = active[0].num_calls < cfg.max_tool_calls  # every active response made rnd calls
        round_params = SamplingParams(
            temperature=params.temperature, top_p=params.top_p, seed=params.seed if rnd == 0 else None,
            max_tokens=params.max_tokens, stop=(*params.stop, STOP) if calls_left else params.stop,
        )
        chunk = overlap_chunk or len(active)
        pending: list[tuple[Trajectory, str, Future]] = []
        for lo in range(0, len(active), chunk):
            part = active[lo:lo + chunk]
            t0 = time.perf_counter()
            gens = sampler.generate([t.prompt + t.text for t in part], round_params)
            timings.generate_s += time.perf_counter() - t0
            to_run: list[tuple[Trajectory, str]] = []
            for t, gen in zip(part, gens, strict=True):
                if _take(t, gen, False):
                    code = extract_last_python_block(t.prefix + t.text)
                    if code is None:
                        _observe(t, ToolCall(None, "no_code", NO_CODE), sampler, False, None)
                    else:
                        to_run.append((t, code))
            if to_run:
                fut = pool.submit(sandbox.run_many, [c for _, c in to_run], timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb)
                pending.extend((t, c, fut) for t, c in to_run)
        t0 = time.perf_counter()
        results: dict[int, list[ExecResult]] = {}
        for fut in {id(f): f for _, _, f in pending}.values():
            results[id(fut)] = fut.result()
        timings.sandbox_wait_s += time.perf_counter() - t0
        cursor: dict[int, int] = {}
        calls: list[tuple[Trajectory, ToolCall]] = []
        for t, code, fut in pending:
            k = cursor.get(id(fut), 0)
            cursor[id(fut)] = k + 1
            calls.append((t, _to_call(code, results[id(fut)][k])))
        _check_sandbox([c for _, c in calls], cfg)
        for t, call in calls:
            timings.sandbox_exec_s += call.duration_s
            timings.executions += 1
            _observe(t, call, sampler, False, None)
        rnd += 1


def _check_sandbox(calls: list[ToolCall], cfg: ToolConfig) -> None:
    broken = [c for c in calls if c.status == "sandbox_error"]
    if broken and len(broken) / len(calls) > cfg.max_sandbox_error_rate:
        raise SandboxUnavailableError(
            f"{len(broken)} of {len(calls)} executions failed inside the {cfg.sandbox!r} sandbox itself "
            f"(last error: {broken[-1].observation!r}); stopping instead of scoring those answers wrong. "
            f"Check the sandbox (`llmrl doctor`, or run `llmrl toolrl solve` with --sandbox {cfg.sandbox}), "
            "pick another with tools.sandbox, or raise tools.max_sandbox_error_rate to tolerate transient failures."
        )


def open_sandbox(cfg: ToolConfig) -> Sandbox:
    """The configured sandbox, checked with one tiny execution: a broken sandbox fails here, clearly."""
    from llmrl_core import get_sandbox

    sandbox = get_sandbox(cfg.sandbox, **cfg.sandbox_config)
    try:
        probe = sandbox.run("print(6 * 7)", timeout_s=max(cfg.timeout_s, 30.0), memory_mb=cfg.memory_mb)
    except Exception as exc:
        sandbox.close()
        raise SandboxUnavailableError(f"the {cfg.sandbox!r} sandbox could not run a probe ('print(6 * 7)'): {exc}") from exc
    if probe.status != "ok" or probe.stdout.strip() != "42":
        sandbox.close()
        raise SandboxUnavailableError(
            f"the {cfg.sandbox!r} sandbox is unavailable: a probe ('print(6 * 7)') gave status {probe.status!r}, "
            f"stdout {probe.stdout[-200:]!r}, stderr {probe.stderr[-300:]!r}. Fix the sandbox (`llmrl doctor`) or "
            "choose another with --sandbox / tools.sandbox."
        )
    return sandbox
