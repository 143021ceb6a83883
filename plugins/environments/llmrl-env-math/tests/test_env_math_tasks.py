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


class TestGeometry3KConformance(TaskConformance):
    task_name = "geometry3k"
    task_config = {"path": str(DATA / "geometry3k_sample.jsonl"), "test_fraction": 0.25}


class TestMultiplicationConformance(TaskConformance):
    task_name = "multiplication"
    task_config = {"phrasings": ["symbol", "times", "cross", "product", "multiply", "word"]}


class TestDotsConformance(TaskConformance):
    task_name = "dots"
    task_config = {"train_size": 12, "test_size": 4, "image_size": 56, "dot_radius": 3}


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


def test_multiplication_products_phrasings_and_disjoint_pairs() -> None:
    task = get_task("multiplication", phrasings=["times", "word"], train_size=300, test_size=60, seed=4)
    train, test = task.dataset("train"), task.dataset("test")
    for e in train + test:
        a, b = e.metadata["a"], e.metadata["b"]
        assert int(e.reference) == a * b and 10 <= a <= 99 and 10 <= b <= 99
        assert f"{a} times {b}" in e.prompt if e.metadata["phrasing"] == "times" else "boxes" in e.prompt
    assert {e.metadata["phrasing"] for e in train} == {"times", "word"}
    pairs = lambda split: {frozenset((e.metadata["a"], e.metadata["b"])) for e in split}  # noqa: E731
    assert not pairs(train) & pairs(test)
    with pytest.raises(ConfigError, match="factor pairs"):
        get_task("multiplication", min_a=2, max_a=9, min_b=2, max_b=9)
    with pytest.raises(ConfigError, match="phrasings"):
        get_task("multiplication", phrasings=["shout"])


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


def test_mm_math_rows_name_image_files_that_load() -> None:
    from llmrl_env_math.images import open_image

    task = get_task("mm_math", path=str(DATA / "mm_math_sample.parquet"))
    example = (task.dataset("train") + task.dataset("test"))[0]
    assert example.metadata["image"] == str(DATA / "images" / f"{example.id.rsplit('-', 1)[-1]}.png")
    assert "<image>" in example.prompt and task.skipped == 1
    picture = open_image(example.metadata["image"])
    assert picture.size == (56, 56) and picture.mode == "RGB"


def test_geometry3k_hub_rows_take_problem_and_their_one_image() -> None:
    task = get_task("geometry3k", path=str(DATA / "geometry3k_sample.jsonl"), test_path=str(DATA / "geometry3k_sample.jsonl"))
    first = task.dataset("train")[0]
    assert first.prompt.startswith("<image>The legs") and first.reference == "5"
    assert first.metadata["image"] == str(DATA / "images" / "g0.png")


def test_image_bytes_from_parquet_decode_and_a_missing_file_names_the_row(tmp_path) -> None:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    png = io.BytesIO()
    from PIL import Image

    Image.new("RGB", (30, 20), "red").save(png, format="PNG")
    rows = [{"id": f"r{i}", "question": "<image>What colour?", "answer": str(i),
             "image": {"bytes": png.getvalue(), "path": None}} for i in range(4)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet")
    task = get_task("mm_math", path=str(tmp_path / "rows.parquet"), test_fraction=0.25)
    assert task.dataset("train")[0].metadata["image"].size == (30, 20)  # decoded from the row's bytes

    (tmp_path / "missing.jsonl").write_text('{"id": "m7", "question": "<image>?", "answer": "1", "image": "pics/none.png"}\n')
    with pytest.raises(ConfigError, match=r"row 'm7'.*pics/none.png.*does not exist"):
        get_task("mm_math", path=str(tmp_path / "missing.jsonl"), test_path=str(tmp_path / "missing.jsonl"))
    (tmp_path / "two.jsonl").write_text('{"id": "t", "question": "?", "answer": "1", "images": ["a.png", "b.png"]}\n')
    with pytest.raises(ConfigError, match="2 images"):
        get_task("geometry3k", path=str(tmp_path / "two.jsonl"), test_path=str(tmp_path / "two.jsonl"))


def test_dots_pictures_show_the_answer() -> None:
    task = get_task("dots", train_size=6, test_size=3, image_size=56, dot_radius=3, min_dots=1, max_dots=6, seed=2)
    for example in task.dataset("train") + task.dataset("test"):
        picture = example.metadata["image"]
        assert picture.size == (56, 56) and example.prompt.startswith("<image>")
        dark = {(x, y) for x in range(56) for y in range(56) if sum(picture.getpixel((x, y))) < 300}
        assert _blobs(dark) == int(example.reference)  # count the drawn dots back from the pixels
    again = get_task("dots", train_size=6, test_size=3, image_size=56, dot_radius=3, min_dots=1, max_dots=6, seed=2)
    assert again.dataset("test")[0].metadata["image"].tobytes() == task.dataset("test")[0].metadata["image"].tobytes()
    with pytest.raises(ConfigError, match="do not fit"):
        get_task("dots", max_dots=40, min_dots=40, image_size=28, dot_radius=5)
    with pytest.raises(ConfigError, match="min_dots"):
        get_task("dots", min_dots=5, max_dots=2)


def _blobs(pixels: set[tuple[int, int]]) -> int:
    """Connected groups of pixels (4-neighbourhood)."""
    seen: set[tuple[int, int]] = set()
    count = 0
    for start in pixels:
        if start in seen:
            continue
        count += 1
        stack = [start]
        while stack:
            x, y = stack.pop()
            if (x, y) in seen or (x, y) not in pixels:
                continue
            seen.add((x, y))
            stack += [(x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)]
    return count


def test_missing_file_and_unknown_format_are_clear() -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        get_task("gsm8k", path="/nonexistent/train.jsonl")
    with pytest.raises(ConfigError, match="unknown format"):
        get_task("gsm8k", path=__file__)
    with pytest.raises(ConfigError, match="path"):
        get_task("gsm8k")
