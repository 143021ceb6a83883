"""The run kit: options generated from a config model, precedence, resume semantics, the run directory."""

from __future__ import annotations

from typing import Literal

import pytest
import typer
import yaml
from pydantic import BaseModel, ConfigDict, Field
from typer.testing import CliRunner

from llmrl_core.cli.progress import ProgressDisplay
from llmrl_core.cli.runkit import RunContext, run_command
from llmrl_core.errors import ConfigError
from llmrl_core.runs import RunDir, explicit_values, prepare_run


class Optim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lr: float = Field(0.1, description="Learning rate.")
    betas: list[float] = Field(default_factory=lambda: [0.9, 0.95])


class DemoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    output: str = Field("runs/demo", description="Run directory.")
    steps: int = Field(5, ge=1, description="Optimiser steps.")
    mode: Literal["fast", "slow"] = Field("fast", description="How to run.")
    verbose_log: bool = Field(False, description="Log more.")
    optim: Optim = Field(default_factory=Optim)


def make_app(seen: list):
    app = typer.Typer()

    @run_command(app, "train", DemoConfig, resumable=True, aliases={"lr": "optim.lr"})
    def train(cfg: DemoConfig, ctx: RunContext, shout: bool = typer.Option(False, "--shout", help="Not config.")) -> None:
        """Train the demo."""
        cfg, changes = prepare_run(cfg, ctx.run, resume=ctx.resume)
        ctx.run.write_config(cfg)
        (ctx.run.checkpoints / f"checkpoint-{cfg.steps}").mkdir(parents=True, exist_ok=True)
        seen.append((cfg, changes, shout))

    @run_command(app, "other", DemoConfig)
    def other(cfg: DemoConfig, ctx: RunContext) -> None:
        seen.append((cfg, [], False))

    return app


def invoke(app, *args):
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_help_lists_the_kit_options_and_one_flag_per_scalar_field_with_its_description() -> None:
    group = typer.main.get_command(make_app([]))
    train = group.commands["train"]
    options = {opt: p for p in train.params for opt in [*p.opts, *p.secondary_opts]}
    for option in ("--config", "--set", "--output", "--resume", "--steps", "--mode", "--verbose-log",
                   "--no-verbose-log", "--lr", "--shout"):
        assert option in options, option
    assert options["--steps"].help == "Optimiser steps. [default: 5]"
    assert options["--lr"].help == "Learning rate. [default: 0.1]"
    assert options["--output"].help == "Run directory. [default: 'runs/demo']"
    seen: list = []
    invoke(make_app(seen), "other", "--mode", "slow")
    assert seen[-1][0].mode == "slow"
    assert not any(o.startswith("--optim") for o in options)  # a nested model is set with --set only
    assert train.help == "Train the demo."
    assert "--resume" not in [o for p in group.commands["other"].params for o in p.opts]


def test_precedence_is_defaults_then_file_then_flags_then_set(tmp_path) -> None:
    seen: list = []
    app = make_app(seen)
    (tmp_path / "c.yaml").write_text("steps: 7\nmode: slow\noptim: {lr: 0.5}\n")
    invoke(app, "train", "--config", str(tmp_path / "c.yaml"), "--steps", "8", "--set", "steps=9", "--lr", "0.25",
           "--output", str(tmp_path / "r"), "--shout")
    cfg, _, shout = seen[-1]
    assert (cfg.steps, cfg.mode, cfg.optim.lr, shout) == (9, "slow", 0.25, True)
    assert cfg.optim.betas == [0.9, 0.95] and cfg.output == str(tmp_path / "r")


def test_bad_values_are_config_errors_naming_the_field(tmp_path) -> None:
    app = make_app([])
    with pytest.raises(ConfigError, match="steps"):
        invoke(app, "train", "--steps", "0", "--output", str(tmp_path / "r"))
    with pytest.raises(ConfigError, match="no_such"):
        invoke(app, "train", "--set", "no_such=1", "--output", str(tmp_path / "r"))
    assert invoke(app, "train", "--mode", "medium").exit_code == 2  # a choice click rejects with usage


def test_resume_keeps_the_saved_config_and_changes_only_what_is_given(tmp_path) -> None:
    seen: list = []
    app = make_app(seen)
    out = str(tmp_path / "run")
    invoke(app, "train", "--steps", "3", "--mode", "slow", "--output", out)
    invoke(app, "train", "--output", out, "--resume")  # the default steps (5) must not replace the saved 3
    cfg, changes, _ = seen[-1]
    assert (cfg.steps, cfg.mode, changes) == (3, "slow", [])
    invoke(app, "train", "--output", out, "--resume", "--steps", "10", "--lr", "0.5")
    cfg, changes, _ = seen[-1]
    assert (cfg.steps, cfg.mode, cfg.optim.lr) == (10, "slow", 0.5)
    assert changes == ["optim.lr: 0.1 -> 0.5", "steps: 3 -> 10"]
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["steps"] == 10 and saved["run_info"]["world_size"] == 1


def test_a_fresh_run_refuses_a_directory_that_holds_one_and_resume_needs_one(tmp_path) -> None:
    app = make_app([])
    out = str(tmp_path / "run")
    with pytest.raises(ConfigError, match="holds no checkpoint to resume from"):
        invoke(app, "train", "--output", out, "--resume")
    invoke(app, "train", "--output", out)
    with pytest.raises(ConfigError, match="already holds a run"):
        invoke(app, "train", "--output", out)


def test_explicit_values_are_the_fields_the_user_set_recursively() -> None:
    cfg = DemoConfig.model_validate({"steps": 4, "optim": {"lr": 0.3}})
    assert explicit_values(cfg) == {"steps": 4, "optim": {"lr": 0.3}}


def test_only_rank_zero_writes_the_run_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "2")
    run = RunDir(tmp_path / "r")
    run.write_config(DemoConfig())
    run.log_metrics({"step": 1})
    assert not (tmp_path / "r").exists()
    monkeypatch.setenv("RANK", "0")
    run = RunDir(tmp_path / "r")
    run.write_config(DemoConfig())
    assert yaml.safe_load(run.config.read_text())["run_info"]["world_size"] == 2
    assert run.read_config() == DemoConfig().model_dump(mode="json")


def test_progress_display_in_a_pipe_prints_one_plain_line_per_event(capsys) -> None:
    with ProgressDisplay("demo", {"reward": "reward", "acc": "rewards/accuracy/mean"}, live=False) as report:
        report("status", message="loading")
        report("step", step=1, total=2, record={"reward": 0.5, "rewards/accuracy/mean": 0.25, "loss": 1.0})
        report("step", step=2, total=2, record={"reward": 0.75})
        report("eval", stage="after", results={"num_prompts": 10.0, "pass@1_greedy": 0.5})
        report("unknown-kind", anything=1)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "[demo] loading"
    assert lines[1] == "step 1/2  reward 0.5  acc 0.25"
    assert lines[2].startswith("step 2/2  reward 0.75  ") and lines[2].endswith(" s/step")
    assert lines[3] == "eval (10 prompts, after): pass@1_greedy 0.5"
    assert "loss" not in "\n".join(lines)


def test_time_in_the_output_default_gives_each_run_its_own_directory(tmp_path) -> None:
    class Timed(BaseModel):
        output: str = Field(str(tmp_path / "runs" / "{time}"), description="Run directory.")

    seen: list = []
    app = typer.Typer()

    @run_command(app, "go", Timed)
    def go(cfg: Timed, ctx: RunContext) -> None:
        seen.append(ctx.run.root)

    @run_command(app, "other", Timed)
    def other(cfg: Timed, ctx: RunContext) -> None:
        seen.append(ctx.run.root)

    invoke(app, "go")
    assert seen[-1].parent == tmp_path / "runs" and seen[-1].name[:2] == "20" and "{" not in seen[-1].name


def test_print_result_shows_each_eval_key_before_and_after_then_the_run_directory(tmp_path) -> None:
    app = typer.Typer()

    @run_command(app, "go", DemoConfig, eval_keys={"pass@1": "pass@1_greedy", "bad": "unparseable", "none": "missing"})
    def go(cfg: DemoConfig, ctx: RunContext) -> None:
        ctx.run.write_config(cfg)
        ctx.print_result({"before": {"pass@1_greedy": 0.633, "unparseable": 9.0}, "after": {"pass@1_greedy": 0.8}},
                         title="held-out", percent=["pass@1"])

    app.command("other")(lambda: None)  # two commands: typer keeps "go" a sub-command
    out = invoke(app, "go", "--output", str(tmp_path / "r")).stdout.splitlines()
    assert out[0] == "held-out"
    assert out[1].split() == ["pass@1", "before", "63.3%", "after", "80.0%"]
    assert out[2].split() == ["bad", "before", "9", "after", "-"]  # a count, not a percentage; missing after
    assert len(out) == 4 and out[3] == f"run directory: {tmp_path / 'r'} (config.yaml)"  # no line for a key no eval has


def test_check_names_fails_fast_with_the_valid_names(fresh_plugin_manager) -> None:
    from llmrl_core.cli.checks import check_names
    from llmrl_core.errors import UnknownComponentError

    check_names(backend="cpu")  # llmrl-core's own backend is always registered
    with pytest.raises(UnknownComponentError, match="unknown backend 'cpuu'.*cpu"):
        check_names(backend="cpuu")
    with pytest.raises(TypeError, match="not a component kind"):
        check_names(taks="arithmetic")


def test_other_ranks_do_not_refuse_what_rank_zero_wrote_and_stay_silent(tmp_path, monkeypatch, capsys) -> None:
    """Under torchrun rank 0 may write config.yaml before rank 1 checks the directory: only rank 0 refuses."""
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    RunDir(tmp_path / "r").write_config(DemoConfig())
    assert not list((tmp_path / "r").glob("*.tmp"))  # written whole, then renamed into place
    monkeypatch.setenv("RANK", "1")
    cfg, _ = prepare_run(DemoConfig(steps=3), RunDir(tmp_path / "r"), resume=False)
    assert cfg.steps == 3
    seen: list = []
    app = typer.Typer()

    @run_command(app, "go", DemoConfig, eval_keys={"acc": "acc"})
    def go(cfg: DemoConfig, ctx: RunContext) -> None:
        with ctx.progress() as report:
            report("status", message="loading")
            report("step", step=1, total=1, record={"loss": 1.0})
        ctx.print_result({"before": {"acc": 0.5}}, title="held-out")
        seen.append(ctx.run.writer)

    app.command("other")(lambda: None)
    out = invoke(app, "go", "--output", str(tmp_path / "r"))
    assert seen == [False] and out.output == "" and capsys.readouterr().err == ""  # output: stdout and stderr
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(ConfigError, match="already holds a run"):
        prepare_run(DemoConfig(), RunDir(tmp_path / "r"), resume=False)
