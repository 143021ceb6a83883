"""LaRe's generation: K candidates at T=1.0, a summarising turn, sandbox validation, repair, cache."""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from llmrl_core import LLMProvider, SamplingParams, Sandbox
from llmrl_core.models import cache_dir
from llmrl_rewardgen.codegen import CodegenConfig, CodegenError, CodegenLoop, first_of, json_field, python_block
from llmrl_rewardgen.lare import prompts
from llmrl_rewardgen.lare.evaluator import SandboxedLatentFunction
from llmrl_rewardgen.lare.tasks import TaskDescription, task_description
from llmrl_rewardgen.lare.validation import ValidationConfig, latent_function_program, sample_env_batch

log = logging.getLogger(__name__)

extract_latent_code = first_of(json_field("Functions"), python_block(require="evaluation_func"))
"""LaRe's answer is JSON {Understand, Analyze, Functions}; a fenced block with the function also counts."""


class GenerateConfig(BaseModel):
    """LaRe generation settings (defaults: the paper's, with the action layout sent)."""

    model_config = ConfigDict(extra="forbid")

    n_candidates: int = Field(5, ge=1, le=32, description="Candidate answers sampled in one call (K).")
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

    def load(self, sandbox: Sandbox, **kwargs: Any) -> SandboxedLatentFunction:
        """The function, ready to evaluate whole batches in ``sandbox``."""
        return SandboxedLatentFunction(self.code, sandbox, self.n_factors, **kwargs)

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


def cache_path(env_id: str, provider: str, model: str, seed: int, root: Path | None = None) -> Path:
    """Where the accepted function of (env, provider, model, seed) is cached."""
    base = Path(root) if root is not None else cache_dir() / "lare"
    return base / _slug(env_id) / f"{_slug(provider)}__{_slug(model)}__seed{seed}.json"


def _sample_candidates(provider: LLMProvider, task: TaskDescription, cfg: GenerateConfig) -> list[dict[str, Any]]:
    messages = prompts.candidate_messages(task)
    params = SamplingParams(
        n=cfg.n_candidates, temperature=cfg.candidate_temperature, max_tokens=cfg.max_tokens, seed=cfg.seed
    )
    gens = provider.generate([messages], params)
    out = []
    for i, g in enumerate(gens):
        log.info("LaRe candidate %d/%d (%s):\n%s", i + 1, len(gens), g.finish_reason, g.text)
        out.append({"messages": messages, "response": g.text, "finish_reason": g.finish_reason})
    return out


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

    Raises :class:`~llmrl_rewardgen.codegen.CodegenError` with every round's error
    when nothing survives validation.
    """
    cfg = config or GenerateConfig()
    task = task or task_description(env_id)
    path = cache_path(env_id, provider_name, model_name, cfg.seed, cache_root)
    batch = sample_env_batch(env_id, cfg.validation.batch_size, seed=cfg.seed)

    def build(code: str):
        return latent_function_program(code, batch, cfg.validation)

    loop = CodegenLoop(
        provider, sandbox, extract=extract_latent_code, build_program=build, repair_message=prompts.repair_message,
        config=CodegenConfig(
            repair_budget=cfg.repair_budget, temperature=cfg.summary_temperature, max_tokens=cfg.max_tokens,
            seed=cfg.seed, timeout_s=cfg.timeout_s, memory_mb=cfg.memory_mb,
        ),
        name=f"LaRe[{env_id}]",
    )
    if use_cache and path.is_file():
        cached = GeneratedLatentFunction.read(path)
        _, verdict, error = loop.validate(cached.code)  # re-check: the cache is a file anyone may edit
        if error is None:
            log.info("LaRe: using the cached latent function %s", path)
            return cached
        log.warning("LaRe: the cached function %s no longer validates (%s); generating a new one", path, error)

    candidates = _sample_candidates(provider, task, cfg)
    messages = prompts.summary_messages(task, [c["response"] for c in candidates])
    try:
        transcript = loop.run(messages)
    except CodegenError as exc:
        raise CodegenError(
            f"{exc}\nFallbacks: use the hand-written worked example (`llmrl lare train --latent example`, or "
            "llmrl_rewardgen.lare.worked_example(env_id)), or state-based RRD (`--baseline rrd-state`); or try a "
            "stronger model (--provider openai --model ...).",
            exc.transcript,
        ) from None
    accepted = transcript.accepted
    assert accepted is not None and accepted.verdict is not None
    result = GeneratedLatentFunction(
        env_id=env_id, provider=provider_name, model=model_name, seed=cfg.seed, code=accepted.code or "",
        n_factors=int(accepted.verdict["n_factors"]), verdict=accepted.verdict, candidates=candidates,
        transcript=transcript.to_dict(),
    )
    if use_cache:
        result.save(path)
        log.info("LaRe: cached the accepted latent function at %s", path)
    return result
