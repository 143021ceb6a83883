"""The math tasks: conformance, the generator's knobs and split, the file loaders' shapes."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmrl_core import get_task
from llmrl_core.errors import ConfigError, UnknownComponentError
from llmrl_core.testing import TaskConformance

DATA = Path(__file__).parent / "data"


class TestArithmeticConformance(TaskConformance):
    task_name = "arithmetic"


class TestWordProblemConformance(TaskConformance):
    task_name = "arithmetic"
    task_config = {"max_value": 99, "operators": ["+", "-", "*"], "word_problem_share": 0.5, "train_size": 500, "test_size": 50}


class TestGSM8KConformance(TaskConformance):
    task_name = "gsm8k"
    task_config = {"path": str(DATA / "gsm8k_sample.jsonl"), "test_fraction": 0.25}


class TestMATHConformance(TaskConformance):
    task_name = "math"
    task_config = {"path": str(DATA / "math_sample.json")}


class TestMMMathConformance(TaskConformance):
    task_name = "mm_math"
    task_config = {"path": str(DATA / "mm_math_sample.parquet")}


def test_test_questions_never_appear_in_train() -> None:
    task = get_task("arithmetic", max_value=20, train_size=300, test_size=60, seed=3)
    train = {e.prompt for e in task.dataset("train")}
    test = [e.prompt for e in task.dataset("test")]
    assert len(test) == 60 and len(train) == 300
    assert not train & set(test)


def test_answers_are_right_and_seed_changes_the_draw() -> None:
    task = get_task("arithmetic", max_value=50, operators=["+", "-", "*"], num_operands=3, train_size=100, test_size=20)
    for e in task.dataset("train"):
        assert int(e.reference) == eval(e.metadata["expression"])  # noqa: S307 - generated digits
        assert int(e.reference) >= 0
    other = get_task("arithmetic", max_value=50, operators=["+", "-", "*"], num_operands=3, train_size=100, test_size=20, seed=1)
    assert [e.prompt for e in task.dataset("test")] != [e.prompt for e in other.dataset("test")]


def test_word_problems_are_phrased_in_words() -> None:
    task = get_task("arithmetic", word_problem_share=1.0, max_value=30, train_size=50, test_size=10)
    assert all(not e.prompt.startswith("What is") and "How many" in e.prompt for e in task.dataset("train"))


def test_impossible_sizes_and_bad_knobs_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="distinct questions"):
        get_task("arithmetic", max_value=9, train_size=500)
    with pytest.raises(ConfigError, match="min_value"):
        get_task("arithmetic", min_value=10, max_value=5)
    with pytest.raises(ConfigError, match="operators"):
        get_task("arithmetic", operators=["/"])
    with pytest.raises(UnknownComponentError, match="arithmetic"):
        get_task("arithmetc")


def test_gsm8k_answer_after_marker_and_rows_without_answer_skipped(caplog) -> None:
    task = get_task("gsm8k", path=str(DATA / "gsm8k_sample.jsonl"), test_fraction=0.25)
    examples = task.dataset("train") + task.dataset("test")
    assert len(examples) == 12 and task.skipped == 1
    assert all("," not in e.reference and e.reference.isdigit() for e in examples)
    assert "skipped 1 of 13" in caplog.text
    assert task.score("So there are \\boxed{" + examples[0].reference + "} hens", examples[0].reference) == 1.0


def test_math_answer_from_boxed_solution() -> None:
    task = get_task("math", path=str(DATA / "math_sample.json"), test_path=str(DATA / "math_sample.json"), limit=4)
    first = task.dataset("train")[0]
    assert first.reference == "\\frac{2}{2}" and first.metadata["level"] == "Level 1"
    assert task.score("It is $\\boxed{1}$", first.reference) == 1.0  # 2/2 = 1, compared by value


def test_mm_math_keeps_the_image_path() -> None:
    task = get_task("mm_math", path=str(DATA / "mm_math_sample.parquet"))
    example = (task.dataset("train") + task.dataset("test"))[0]
    assert example.metadata["image"] == str(DATA / "images" / f"{example.id.rsplit('-', 1)[-1]}.png")
    assert "<image>" in example.prompt and task.skipped == 1


def test_missing_file_and_unknown_format_are_clear() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        get_task("gsm8k", path="/nonexistent/train.jsonl")
    with pytest.raises(ConfigError, match="unknown format"):
        get_task("gsm8k", path=__file__)
    with pytest.raises(ConfigError, match="path"):
        get_task("gsm8k")
