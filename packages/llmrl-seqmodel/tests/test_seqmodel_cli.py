"""`llmrl ad` and `llmrl tbya` through the real CLI (plugins loaded from their entry points), on the run kit."""

from __future__ import annotations

import json
import shutil
import sys

import pytest
import torch
import yaml
from typer.testing import CliRunner

from llmrl_core.cli.main import build_app
from llmrl_core.testing import kill_after_first_checkpoint


def _collect_tiny_room(app, runner, run) -> None:
    res = runner.invoke(app, ["ad", "collect", "--output", str(run), "--episodes", "8", "--keep-every", "2",
                              "--histories-per-task", "1", "--n-test", "3", "--workers", "1",
                              "--set", "env_kwargs.size=5", "--set", "env_kwargs.max_steps=6",
                              "--set", "model.n_embd=16", "--set", "model.n_layer=1", "--set", "model.n_head=1",
                              "--set", "model.n_inner=32"])
    assert res.exit_code == 0, res.output


def test_ad_cli_collect_train_eval_on_a_tiny_room(tmp_path):
    app, runner, run = build_app(), CliRunner(), tmp_path / "run"
    _collect_tiny_room(app, runner, run)
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


def test_a_killed_ad_train_resumes_from_its_checkpoint_to_the_same_weights(tmp_path):
    """SIGKILL mid-training, then `--resume`: same weights as an uninterrupted run, one metric line per step."""
    app, runner = build_app(), CliRunner()
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    for run in (killed, whole):
        _collect_tiny_room(app, runner, run)
    train = ["--steps", "400", "--batch-size", "4", "--set", "train.save_every=10"]
    checkpoint = kill_after_first_checkpoint(
        [sys.executable, "-m", "llmrl_core.cli", "ad", "train", "--output", str(killed), *train],
        killed / "checkpoints", "ad-*.pt")
    assert not (killed / "model-ad.pt").exists()  # it died mid-training, not after
    stopped_at = int(checkpoint.stem.split("-")[1])
    assert 10 <= stopped_at < 400

    res = runner.invoke(app, ["ad", "train", "--output", str(killed), "--resume"])  # its settings come from the checkpoint
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["ad", "train", "--output", str(whole), *train])
    assert res.exit_code == 0, res.output
    resumed, reference = (torch.load(r / "model-ad.pt", weights_only=True)["state"] for r in (killed, whole))
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
    assert [json.loads(line)["step"] for line in (killed / "metrics.jsonl").read_text().splitlines()] == list(range(1, 401))
    assert json.loads((killed / "train-ad.json").read_text())["train"]["steps"] == 400


def test_ad_train_resume_errors_are_clear(tmp_path):
    app, runner, run = build_app(), CliRunner(), tmp_path / "run"
    _collect_tiny_room(app, runner, run)
    res = runner.invoke(app, ["ad", "train", "--output", str(run), "--resume"])
    assert res.exit_code != 0 and "no checkpoint of 'ad'" in str(res.exception)
    res = runner.invoke(app, ["ad", "train", "--output", str(run), "--steps", "4", "--batch-size", "2",
                              "--set", "train.save_every=2", "--kind", "ed"])
    assert res.exit_code == 0, res.output
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["ed-2.pt"]  # the last one before the end, no older
    res = runner.invoke(app, ["ad", "train", "--output", str(run), "--resume"])  # ED's checkpoint is not AD's
    assert res.exit_code != 0 and "no checkpoint of 'ad'" in str(res.exception)


def test_an_interrupted_tbya_train_resumes_to_the_same_weights(tmp_path):
    """A policy stopped after its step-3 checkpoint continues under `llmrl tbya train --resume`."""
    from llmrl_seqmodel.tbya.pipeline import load_config, train_run

    app, runner, stopped = build_app(), CliRunner(), tmp_path / "stopped"
    res = runner.invoke(app, ["tbya", "collect", "--output", str(stopped), "--level", "GoToLocal", "--demos", "6",
                              "--workers", "1", "--set", "model.n_embd=16", "--set", "model.n_layer=1",
                              "--set", "model.n_head=1", "--set", "model.n_inner=32"])
    assert res.exit_code == 0, res.output
    whole = tmp_path / "whole"
    shutil.copytree(stopped, whole)
    cfg = load_config(stopped)
    train = cfg.train.model_copy(update={"steps": 8, "batch_size": 2, "save_every": 3})

    class Stop(Exception):
        pass

    def stop_after_five(kind, **data):
        if kind == "step" and data["step"] == 5:
            raise Stop

    with pytest.raises(Stop):
        train_run(stopped, True, train, cfg.model, stop_after_five)
    assert [p.name for p in (stopped / "checkpoints").iterdir()] == ["captions-3.pt"]
    res = runner.invoke(app, ["tbya", "train", "--output", str(stopped), "--resume"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["tbya", "train", "--output", str(whole), "--steps", "8", "--batch-size", "2",
                              "--set", "train.save_every=3"])
    assert res.exit_code == 0, res.output
    resumed, reference = (torch.load(r / "model-captions.pt", weights_only=True)["state"] for r in (stopped, whole))
    assert all(torch.equal(resumed[k], reference[k]) for k in reference)
    steps = [json.loads(line)["step"] for line in (stopped / "metrics.jsonl").read_text().splitlines()]
    assert steps == list(range(1, 9))  # steps 4 and 5 of the stopped run were logged, then rewound
    res = runner.invoke(app, ["tbya", "train", "--output", str(stopped), "--resume", "--set", "model.n_embd=32"])
    assert res.exit_code != 0 and "does not fit the model these settings build" in str(res.exception)
