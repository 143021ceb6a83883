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


OPTIONAL_TOOL = (
    "<|im_start|>user\nWhat is 23 * 41? You may use Python.<|im_end|>\n<|im_start|>assistant\n```python\n"
    "print(23 * 41)\n```\n```output\n943\n```\nThe answer is \\boxed{{943}}.<|im_end|>\n"
    "<|im_start|>user\n{question} You may use Python.<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.mark.slow
def test_tool_use_and_accuracy_rise_on_a_fixed_prompt_set(tmp_path):
    # Two-digit products: the untrained model answers right through the tool and wrong without it, and the
    # prompt leaves calling it to the model (no assistant prefix), so the +1/-1 reward should teach tool use.
    # Measured on the 2-core CPU (1 thread): share calling the tool 0.44, 1.00, 1.00; accuracy 0.19, 0.19, 0.94
    # (steps 4-5 of a longer run: share 1.00, 0.94; accuracy 1.00, 0.94).
    from llmrl_toolrl.recipe import train

    cfg = ToRLTrainConfig(
        output=str(tmp_path / "run"), steps=3, save_steps=3, seed=0, task="multiplication",
        task_config={"seed": 0, "train_size": 8, "test_size": 4},
        generation={"completions_per_step": 16, "num_generations": 8, "max_completion_length": 40},
        eval={"before": False, "after": False}, optim={"learning_rate": 1e-4},
        tools=ToolConfig(prompt_template=OPTIONAL_TOOL, timeout_s=5,
                         sandbox_config={"workers": 2, "light_preload": None, "preload": ["math"]}),
    )
    train(cfg)
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    share = [r["tools/response_share"] for r in records]
    accuracy = [r["tools/accuracy"] for r in records]
    assert len(records) == 3, records
    assert min(share[1:]) >= share[0] + 0.25, f"share of responses calling the tool per step {share}"
    assert accuracy[-1] >= accuracy[0] + 0.25, f"accuracy per step {accuracy}, tool share {share}"


def test_training_refuses_an_existing_run(tmp_path):
    from llmrl_core.errors import ConfigError
    from llmrl_grpo.run import RunDir, prepare_run_dir

    run = RunDir(tmp_path / "run")
    run.root.mkdir()
    run.metrics.write_text("{}\n")
    with pytest.raises(ConfigError, match="--resume"):
        prepare_run_dir(_cfg(tmp_path, 1), run, resume=False)
