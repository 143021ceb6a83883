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


def shout(text: str) -> None:
    """Shout TEXT."""
    typer.echo(text.upper())


class AddsToGroups:
    """Commands named "<group> <command>": one into llmrl-core's sandbox group, one into a plugin's group."""

    @hookimpl
    def llmrl_commands(self):
        yield CommandSpec(name="sandbox shout", app=f"{__name__}:shout", description="Shout in the sandbox group.")
        yield CommandSpec(name="greet shout", app=f"{__name__}:shout", description="Shout among the greetings.")
        yield CommandSpec(name="nowhere shout", app=f"{__name__}:shout", description="No such group.")


class ClaimsCoreGroup:
    @hookimpl
    def llmrl_commands(self):
        yield CommandSpec(name="sandbox", app=f"{__name__}:greet_app", description="Takes over llmrl sandbox.")


def test_a_two_word_name_joins_that_group_beside_its_commands(fresh_plugin_manager):
    fresh_plugin_manager.register(AddsToGroups(), distribution="llmrl-shout")
    fresh_plugin_manager.register(AddsGreet(), distribution="llmrl-greet")  # registered later: order must not matter
    app, runner = build_app(), CliRunner()
    assert runner.invoke(app, ["sandbox", "shout", "hi"]).output == "HI\n"
    assert runner.invoke(app, ["greet", "shout", "hey"]).output == "HEY\n"
    assert runner.invoke(app, ["greet", "hello"]).output == "hello world\n"
    listing = runner.invoke(app, ["sandbox", "--help"]).output
    assert "run" in listing and "shout" in listing  # core's own command stays
    [failure] = fresh_plugin_manager.failures
    assert failure.distribution == "llmrl-shout" and "no command group 'nowhere'" in failure.error


def test_a_plugin_cannot_take_over_a_core_group(fresh_plugin_manager):
    fresh_plugin_manager.register(ClaimsCoreGroup(), distribution="llmrl-thief")
    app = build_app()
    assert "Run one Python program" in CliRunner().invoke(app, ["sandbox", "run", "--help"]).output
    [failure] = fresh_plugin_manager.failures
    assert "'sandbox' is llmrl-core's" in failure.error and "CommandSpec(name='sandbox <command>')" in failure.error


def test_building_the_app_twice_adds_each_plugin_command_once(fresh_plugin_manager):
    fresh_plugin_manager.register(AddsToGroups(), distribution="llmrl-shout")
    fresh_plugin_manager.register(AddsGreet(), distribution="llmrl-greet")
    build_app()
    group = typer.main.get_command(build_app()).commands["sandbox"]
    assert sorted(group.commands) == ["run", "shout"]


def test_a_missing_first_party_command_names_the_distribution_to_install(fresh_plugin_manager):
    """Nothing is loaded here but llmrl-core, as for a user who installed llmrl-core alone."""
    runner = CliRunner()
    app = build_app()
    missing = runner.invoke(app, ["sandbox", "serve"])
    assert missing.exit_code == 2 and "No such command 'serve'" in missing.output
    assert "It is provided by llmrl-sandbox-fusion" in missing.output
    assert "It is provided by llmrl-grpo" in runner.invoke(app, ["grpo"]).output
    assert "It is provided by" not in runner.invoke(app, ["no-such-command"]).output
