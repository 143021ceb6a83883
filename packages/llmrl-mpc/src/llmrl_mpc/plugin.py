"""The hooks llmrl calls: the robots' environments, the ``llmrl mpc`` sub-command and ``llmrl l2r``.
Nothing heavy is imported here."""

from __future__ import annotations

from llmrl_core import CommandSpec, hookimpl
from llmrl_mpc.robots import ENVIRONMENTS


@hookimpl
def llmrl_environments():
    yield from ENVIRONMENTS


@hookimpl
def llmrl_commands():
    yield CommandSpec(name="mpc", app="llmrl_mpc.cli:app", description="MPC (sampling planners, iLQG) on MuJoCo robots driven by reward specs.")
    yield CommandSpec(name="l2r", app="llmrl_mpc.l2r_cli:l2r",
                      description="Language to Reward: an instruction -> a validated reward spec -> MPC (needs the l2r extra of llmrl-mpc).")
