"""One reusable machine: an LLM writes code, a sandbox validates it, errors go back for repair.

LaRe (latent reward functions) and L2R (reward-API calls) both need the same loop,
so it knows nothing about either: the caller supplies the prompt, how to pull code
out of a reply (``extract``), and how to turn candidate code into a validation
program (``build_program``) whose harness checks the code *inside the sandbox* and
prints a JSON verdict as the last line of stdout::

    {"ok": true, ...anything the caller wants back...}
    {"ok": false, "error": "factor 2 has shape (8,), expected (8, 1)"}

LLM-written code never runs in this process: every check goes through the
``Sandbox`` the caller obtained with ``llmrl_core.get_sandbox``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core import (
    ChatMessage,
    ExecResult,
    LLMProvider,
    LlmrlError,
    SamplingParams,
    Sandbox,
    SandboxUnavailableError,
)

log = logging.getLogger(__name__)


class ExtractionError(ValueError):
    """The reply holds no usable code; the message is fed back to the LLM."""


class CodegenError(LlmrlError):
    """No candidate survived validation within the repair budget. ``transcript`` has every round."""

    def __init__(self, message: str, transcript: CodegenTranscript):
        self.transcript = transcript
        super().__init__(message)


# --- extracting code from a reply ---------------------------------------------------------

Extractor = Callable[[str], str]

_FENCE = re.compile(r"```([^\n`]*)\n(.*?)(?:```|\Z)", re.S)  # any fenced block, consumed whole
_PYTHON_LANGS = {"", "python", "py", "python3"}


def python_block(require: str | None = None) -> Extractor:
    """Extract the last fenced code block (```python ... ```) containing ``require``.

    An unterminated final fence is accepted (a reply cut by ``max_tokens``): the
    sandbox then reports the syntax error, which is more useful feedback than "no code".
    """

    def extract(text: str) -> str:
        blocks = [m.group(2).strip() for m in _FENCE.finditer(text) if m.group(1).strip().lower() in _PYTHON_LANGS]
        blocks = [b for b in blocks if b and (require is None or require in b)]
        if not blocks:
            need = f" containing `{require}`" if require else ""
            raise ExtractionError(
                f"the reply contains no fenced Python code block{need}. "
                "Reply with the complete code inside ```python ... ```."
            )
        return blocks[-1]

    return extract


def _json_objects(text: str) -> list[dict]:
    """Every top-level JSON object that parses, in order of appearance."""
    decoder = json.JSONDecoder()
    found, i = [], text.find("{")
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict):
            found.append(obj)
        i = text.find("{", end)
    return found


def json_field(name: str, *, strip_fences: bool = True) -> Extractor:
    """Extract the string field ``name`` of a JSON object in the reply (e.g. ``{"Functions": "..."}``)."""

    def extract(text: str) -> str:
        for obj in reversed(_json_objects(text)):
            value = obj.get(name)
            if isinstance(value, str) and value.strip():
                value = value.strip()
                if strip_fences and value.startswith("```"):
                    value = python_block()(value)
                return value
        raise ExtractionError(
            f'the reply contains no JSON object with a non-empty string field "{name}". '
            f'Answer with a JSON object whose "{name}" field holds the code.'
        )

    return extract


def first_of(*extractors: Extractor) -> Extractor:
    """Try each extractor in turn; if all fail, the error names every reason."""

    def extract(text: str) -> str:
        reasons = []
        for ex in extractors:
            try:
                return ex(text)
            except ExtractionError as exc:
                reasons.append(str(exc))
        raise ExtractionError(" / ".join(reasons))

    return extract


# --- validation programs --------------------------------------------------------------------


@dataclass(frozen=True)
class SandboxProgram:
    """A program for the sandbox: the candidate code wrapped in a checking harness, plus input files."""

    code: str
    files: dict[str, bytes] = field(default_factory=dict)


ProgramBuilder = Callable[[str], SandboxProgram]

HARNESS_PRELUDE = '''
import json as _json, sys as _sys, traceback as _tb
def _verdict(ok, **fields):
    _sys.stdout.flush()
    print("\\n" + _json.dumps({"ok": bool(ok), **fields}, default=str), flush=True)
    _sys.exit(0)
def _load_candidate(source, filename="<candidate>"):
    """Compile and run the candidate's module body; a failure becomes a verdict, not a crash."""
    namespace = {"__name__": "candidate"}
    try:
        exec(compile(source, filename, "exec"), namespace)
    except BaseException as exc:  # anything the candidate raises is its error
        _verdict(False, error="the code does not load: " + _short_tb(exc, filename))
    return namespace
def _short_tb(exc, filename="<candidate>"):
    """The exception with the candidate's own frames only (line numbers refer to its code)."""
    frames = [f for f in _tb.extract_tb(exc.__traceback__) if f.filename == filename]
    where = "".join(f" (line {f.lineno}: {(f.line or '').strip()})" for f in frames[-2:])
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno}: {(exc.text or '').strip()})"
    return f"{type(exc).__name__}: {exc}{where}"
'''


def harness(candidate_code: str, checks: str, files: dict[str, bytes] | None = None) -> SandboxProgram:
    """Build a program: the prelude, the candidate as a string, then ``checks``.

    ``checks`` is harness code that runs in the sandbox; it gets ``CANDIDATE`` (the
    source) and the helpers ``_load_candidate``, ``_verdict`` and ``_short_tb``, and
    must end by calling ``_verdict(ok, ...)``.
    """
    body = f"{HARNESS_PRELUDE}\nCANDIDATE = {candidate_code!r}\n{checks}\n"
    return SandboxProgram(code=body, files=dict(files or {}))


# --- the loop -------------------------------------------------------------------------------


class CodegenConfig(BaseModel):
    """How the loop samples, validates and repairs."""

    model_config = ConfigDict(extra="forbid")

    repair_budget: int = Field(5, ge=0, le=50, description="Repair rounds after the first attempt.")
    temperature: float = Field(0.3, ge=0, description="Sampling temperature of each round.")
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(1024, ge=1, description="Token budget of each reply.")
    seed: int | None = Field(0, description="Sampling seed of round 0 (round r uses seed + r).")
    timeout_s: float = Field(30.0, gt=0, description="Wall-clock limit of one validation program.")
    memory_mb: int = Field(1024, ge=64, description="Memory limit of one validation program.")
    keep_history: bool = Field(
        False, description="Repair with the whole conversation (True) or only the prompt + the last attempt (False)."
    )
    max_error_chars: int = Field(1500, ge=100, description="Errors are cut to this length before going back.")


def parsed(code: str | None, verdict: dict[str, Any] | None) -> bool:
    """Did a reply hold code that is valid Python? (Extracted, and no verdict with ``stage == "parse"``.)"""
    return code is not None and not (verdict is not None and verdict.get("stage") == "parse")


@dataclass
class CodegenRound:
    """Everything about one attempt: what was asked, answered, run and concluded."""

    index: int
    messages: list[dict[str, str]]
    response: str
    finish_reason: str | None = None
    code: str | None = None
    status: str | None = None
    stdout: str | None = None
    stderr: str | None = None
    duration_s: float | None = None
    verdict: dict[str, Any] | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.verdict is not None and bool(self.verdict.get("ok"))

    @property
    def parsed(self) -> bool:
        return parsed(self.code, self.verdict)


@dataclass
class CodegenTranscript:
    """All rounds of one run; the last round is the accepted one when ``ok``."""

    rounds: list[CodegenRound] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rounds) and self.rounds[-1].ok

    @property
    def accepted(self) -> CodegenRound | None:
        return self.rounds[-1] if self.ok else None

    @property
    def code(self) -> str:
        if not self.ok:
            raise CodegenError("no accepted code in this transcript", self)
        return self.rounds[-1].code or ""

    def errors(self) -> list[str]:
        return [r.error or "" for r in self.rounds if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "rounds": [asdict(r) for r in self.rounds]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodegenTranscript:
        return cls(rounds=[CodegenRound(**r) for r in data.get("rounds", [])])


def default_repair_message(error: str) -> str:
    return (
        "Your previous answer failed validation with this error:\n"
        f"{error}\n"
        "Fix the problem and reply again with the complete corrected code, in the same format as before."
    )


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit // 2] + "\n...\n" + text[-limit // 2 :]


def parse_verdict(result: ExecResult) -> dict[str, Any] | None:
    """The JSON object on the last non-empty stdout line, or None."""
    for line in reversed(result.stdout.splitlines()):
        if line.strip():
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                return None
            return obj if isinstance(obj, dict) and "ok" in obj else None
    return None


def judge(result: ExecResult, *, timeout_s: float, memory_mb: int) -> tuple[dict[str, Any] | None, str | None]:
    """Turn one sandbox result into ``(verdict, error)``; ``error`` is None only for an accepted candidate."""
    if result.status == "sandbox_error":
        raise SandboxUnavailableError(  # the sandbox failed, not the candidate: repairing the code cannot help
            f"the sandbox failed (not the candidate code): {result.error_last_line or result.stderr[-500:]}. "
            "Check the sandbox with `llmrl doctor`."
        )
    if result.status == "timeout":
        return None, (
            f"the validation program did not finish within {timeout_s:g} s: the code hangs, loops forever "
            "or is far too slow. Use vectorised numpy and no loops that wait."
        )
    if result.status == "oom":
        return None, f"the code exceeded the memory limit of {memory_mb} MB. Use less memory."
    if result.status == "output_limit":
        return None, "the code printed too much output. Do not print anything."
    verdict = parse_verdict(result)
    if verdict is None:
        tail = result.error_last_line or result.stdout[-300:].strip() or "no output"
        return None, f"the validation program ended without a verdict (status {result.status}): {tail}"
    if not verdict.get("ok"):
        return verdict, str(verdict.get("error") or "rejected without a reason")
    return verdict, None


class CodegenLoop:
    """LLM -> code -> sandbox validation -> repair, up to ``config.repair_budget`` repairs.

    ``run(messages)`` returns a :class:`CodegenTranscript` whose last round is
    accepted, or raises :class:`CodegenError` carrying every round's error. A reply
    without code is an error fed back like any other.

    ``check(verdict)``, optional, runs in this process on an accepted verdict's JSON
    (never on code) and returns an error to feed back, or None to accept: for checks
    that need libraries the sandbox lacks, such as a pydantic schema.

    ``grammar``, optional, is sent with every sample (``SamplingParams.grammar``): the
    provider then constrains each reply to it, or refuses when it cannot.
    """

    def __init__(
        self,
        provider: LLMProvider,
        sandbox: Sandbox,
        *,
        extract: Extractor,
        build_program: ProgramBuilder,
        config: CodegenConfig | None = None,
        repair_message: Callable[[str], str] = default_repair_message,
        name: str = "codegen",
        check: Callable[[dict[str, Any]], str | None] | None = None,
        grammar: str | None = None,
    ):
        self.provider, self.sandbox, self.grammar = provider, sandbox, grammar
        self.extract, self.build_program = extract, build_program
        self.check = check
        self.config = config or CodegenConfig()
        self.repair_message = repair_message
        self.name = name

    def validate(self, code: str) -> tuple[ExecResult, dict[str, Any] | None, str | None]:
        """Run ``code``'s validation program in the sandbox: ``(result, verdict, error)``."""
        program = self.build_program(code)
        cfg = self.config
        result = self.sandbox.run(program.code, timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb, files=program.files)
        verdict, error = judge(result, timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb)
        if error is None and self.check is not None:
            error = self.check(verdict)  # trusted, in-process check of the verdict's *data* (e.g. a pydantic schema)
        return result, verdict, error

    def _sample(self, messages: list[ChatMessage], index: int) -> tuple[str, str]:
        cfg = self.config
        params = SamplingParams(
            n=1, temperature=cfg.temperature, top_p=cfg.top_p, max_tokens=cfg.max_tokens,
            seed=None if cfg.seed is None else cfg.seed + index, grammar=self.grammar,
        )
        gen = self.provider.generate([list(messages)], params)[0]
        return gen.text, gen.finish_reason

    def run(self, messages: list[ChatMessage]) -> CodegenTranscript:
        cfg = self.config
        transcript = CodegenTranscript()
        base = [dict(m) for m in messages]
        conversation = list(base)
        total = cfg.repair_budget + 1
        for index in range(total):
            start = time.monotonic()
            response, finish = self._sample(conversation, index)
            rnd = CodegenRound(index=index, messages=[dict(m) for m in conversation], response=response, finish_reason=finish)
            transcript.rounds.append(rnd)
            log.info("%s round %d/%d: asked\n%s", self.name, index + 1, total, conversation[-1]["content"])
            log.info("%s round %d/%d: the LLM replied (%s)\n%s", self.name, index + 1, total, finish, response)
            try:
                rnd.code = self.extract(response)
            except ExtractionError as exc:
                rnd.error = str(exc)
            if rnd.code is not None:
                log.info("%s round %d/%d: code\n%s", self.name, index + 1, total, rnd.code)
                result, rnd.verdict, error = self.validate(rnd.code)
                rnd.status, rnd.stdout, rnd.stderr = result.status, result.stdout[-4000:], result.stderr[-4000:]
                rnd.duration_s = result.duration_s
                rnd.error = None if error is None else _cut(error, cfg.max_error_chars)
                log.info(
                    "%s round %d/%d: sandbox status=%s in %.2fs, verdict=%s",
                    self.name, index + 1, total, result.status, result.duration_s, json.dumps(rnd.verdict)[:500],
                )
            if rnd.ok:
                log.info("%s round %d/%d: accepted (%.1fs)", self.name, index + 1, total, time.monotonic() - start)
                return transcript
            log.info("%s round %d/%d: rejected: %s", self.name, index + 1, total, rnd.error)
            feedback = {"role": "user", "content": self.repair_message(rnd.error or "")}
            reply = {"role": "assistant", "content": response}
            conversation = [*conversation, reply, feedback] if cfg.keep_history else [*base, reply, feedback]
        lines = "\n".join(f"  round {r.index + 1}: {r.error}" for r in transcript.rounds)
        raise CodegenError(
            f"{self.name}: no candidate survived validation in {total} round(s) "
            f"(1 attempt + {cfg.repair_budget} repairs). Each round's error:\n{lines}",
            transcript,
        )
