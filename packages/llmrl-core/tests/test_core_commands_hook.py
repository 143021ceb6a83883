"""Packages add CLI sub-apps through the llmrl_commands hook; a broken one never breaks the CLI."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from llmrl_core import CommandSpec, hookimpl
from llmrl_core.cli.main import build_app

greet_app = typer.Typer()


@greet_app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    typer.echo(f"hello {name}")


class AddsGreet:
    @hookimpl
    def llmrl_commands(self):
        yield CommandSpec(name="greet", app=f"{__name__}:greet_app", description="Greetings.")


class AddsBroken:
    @hookimpl
    def llmrl_commands(self):
        yield CommandSpec(name="broken", app="llmrl_no_such_module:app", description="Cannot import.")


def test_sub_app_is_added_and_runs(fresh_plugin_manager):
    fresh_plugin_manager.register(AddsGreet(), distribution="llmrl-greet")
    result = CliRunner().invoke(build_app(), ["greet", "hello", "--name", "llmrl"])
    assert result.exit_code == 0 and result.output == "hello llmrl\n"


def test_broken_sub_app_is_skipped_and_the_rest_still_work(fresh_plugin_manager):
    fresh_plugin_manager.register(AddsBroken(), distribution="llmrl-broken")
    fresh_plugin_manager.register(AddsGreet(), distribution="llmrl-greet")
    app = build_app()
    runner = CliRunner()
    assert runner.invoke(app, ["greet", "hello"]).output == "hello world\n"
    assert runner.invoke(app, ["broken"]).exit_code != 0
    listed = runner.invoke(app, ["plugins", "--json"])
    assert listed.exit_code == 0
    [failure] = __import__("json").loads(listed.output)["failed"]
    assert failure["distribution"] == "llmrl-broken" and "llmrl_no_such_module" in failure["error"]
