"""``llmrl lare`` through the real entry point, as users run it: the run kit's options and run directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import yaml

LLMRL = [sys.executable, "-m", "llmrl_core.cli"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*LLMRL, *args], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200", **env},
                          timeout=300)


def invoke(*args: str, **env: str):
    """In-process through the root app (the subprocess tests cover the entry point; this saves an import of torch)."""
    from typer.testing import CliRunner

    from llmrl_core.cli.main import build_app

    return CliRunner().invoke(build_app(), list(args), env=env or None)


def test_lare_is_a_registered_command():
    out = run("lare", "--help")
    assert out.returncode == 0 and "generate" in out.stdout and "train" in out.stdout


def test_both_commands_take_the_run_kit_options_with_the_models_descriptions():
    import typer

    from llmrl_core.cli.main import build_app
    from llmrl_rewardgen.lare.config import LaReGenerateConfig, LaReTrainConfig

    lare = typer.main.get_command(build_app()).commands["lare"]
    for name, model in (("train", LaReTrainConfig), ("generate", LaReGenerateConfig)):
        options = {o: p for p in lare.commands[name].params for o in [*p.opts, *p.secondary_opts]}
        assert {"--config", "--set", "--output"} <= set(options)
        assert ("--resume" in options) == (name == "train")  # training resumes; generation is cached per reply
        for field, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{field} has no description"
            flag = "--" + field.replace("_", "-")
            if flag in options:
                assert options[flag].help.startswith(info.description.strip()), flag
    train = {o for p in lare.commands["train"].params for o in p.opts}
    assert {"--env", "--baseline", "--head", "--latent", "--steps", "--learning-starts", "--eval-every"} <= train
    generate = {o for p in lare.commands["generate"].params for o in p.opts}
    assert {"--env", "--provider", "--model", "--n-candidates", "--max-tokens", "--repair-budget", "--grammar",
            "--force"} <= generate


def test_bad_options_and_a_missing_cache_are_clear_errors(tmp_path):
    out = run("lare", "train", "--env", "Reacher-v5", "--head", "cubic", "--steps", "10")
    assert out.returncode == 2 and "'cubic' is not one of 'linear', 'mlp'" in " ".join(out.stderr.split())
    out = run("lare", "train", "--set", "decoder_lr=-1", "--output", str(tmp_path / "bad"))
    assert out.returncode == 2 and "decoder_lr" in out.stderr and not (tmp_path / "bad").exists()
    out = run("lare", "train", "--env", "Reacher-v5", "--latent", "cache", "--steps", "10", "--output", str(tmp_path / "r"),
              LLMRL_CACHE_DIR=str(tmp_path))
    err = " ".join(out.stderr.split())
    assert out.returncode == 2 and "no generated latent function" in err and "llmrl lare generate --env Reacher-v5" in err


def test_train_writes_the_run_directory_and_refuses_to_overwrite_it(tmp_path):
    run_dir = tmp_path / "run"
    args = ["lare", "train", "--env", "Reacher-v5", "--latent", "example", "--head", "linear", "--steps", "150",
            "--learning-starts", "100", "--eval-every", "75", "--set", "eval_episodes=1", "--output", str(run_dir)]
    out = invoke(*args)
    assert out.exit_code == 0, out.output
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["steps"] == 150 and config["eval_episodes"] == 1 and config["output"] == str(run_dir)
    episodes = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in episodes] == [50, 100, 150] and [e["episode"] for e in episodes] == [1, 2, 3]
    evals = [json.loads(line) for line in (run_dir / "eval.jsonl").read_text().splitlines()]
    assert [e["step"] for e in evals] == [75, 150] and evals[-1]["latent_calls"] == 3
    assert len(evals[-1]["decoder_weights"]) == 4  # the linear head over the worked example's 4 factors
    assert (run_dir / "curves.png").stat().st_size > 1000
    summary = (run_dir / "summary.md").read_text()
    assert f"final evaluation return: {evals[-1]['eval_return']:.2f}" in summary and "| 150 |" in summary
    again = invoke(*args)
    assert again.exit_code != 0 and "already holds a run" in str(again.exception or again.output)
    from stable_baselines3 import TD3

    agent = TD3.load(run_dir / "agent.zip", device="cpu")  # the trained agent, loadable by Stable-Baselines3
    assert agent.num_timesteps == 150 and agent.predict(np.zeros(10), deterministic=True)[0].shape == (2,)


def test_a_killed_training_run_resumes_from_its_checkpoint_as_if_never_stopped(tmp_path):
    """SIGKILL after a checkpoint, then `--resume`: the same evaluations, episodes and agent as an uninterrupted run."""
    import torch

    from llmrl_core.testing import kill_after_first_checkpoint

    args = ["--env", "Reacher-v5", "--latent", "example", "--head", "linear", "--steps", "400", "--learning-starts",
            "100", "--eval-every", "200", "--set", "eval_episodes=1", "--set", "save_every=100", "--set",
            "net_arch=[16,16]", "--set", "batch_size=32", "--seed", "3"]
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    checkpoint = kill_after_first_checkpoint([*LLMRL, "lare", "train", *args, "--output", str(killed)],
                                             killed / "checkpoints", "step-*.pt")
    assert int(checkpoint.stem.split("-")[1]) < 400 and not (killed / "agent.zip").exists()

    out = invoke("lare", "train", "--output", str(killed), "--resume")  # the saved config wins
    assert out.exit_code == 0, out.output
    out = invoke("lare", "train", *args, "--output", str(whole))
    assert out.exit_code == 0, out.output
    for name in ("metrics.jsonl", "eval.jsonl"):  # the killed run's lines past its checkpoint were dropped
        lines = [[{k: v for k, v in json.loads(line).items() if k not in ("seconds", "latent_seconds")}
                  for line in (r / name).read_text().splitlines()] for r in (killed, whole)]
        assert lines[0] == lines[1] and lines[0], name
    resumed, reference = (_policy(r) for r in (killed, whole))
    assert resumed.keys() == reference.keys() and all(torch.equal(resumed[k], reference[k]) for k in reference)
    out = invoke("lare", "train", "--output", str(tmp_path / "fresh"), "--resume")
    assert out.exit_code != 0 and "holds no checkpoint to resume from" in str(out.exception)
    saved = (killed / "config.yaml").read_text()
    out = invoke("lare", "train", "--output", str(killed), "--resume", "--set", "net_arch=[32,32]")
    assert out.exit_code != 0 and "does not fit the agent this config builds" in str(out.exception)
    assert (killed / "config.yaml").read_text() == saved  # the refused resume changed nothing


def _policy(run_dir):
    from stable_baselines3 import TD3

    return TD3.load(run_dir / "agent.zip", device="cpu").policy.state_dict()


@pytest.mark.slow
def test_generate_with_the_embedded_model_writes_the_run_directory(tmp_path):
    """The real pipeline (embedded SmolLM2-135M under the grammar, real sandbox), cut to one candidate and no repair."""
    run_dir = tmp_path / "gen"
    out = invoke("lare", "generate", "--env", "Reacher-v5", "--n-candidates", "1", "--max-tokens", "200",
                 "--repair-budget", "0", "--output", str(run_dir), LLMRL_CACHE_DIR=str(tmp_path / "cache"))
    assert (yaml.safe_load((run_dir / "config.yaml").read_text()))["n_candidates"] == 1
    replies = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [(r["stage"], r["index"]) for r in replies] == [("candidate", 0), ("round", 0)]
    summary = (run_dir / "summary.md").read_text()
    assert "Grammar-constrained decoding: on." in summary and "- candidates: " in summary
    if out.exit_code == 0:  # accepted: the function is in the run directory, where `lare train --latent` finds it
        latent = json.loads((run_dir / "latent_function.json").read_text())
        assert latent["grammar"] and "def evaluation_func" in latent["code"] and replies[1]["validated"]
        assert latent["code"].strip() in summary
    else:  # rejected (e.g. the reply was cut at 200 tokens): the run directory says why
        assert not replies[1]["validated"] and "Nothing survived validation" in summary
        assert not (run_dir / "latent_function.json").exists()
