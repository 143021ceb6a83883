"""One ``llmrl lare generate`` run: its config, the provider and sandbox it opens, its run directory.

The run directory (``llmrl_core.runs.RunDir``) holds ``config.yaml``, ``metrics.jsonl`` (one line
per reply: each of the K candidates, then each summary/repair round, parsed / validated / error),
``summary.md`` (the stage counts and the accepted code) and ``latent_function.json``, the accepted
function with its transcript, which ``llmrl lare train --latent PATH`` takes. The accepted function
is also cached (``generate.cache_path``) for ``--latent cache``.
"""

from __future__ import annotations

import time
from typing import Any

from llmrl_core.events import Reporter, or_silent
from llmrl_core.runs import RunDir, prepare_run
from llmrl_rewardgen.lare.config import LATENT_FILE, LaReGenerateConfig
from llmrl_rewardgen.lare.generate import GeneratedLatentFunction, PipelineReport


def generate(cfg: LaReGenerateConfig, *, report: Reporter | None = None) -> GeneratedLatentFunction:
    """Generate (or take from the cache) a latent function for ``cfg.env`` and write the run directory.

    When nothing survives validation the run directory still gets the stage report, then the
    :class:`~llmrl_rewardgen.codegen.CodegenError` is raised.
    """
    from llmrl_core import get_provider, get_sandbox
    from llmrl_rewardgen.codegen import CodegenError
    from llmrl_rewardgen.lare.generate import generate_latent_function
    from llmrl_rewardgen.lare.tasks import task_description

    task_description(cfg.env)  # an unknown env fails here, before the model loads
    if "{time}" in cfg.output:  # the default: a new directory per run
        cfg = cfg.model_copy(update={"output": cfg.output.replace("{time}", time.strftime("%Y%m%d-%H%M%S"))})
    run = RunDir(cfg.output)
    cfg, _ = prepare_run(cfg, run, resume=False)
    run.write_config(cfg)
    emit = or_silent(report)
    emit("status", message=f"loading the {cfg.provider} provider")
    with get_provider(cfg.provider, **({"model": cfg.model} if cfg.model else {})) as llm, \
            get_sandbox(cfg.sandbox) as box:
        try:
            result = generate_latent_function(cfg.env, llm, box, provider_name=cfg.provider,
                                              model_name=cfg.model or "default", config=cfg.generation(),
                                              use_cache=not cfg.force, report=emit)
        except CodegenError as exc:
            write_generation_run(run, getattr(exc, "report", None) or PipelineReport(cfg.env, cfg.grammar == "on"), None)
            raise
    pipeline = PipelineReport(**result.report) if result.report else PipelineReport(result.env_id, result.grammar)
    write_generation_run(run, pipeline, result)
    return result


def write_generation_run(run: RunDir, pipeline: PipelineReport, result: GeneratedLatentFunction | None) -> None:
    """``metrics.jsonl`` (one line per reply), ``summary.md`` and, when a function was accepted, ``latent_function.json``."""
    for stage, rows in (("candidate", pipeline.candidates), ("round", pipeline.rounds)):
        for i, row in enumerate(rows):
            run.log_metrics({"stage": stage, "index": i, **row})
    c = pipeline.counts()
    lines: list[Any] = [
        f"# LaRe generation for {pipeline.env_id}", "",
        f"Grammar-constrained decoding: {'on' if pipeline.grammar else 'off'}.", "",
        f"- candidates: {c['candidates_parsed']}/{c['candidates']} parsed, "
        f"{c['candidates_validated']}/{c['candidates']} validated",
        f"- summarised answer: parsed at once {'yes' if c['summary_parsed_first'] else 'no'}, validated at once "
        f"{'yes' if c['summary_validated_first'] else 'no'}, {c['repairs']} repair(s)",
        f"- accepted: {'yes' if c['accepted'] else 'no'}"
        + (f"; factors kept {c['factors_kept']} of {c['factors_returned']}" if c["accepted"] else ""),
    ]
    lines += [f"- dropped factor {k}: {v}" for k, v in pipeline.dropped.items()]
    if result is not None:
        if run.writer:
            result.save(run.root / LATENT_FILE)
        lines += ["", f"Accepted `evaluation_func` (in `{LATENT_FILE}`):", "", "```python", result.code.rstrip(), "```"]
    else:
        errors = [r["error"] for r in pipeline.rounds if r.get("error")]
        lines += ["", "Nothing survived validation. Each round's error:", ""]
        lines += [f"{i + 1}. {e.splitlines()[0] if e else ''}" for i, e in enumerate(errors)]
    run.write_summary("\n".join(lines) + "\n")
