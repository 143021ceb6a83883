"""ToRL's config is composed of the parts the training entry point reads plus its own; GRPO's
instruction and rewards are not in it, so setting them is an error rather than a silent no-op."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from llmrl_core.config import load_config
from llmrl_core.errors import ConfigError
from llmrl_grpo.config import GRPOTrainConfig, RecipeConfig
from llmrl_toolrl.config import ToRLTrainConfig


def test_only_the_parts_it_uses() -> None:
    assert set(ToRLTrainConfig.model_fields) == set(RecipeConfig.model_fields) | {"tools", "exec_penalty"}
    assert set(GRPOTrainConfig.model_fields) == set(RecipeConfig.model_fields) | {"instruction", "system_prompt", "rewards"}
    cfg = ToRLTrainConfig()
    assert (cfg.mode, cfg.generation.max_completion_length, cfg.output) == ("grpo", 256, "runs/toolrl")
    # a part narrowed by ToRL keeps its own default when another field of the part is set
    assert load_config(ToRLTrainConfig, overrides=["generation.temperature=0.7"]).generation.max_completion_length == 256


@pytest.mark.parametrize("override", ["rewards.language=zh", "instruction={question}", "eval.pass_k=4",
                                      "eval.metrics=[pass@k]"])
def test_grpo_fields_nothing_here_reads_are_refused(override: str) -> None:
    with pytest.raises(ConfigError, match="Extra inputs are not permitted"):
        load_config(ToRLTrainConfig, overrides=[override])


def test_cli_refuses_them_before_loading_anything(tmp_path) -> None:
    code = "import sys; from llmrl_core.cli.main import run; sys.argv = ['llmrl', *sys.argv[1:]]; run()"
    out = subprocess.run([sys.executable, "-c", code, "toolrl", "train", "--output", str(tmp_path / "r"),
                          "--set", "rewards.language=zh"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "400"})
    assert out.returncode == 2 and "rewards" in out.stderr and "not permitted" in out.stderr, out.stderr
    assert not (tmp_path / "r").exists()
    out = subprocess.run([sys.executable, "-c", code, "toolrl", "train", "--output", str(tmp_path / "r"),
                          "--sandbox", "nosuchbox"], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "COLUMNS": "400"})
    assert out.returncode == 2 and "unknown sandbox 'nosuchbox'" in out.stderr and "local" in out.stderr, out.stderr
