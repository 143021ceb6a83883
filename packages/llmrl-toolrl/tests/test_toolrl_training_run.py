"""A short real ToRL training run on the embedded model: the run directory, tool metrics, resume."""

from __future__ import annotations

import json

import pytest

from llmrl_toolrl.config import ToolConfig, ToRLTrainConfig

ONE_SHOT = (
    "<|im_start|>user\nWhat is 2 + 3? Use Python.<|im_end|>\n<|im_start|>assistant\n```python\nprint(2 + 3)\n```\n"
    "```output\n5\n```\nThe answer is \\boxed{{5}}.<|im_end|>\n<|im_start|>user\n{question} Use Python.<|im_end|>\n"
    "<|im_start|>assistant\n"
)


def _cfg(tmp_path, steps: int) -> ToRLTrainConfig:
    return ToRLTrainConfig(
        output=str(tmp_path / "run"), steps=steps, save_steps=1,
        generation={"completions_per_step": 2, "num_generations": 2, "max_completion_length": 32, "temperature": 0.7},
        eval={"before": False, "after": False}, optim={"learning_rate": 1e-5, "beta": 0.0},
        tools=ToolConfig(prompt_template=ONE_SHOT, assistant_prefix="```python\n", timeout_s=5,
                         sandbox_config={"workers": 2, "light_preload": None, "preload": ["math"]}),
    )


def test_short_training_run_and_resume(tmp_path):
    from llmrl_toolrl.recipe import train

    result = train(_cfg(tmp_path, 2))
    run = tmp_path / "run"
    assert result["stopped_at"] == 2
    lines = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [1, 2]
    for rec in lines:
        for key in ("tools/calls_per_response", "tools/exec_success_rate", "tools/response_share", "tools/accuracy"):
            assert key in rec, sorted(rec)
        assert rec["tools/calls_per_response"] <= 1.0
        assert rec["rewards/toolrl/mean"] in {-1.0, 0.0, 1.0}  # +1 / -1 per response, two responses
    assert (run / "final" / "config.json").is_file() and (run / "curves.png").is_file()
    assert (run / "checkpoints" / "checkpoint-2").is_dir()

    resumed = train(_cfg(tmp_path, 3), resume=True)
    assert resumed["stopped_at"] == 3
    steps = [json.loads(x)["step"] for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3]


def test_training_refuses_an_existing_run(tmp_path):
    from llmrl_core.errors import ConfigError
    from llmrl_grpo.run import RunDir, prepare_run_dir

    run = RunDir(tmp_path / "run")
    run.root.mkdir()
    run.metrics.write_text("{}\n")
    with pytest.raises(ConfigError, match="--resume"):
        prepare_run_dir(_cfg(tmp_path, 1), run, resume=False)
