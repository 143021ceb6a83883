"""`llmrl ad` and `llmrl tbya` through the real CLI (plugins loaded from their entry points)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from llmrl_core.cli.main import build_app


def test_ad_cli_collect_train_eval_on_a_tiny_room(tmp_path):
    app, runner, run = build_app(), CliRunner(), tmp_path / "run"
    res = runner.invoke(app, ["ad", "collect", "--env", "darkroom", "--out", str(run), "--episodes", "4",
                              "--histories-per-task", "1", "--n-test", "3", "--workers", "1",
                              "--env-arg", "size=5", "--env-arg", "max_steps=6"])
    assert res.exit_code == 0, res.output
    assert json.loads((run / "histories" / "manifest.json").read_text())["histories"] == 22
    res = runner.invoke(app, ["ad", "train", "--run", str(run), "--steps", "3", "--batch-size", "4"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["ad", "eval", "--run", str(run), "--episodes", "2", "--seeds", "1", "--kinds", "ad,source"])
    assert res.exit_code == 0, res.output
    out = json.loads((run / "eval.json").read_text())
    assert set(out["methods"]) == {"ad", "source"} and len(out["methods"]["ad"]["curve"]) == 2
    assert (run / "curves.png").exists()


def test_ad_cli_errors_are_clear(tmp_path):
    app, runner = build_app(), CliRunner()
    res = runner.invoke(app, ["ad", "collect", "--env", "nowhere", "--out", str(tmp_path / "x")])
    assert res.exit_code != 0 and "unknown AD environment 'nowhere'" in str(res.exception)
    res = runner.invoke(app, ["ad", "train", "--run", str(tmp_path / "missing")])
    assert res.exit_code != 0 and "llmrl ad collect" in str(res.exception)
