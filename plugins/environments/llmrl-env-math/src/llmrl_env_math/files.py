"""Tasks from your own files, shaped like GSM8K, MATH or mm_math (JSONL, JSON or Parquet).

=========  =====================  ===========================================================
format     question column        answer
=========  =====================  ===========================================================
GSM8K      ``question``           ``answer`` after its ``####`` marker (commas dropped)
MATH       ``problem``            ``answer`` if present, else the last ``\\boxed{}`` of ``solution``
mm_math    ``question``           ``answer`` (else ``solution``'s ``\\boxed{}``); ``image``
geometry3k ``question``/``problem`` ``answer`` (else ``solution``'s ``\\boxed{}``); ``image``/``images``
=========  =====================  ===========================================================

Rows without an answer are skipped and counted (``task.skipped``, and a log warning). An image
(a path relative to the data file, Parquet's ``{"bytes", "path"}`` struct, or a list of one) goes
into ``metadata["image"]`` as an absolute path or a decoded picture; a missing image file is a
``ConfigError`` naming the row (:mod:`llmrl_env_math.images`).
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

from llmrl_core.errors import ComponentUnavailableError, ConfigError
from llmrl_core.task import TaskExample
from llmrl_env_math.configs import FileTaskConfig
from llmrl_env_math.split_task import SplitTask

log = logging.getLogger(__name__)


def read_rows(path: str | Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of a ``.jsonl``, ``.json`` (a list of objects) or ``.parquet`` file."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"data file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError as exc:
            raise ComponentUnavailableError("reading Parquet needs pyarrow: pip install 'llmrl-env-math[parquet]'") from exc
        rows = pq.read_table(path).to_pylist()
    elif suffix == ".jsonl":
        rows = []
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{number} is not valid JSON: {exc}") from None
    elif suffix == ".json":
        rows = json.loads(path.read_text())
        if not isinstance(rows, list):
            raise ConfigError(f"{path} must hold a JSON list of objects")
    else:
        raise ConfigError(f"data file {str(path)!r}: unknown format {suffix!r}; use .jsonl, .json or .parquet")
    return rows[:limit] if limit else rows


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` in ``text`` (braces balanced), or None."""
    start = text.rfind("\\boxed")
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0:
        return None
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j].strip()
    return None


class FileTask(SplitTask):
    """Base of the file-backed tasks; subclasses say how a row becomes a question and an answer."""

    name = "file"
    question_field = "question"
    answer_field = "answer"

    def __init__(self, config: FileTaskConfig) -> None:
        self.config = config
        self.skipped = 0
        self._splits = self._load()

    def answer_of(self, row: dict[str, Any]) -> str | None:
        value = row.get(self.config.answer_field or self.answer_field)
        if value is None or not str(value).strip():
            solution = row.get("solution")
            return last_boxed(str(solution)) if solution else None
        return str(value).strip()

    def question_of(self, row: dict[str, Any]) -> Any:
        return row.get(self.config.question_field or self.question_field)

    def example(self, row: dict[str, Any], split: str, index: int, base: Path) -> TaskExample | None:
        question = self.question_of(row)
        answer = self.answer_of(row)
        if not question or answer is None or not answer.strip():
            return None
        metadata: dict[str, Any] = {k: v for k, v in row.items() if k in ("solution", "level", "type", "subject")}
        ident = str(row.get("id", row.get("unique_id", index)))
        raw = row.get("image", row.get("images"))
        if raw is not None:
            from llmrl_env_math.images import resolve_image

            image = resolve_image(raw, base, f"{ident!r} of {self.name}")
            if image is not None:
                metadata["image"] = image
        return TaskExample(id=f"{self.name}-{split}-{ident}", prompt=str(question), reference=answer, metadata=metadata)

    def _examples(self, path: str, split: str) -> list[TaskExample]:
        rows = read_rows(path, self.config.limit)
        base = Path(path).expanduser().parent
        out = [e for i, row in enumerate(rows) if (e := self.example(row, split, i, base)) is not None]
        skipped = len(rows) - len(out)
        if skipped:
            self.skipped += skipped
            log.warning("%s: skipped %d of %d row(s) without a question or an answer", path, skipped, len(rows))
        return out

    def _load(self) -> dict[str, list[TaskExample]]:
        cfg = self.config
        train = self._examples(cfg.path, "train")
        if cfg.test_path:
            return {"train": train, "test": self._examples(cfg.test_path, "test")}
        if len(train) < 2:
            raise ConfigError(f"{cfg.path} has {len(train)} usable row(s); need 2 or more to hold some out (or pass test_path)")
        order = list(range(len(train)))
        random.Random(cfg.seed).shuffle(order)
        n_test = max(1, round(len(train) * cfg.test_fraction))
        test_idx = set(order[:n_test])
        rename = lambda e, s: TaskExample(e.id.replace("-train-", f"-{s}-", 1), e.prompt, e.reference, e.metadata)  # noqa: E731
        return {
            "train": [e for i, e in enumerate(train) if i not in test_idx],
            "test": [rename(train[i], "test") for i in sorted(test_idx)],
        }


class GSM8KTask(FileTask):
    """GSM8K rows: ``question``, and ``answer`` ending in ``#### 72``."""

    name = "gsm8k"

    def answer_of(self, row: dict[str, Any]) -> str | None:
        value = row.get(self.config.answer_field or "answer")
        if value is None:
            return None
        text = str(value)
        final = text.rsplit("####", 1)[-1] if "####" in text else text
        final = final.strip().replace(",", "")
        return final or None


class MATHTask(FileTask):
    """MATH rows: ``problem``, ``solution`` with a ``\\boxed{}`` answer (or an ``answer`` column)."""

    name = "math"
    question_field = "problem"


class MMMATHTask(FileTask):
    """mm_math rows: ``question`` (with ``<image>``), ``answer``, optional ``solution``, ``image``, ``id``."""

    name = "mm_math"


class Geometry3KTask(FileTask):
    """geometry3k rows as MAYE ships them (``question`` with ``<image>``, ``answer``, ``image``) or as on the
    Hugging Face hub (``problem``, ``answer``, ``images``: a list of one picture)."""

    name = "geometry3k"

    def question_of(self, row: dict[str, Any]) -> Any:
        return row.get(self.config.question_field or "question") or row.get("problem")
