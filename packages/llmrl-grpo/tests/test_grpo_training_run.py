"""Real short runs on the embedded SmolLM2-135M: the reward rises; a stopped run resumes in order."""

from __future__ import annotations

import json

import pytest

from llmrl_core.errors import ConfigError, UnknownComponentError
from llmrl_grpo.config import GRPOTrainConfig
from llmrl_grpo.run import RunDir, train

# A fixed set of 8 one-digit additions (resume test); tiny steps keep it cheap.
FIXED = {"task": "arithmetic", "task_config": {"seed": 0, "train_size": 8, "test_size": 8}, "seed": 0}


def _records(run_dir) -> list[dict]:
    return RunDir(run_dir).read_jsonl(RunDir(run_dir).metrics)


@pytest.mark.slow
def test_training_reward_rises_on_a_fixed_prompt_set(tmp_path) -> None:
    # The default run's config and seed (maye, 32 responses/step, 16 tokens, lr 6e-5) on the fixed
    # 51-question train split; measured on the 2-core CPU: reward 0.25, 0.40, 0.73, 0.90, 0.96.
    cfg = GRPOTrainConfig(task="arithmetic", seed=0, output=str(tmp_path / "run"), steps=5,
                          eval={"before": False, "after": False})
    result = train(cfg)
    records = _records(tmp_path / "run")
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5]
    reward = [r["reward"] for r in records]  # accuracy + truncation and language penalties
    first, last = sum(reward[:2]) / 2, sum(reward[-2:]) / 2
    assert last >= first + 0.25, f"mean reward per step {reward}"
    assert (tmp_path / "run" / "final" / "config.json").is_file() and result["stopped_at"] == 5
    for key in ("reflection_ratio", "kl", "rewards/language/mean", "rewards/truncation/mean", "completions/mean_length"):
        assert key in records[-1], key


@pytest.mark.slow
def test_stopped_run_resumes_at_the_same_step_and_data_order(tmp_path) -> None:
    from transformers import TrainerCallback

    base = dict(
        **FIXED, mode="maye", steps=3, generation={"completions_per_step": 4, "max_completion_length": 4},
        optim={"learning_rate": 1e-5}, eval={"before": False, "after": False}, save_steps=2,
    )
    class StopAt2(TrainerCallback):  # what a kill right after the step-2 checkpoint leaves behind
        def on_save(self, args, state, control, **kwargs):
            if state.global_step == 2:
                control.should_training_stop = True

    full = train(GRPOTrainConfig(**base, output=str(tmp_path / "full")))
    assert full["stopped_at"] == 3
    stopped = train(GRPOTrainConfig(**base, output=str(tmp_path / "cut")), callbacks=[StopAt2()])
    assert stopped["stopped_at"] == 2 and not (tmp_path / "cut" / "final").exists()
    with pytest.raises(ConfigError, match="--resume"):
        train(GRPOTrainConfig(**base, output=str(tmp_path / "cut")))
    resumed = train(GRPOTrainConfig(**base, output=str(tmp_path / "cut")), resume=True)
    assert resumed["stopped_at"] == 3
    cut, ref = _records(tmp_path / "cut"), _records(tmp_path / "full")
    assert [r["step"] for r in cut] == [1, 2, 3]
    assert [r["batch_ids"] for r in cut] == [r["batch_ids"] for r in ref]  # same data order after the resume
    assert len({tuple(r["batch_ids"]) for r in ref}) == 3  # 8 prompts, 4 a step: step 3 starts a new epoch
    saved = json.loads(json.dumps(RunDir(tmp_path / "cut").config.read_text()))
    assert "mode: maye" in saved


def test_resume_without_a_run_and_unknown_names_are_clear(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no checkpoint"):
        train(GRPOTrainConfig(output=str(tmp_path / "none")), resume=True)
    with pytest.raises(UnknownComponentError, match="arithmetic"):
        train(GRPOTrainConfig(task="arithmatic", output=str(tmp_path / "t")))
    with pytest.raises(ConfigError, match="smollm2-135m"):
        train(GRPOTrainConfig(model="smollm3", output=str(tmp_path / "m")))
