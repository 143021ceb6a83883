"""`llmrl ad` and `llmrl tbya` through the real CLI (plugins loaded from their entry points), on the run kit."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from llmrl_core.cli.main import build_app


def test_ad_cli_collect_train_eval_on_a_tiny_room(tmp_path):
    app, runner, run = build_app(), CliRunner(), tmp_path / "run"
    res = runner.invoke(app, ["ad", "collect", "--output", str(run), "--episodes", "8", "--keep-every", "2",
                              "--histories-per-task", "1", "--n-test", "3", "--workers", "1",
                              "--set", "env_kwargs.size=5", "--set", "env_kwargs.max_steps=6"])
    assert res.exit_code == 0, res.output
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["history"]["source"] == "q-learning" and saved["env_kwargs"] == {"size": 5, "max_steps": 6}
    manifest = json.loads((run / "histories" / "manifest.json").read_text())
    assert manifest["histories"] == 22 and manifest["transitions"] == 22 * 4 * 6  # every 2nd of 8 episodes
    res = runner.invoke(app, ["ad", "train", "--output", str(run), "--steps", "3", "--batch-size", "4"])
    assert res.exit_code == 0, res.output
    train = json.loads((run / "train-ad.json").read_text())["train"]
    assert train["steps"] == 3 and train["batch_size"] == 4 and train["lr"] == saved["train"]["lr"]  # only those changed
    assert [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2, 3]
    res = runner.invoke(app, ["ad", "eval", "--output", str(run), "--episodes", "2", "--seeds", "1", "--kinds", "ad,source"])
    assert res.exit_code == 0, res.output
    out = json.loads((run / "eval.jsonl").read_text().splitlines()[-1])
    assert set(out["methods"]) == {"ad", "source"} and len(out["methods"]["ad"]["curve"]) == 2
    assert (run / "curves.png").exists() and "| ad |" in (run / "summary.md").read_text()


def test_ad_cli_errors_are_clear(tmp_path):
    app, runner = build_app(), CliRunner()
    res = runner.invoke(app, ["ad", "collect", "--env", "nowhere", "--output", str(tmp_path / "x")])
    assert res.exit_code != 0 and "unknown AD environment 'nowhere'" in str(res.exception)
    res = runner.invoke(app, ["ad", "train", "--output", str(tmp_path / "missing")])
    assert res.exit_code != 0 and "llmrl ad collect" in str(res.exception)
    res = runner.invoke(app, ["ad", "collect", "--output", str(tmp_path / "y"), "--set", "history.source=ucb",
                              "--workers", "1"])
    assert res.exit_code != 0 and "'ucb' is for the bandit" in str(res.exception)
