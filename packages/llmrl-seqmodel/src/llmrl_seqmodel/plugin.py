"""The hooks llmrl calls: the ``ad`` and ``tbya`` CLI sub-apps (their modules import fast)."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(name="ad", app="llmrl_seqmodel.cli.ad:app",
                      description="Algorithm Distillation: collect learning histories, train, evaluate in context.")
    yield CommandSpec(name="tbya", app="llmrl_seqmodel.cli.tbya:app",
                      description="Think Before You Act: BabyAI demos with subgoal captions, train, evaluate.")
