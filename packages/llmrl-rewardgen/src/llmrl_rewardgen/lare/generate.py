"""LaRe's generation: K candidates at T=1.0, a summarising turn, sandbox validation, repair, cache.

With ``grammar`` on (the default wherever the provider can constrain its decoding), every
reply is sampled inside :func:`~llmrl_rewardgen.lare.grammar.latent_function_grammar`, so even
a 135M model's factors parse and run; validation on real states still decides what is kept.
Every run returns a :class:`PipelineReport` with the stage counts (candidates parsed and
validated, repairs, factors kept), also when nothing survives.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from llmrl_core import LLMProvider, SamplingParams, Sandbox
from llmrl_core.models import cache_dir
from llmrl_rewardgen.codegen import (
    CodegenConfig,
    CodegenError,
    CodegenLoop,
    CodegenTranscript,
    ExtractionError,
    first_of,
    json_field,
    parsed,
    python_block,
)
from llmrl_rewardgen.grammar import require_grammar_support
from llmrl_rewardgen.lare import prompts
from llmrl_rewardgen.lare.evaluator import SandboxedLatentFunction
from llmrl_rewardgen.lare.grammar import latent_function_grammar
from llmrl_rewardgen.lare.tasks import TaskDescription, task_description
from llmrl_rewardgen.lare.validation import ValidationConfig, latent_function_program, sample_env_batch

log = logging.getLogger(__name__)

extract_latent_code = first_of(json_field("Functions"), python_block(require="evaluation_func"))
"""LaRe's answer is JSON {Understand, Analyze, Functions}; a fenced block with the function also counts."""


class GenerateConfig(BaseModel):
    """LaRe generation settings (defaults: the paper's, with the action layout sent)."""

    model_config = ConfigDict(extra="forbid")

    n_candidates: int = Field(5, ge=1, le=32, description="Candidate answers sampled in one call (K).")
    grammar: Literal["auto", "on", "off"] = Field(
        "auto", description=(
            "Grammar-constrained decoding of every reply (an evaluation_func in a small numpy grammar): auto = on "
            "when the provider can constrain its decoding (transformers), off otherwise (e.g. openai)."
        ),
    )
    max_factors: int = Field(6, ge=1, le=16, description="With the grammar: most factors a reply may define.")
    candidate_temperature: float = Field(1.0, ge=0, description="Temperature of the candidates.")
    summary_temperature: float = Field(0.3, ge=0, description="Temperature of the summarising turn and repairs.")
    max_tokens: int = Field(1024, ge=16, description="Token budget per reply.")
    repair_budget: int = Field(5, ge=0, le=20, description="Repair rounds after the summarised answer.")
    seed: int = Field(0, description="Sampling seed and the seed of the validation batch.")
    timeout_s: float = Field(30.0, gt=0, description="Wall-clock limit of one validation program.")
    memory_mb: int = Field(1024, ge=128)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)


@dataclass
class GeneratedLatentFunction:
    """An accepted latent function with everything that produced it (this is what the cache stores)."""

    env_id: str
    provider: str
    model: str
    seed: int
    code: str
    n_factors: int
    verdict: dict[str, Any]
    source: Literal["llm", "worked-example"] = "llm"
    candidates: list[dict[str, Any]] = field(default_factory=list)
    transcript: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)
    grammar: bool = False
    kept: list[int] | None = None  # the returned factors validation kept (None: all)
    report: dict[str, Any] = field(default_factory=dict)

    def load(self, sandbox: Sandbox, **kwargs: Any) -> SandboxedLatentFunction:
        """The function, ready to evaluate whole batches in ``sandbox`` (only the factors validation kept)."""
        return SandboxedLatentFunction(self.code, sandbox, self.n_factors, keep=self.kept, **kwargs)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=1))
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, path: Path) -> GeneratedLatentFunction:
        return cls(**json.loads(Path(path).read_text()))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "default"


def cache_path(env_id: str, provider: str, model: str, seed: int, root: Path | None = None, *,
               grammar: bool = False) -> Path:
    """Where the accepted function of (env, provider, model, seed, grammar on/off) is cached."""
    base = Path(root) if root is not None else cache_dir() / "lare"
    return base / _slug(env_id) / f"{_slug(provider)}__{_slug(model)}__seed{seed}{'__grammar' if grammar else ''}.json"


def find_cached(env_id: str, provider: str, model: str, seed: int, root: Path | None = None) -> Path | None:
    """The newest cached function of (env, provider, model, seed), generated with or without the grammar."""
    paths = [cache_path(env_id, provider, model, seed, root, grammar=g) for g in (True, False)]
    found = [p for p in paths if p.is_file()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def use_grammar(provider: LLMProvider, cfg: GenerateConfig) -> bool:
    """Resolve ``cfg.grammar`` for ``provider``; "on" with a provider that cannot constrain decoding is an error."""
    if cfg.grammar == "on":
        require_grammar_support(provider, "LaRe generation (grammar='on')")
    return cfg.grammar == "on" or (cfg.grammar == "auto" and provider.supports_grammar)


@dataclass
class PipelineReport:
    """Stage counts of one generation run: what the K candidates and the summarised answer came to."""

    env_id: str
    grammar: bool
    candidates: list[dict[str, Any]] = field(default_factory=list)  # per candidate: parsed, validated, kept, error
    rounds: list[dict[str, Any]] = field(default_factory=list)  # per summary/repair round: parsed, validated, error
    accepted: bool = False
    factors_kept: int | None = None
    factors_returned: int | None = None
    dropped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def counts(self) -> dict[str, Any]:
        """The headline numbers: candidates parsed / validated, repairs used, factors kept."""
        return {
            "candidates": len(self.candidates),
            "candidates_parsed": sum(c["parsed"] for c in self.candidates),
            "candidates_validated": sum(c["validated"] for c in self.candidates),
            "summary_parsed_first": bool(self.rounds and self.rounds[0]["parsed"]),
            "summary_validated_first": bool(self.rounds and self.rounds[0]["validated"]),
            "repairs": max(0, len(self.rounds) - 1), "accepted": self.accepted,
            "factors_kept": self.factors_kept, "factors_returned": self.factors_returned,
        }


def _stage(code: str | None, verdict: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
    """Parsed (code extracted and valid Python) / validated (accepted on real states) for one reply."""
    ok = error is None and verdict is not None
    return {"parsed": parsed(code, verdict), "validated": ok, "kept": verdict.get("n_factors") if ok else None,
            "returned": verdict.get("returned") if ok else None, "error": error}


def _sample_candidates(provider: LLMProvider, task: TaskDescription, cfg: GenerateConfig,
                       grammar: str | None) -> list[dict[str, Any]]:
    messages = prompts.candidate_messages(task)
    params = SamplingParams(
        n=cfg.n_candidates, temperature=cfg.candidate_temperature, max_tokens=cfg.max_tokens, seed=cfg.seed,
        grammar=grammar,
    )
    gens = provider.generate([messages], params)
    out = []
    for i, g in enumerate(gens):
        log.info("LaRe candidate %d/%d (%s):\n%s", i + 1, len(gens), g.finish_reason, g.text)
        out.append({"messages": messages, "response": g.text, "finish_reason": g.finish_reason})
    return out


def _check_candidates(loop: CodegenLoop, candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate each candidate on its own, in the sandbox (the stage counts; LaRe itself only merges them)."""
    stages = []
    for c in candidates:
        try:
            code = extract_latent_code(c["response"])
        except ExtractionError as exc:
            stages.append(_stage(None, None, str(exc)))
            continue
        _, verdict, error = loop.validate(code)
        stages.append(_stage(code, verdict, error))
    return stages


def generate_latent_function(
    env_id: str,
    provider: LLMProvider,
    sandbox: Sandbox,
    *,
    provider_name: str,
    model_name: str,
    config: GenerateConfig | None = None,
    task: TaskDescription | None = None,
    cache_root: Path | None = None,
    use_cache: bool = True,
) -> GeneratedLatentFunction:
    """Generate, validate (in ``sandbox``) and cache a latent function for ``env_id``.

    Raises :class:`~llmrl_rewardgen.codegen.CodegenError` with every round's error (and the
    run's :class:`PipelineReport` as ``.report``) when nothing survives validation.
    """
    cfg = config or GenerateConfig()
    task = task or task_description(env_id)
    grammar_on = use_grammar(provider, cfg)
    path = cache_path(env_id, provider_name, model_name, cfg.seed, cache_root, grammar=grammar_on)
    batch = sample_env_batch(env_id, cfg.validation.batch_size, seed=cfg.seed)
    constant = np.flatnonzero(batch.observations.std(0) <= cfg.validation.min_factor_std).tolist()
    grammar = latent_function_grammar(task, max_factors=cfg.max_factors, constant_columns=constant) if grammar_on else None

    loop = CodegenLoop(
        provider, sandbox, extract=extract_latent_code, repair_message=prompts.repair_message,
        build_program=lambda code: latent_function_program(code, batch, cfg.validation),
        config=CodegenConfig(
            repair_budget=cfg.repair_budget, temperature=cfg.summary_temperature, max_tokens=cfg.max_tokens,
            seed=cfg.seed, timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb,
        ),
        name=f"LaRe[{env_id}]", grammar=grammar,
    )
    if use_cache and path.is_file():
        cached = GeneratedLatentFunction.read(path)
        _, verdict, error = loop.validate(cached.code)  # re-check: the cache is a file anyone may edit
        if error is None and verdict is not None and verdict.get("kept", cached.kept) == cached.kept:
            log.info("LaRe: using the cached latent function %s", path)
            return cached
        log.warning("LaRe: the cached function %s no longer validates (%s); generating a new one", path, error)

    start = time.monotonic()
    report = PipelineReport(env_id=env_id, grammar=grammar_on)
    candidates = _sample_candidates(provider, task, cfg, grammar)
    report.candidates = _check_candidates(loop, candidates)
    messages = prompts.summary_messages(task, [c["response"] for c in candidates])
    try:
        transcript = loop.run(messages)
    except CodegenError as exc:
        _finish_report(report, exc.transcript, start)
        error = CodegenError(
            f"{exc}\nFallbacks: use the hand-written worked example (`llmrl lare train --latent example`, or "
            "llmrl_rewardgen.lare.worked_example(env_id)), or state-based RRD (`--baseline rrd-state`); or try a "
            "stronger model (--provider openai --model ...).",
            exc.transcript,
        )
        error.report = report
        raise error from None
    _finish_report(report, transcript, start)
    accepted = transcript.accepted
    assert accepted is not None and accepted.verdict is not None
    verdict = accepted.verdict
    result = GeneratedLatentFunction(
        env_id=env_id, provider=provider_name, model=model_name, seed=cfg.seed, code=accepted.code or "",
        n_factors=int(verdict["n_factors"]), verdict=verdict, candidates=candidates,
        transcript=transcript.to_dict(), grammar=grammar_on, kept=verdict.get("kept"), report=asdict(report),
    )
    if use_cache:
        result.save(path)
        log.info("LaRe: cached the accepted latent function at %s", path)
    return result


def _finish_report(report: PipelineReport, transcript: CodegenTranscript, start: float) -> None:
    report.rounds = [_stage(r.code, r.verdict, r.error) for r in transcript.rounds]
    report.accepted = transcript.ok
    if transcript.ok and transcript.accepted is not None and transcript.accepted.verdict is not None:
        verdict = transcript.accepted.verdict
        report.factors_kept = int(verdict["n_factors"])
        report.factors_returned = int(verdict.get("returned", verdict["n_factors"]))
        report.dropped = dict(verdict.get("dropped", {}))
    report.seconds = round(time.monotonic() - start, 1)
