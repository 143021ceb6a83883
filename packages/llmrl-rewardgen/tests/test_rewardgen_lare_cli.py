"""``llmrl lare`` through the real entry point, as users run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

LLMRL = [sys.executable, "-m", "llmrl_core.cli"]


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([*LLMRL, *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=300)


def test_lare_is_a_registered_command():
    out = run("lare", "--help")
    assert out.returncode == 0 and "generate" in out.stdout and "train" in out.stdout


def test_bad_options_and_a_missing_cache_are_clear_errors(tmp_path):
    out = run("lare", "train", "--env", "Reacher-v5", "--head", "cubic", "--steps", "10")
    assert out.returncode == 2 and "head: Input should be 'linear' or 'mlp'" in " ".join(out.stderr.split())
    out = run("lare", "train", "--env", "Reacher-v5", "--latent", "cache", "--steps", "10", LLMRL_CACHE_DIR=str(tmp_path))
    err = " ".join(out.stderr.split())
    assert out.returncode == 2 and "no generated latent function" in err and "llmrl lare generate --env Reacher-v5" in err


def test_train_writes_a_run_directory(tmp_path):
    """In-process through the root app (the subprocess tests above cover the entry point; this saves an import of torch)."""
    from typer.testing import CliRunner

    from llmrl_core.cli.main import build_app

    run_dir = tmp_path / "run"
    out = CliRunner().invoke(build_app(), ["lare", "train", "--env", "Reacher-v5", "--latent", "example", "--head", "linear", "--steps", "150",
              "--learning-starts", "100", "--eval-every", "150", "--eval-episodes", "1", "--run-dir", str(run_dir)])
    assert out.exit_code == 0, out.output
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["eval_steps"] == [150] and metrics["latent_calls"] == 3 and len(metrics["decoder_weights"]) == 4
    assert (run_dir / "curve.png").stat().st_size > 1000
