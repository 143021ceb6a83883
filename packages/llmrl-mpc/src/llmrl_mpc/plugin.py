"""The hooks llmrl calls: the ``llmrl mpc`` sub-command. Nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl


@hookimpl
def llmrl_commands():
    yield CommandSpec(name="mpc", app="llmrl_mpc.cli:app", description="Sampling MPC on MuJoCo robot tasks driven by reward specs.")
