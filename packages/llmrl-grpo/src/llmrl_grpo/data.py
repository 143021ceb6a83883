"""From an llmrl ``Task`` to the prompt/answer rows TRL's GRPOTrainer reads."""

from __future__ import annotations

import logging
from typing import Any

from llmrl_core.task import TaskExample

log = logging.getLogger(__name__)


IMAGE_MARKER = "<image>"
"""Where a dataset's question text says its picture goes (MAYE's data, the ``dots`` task); the picture goes in
its own block of the user message instead, so the marker is dropped from the text."""


def has_image(example: TaskExample) -> bool:
    """Whether the example comes with a picture (``metadata["image"]``: a PIL image or a file path)."""
    return example.metadata.get("image") is not None


def chat_messages(example: TaskExample, instruction: str, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """The chat a model sees: optional system prompt, then the question inside the instruction (text only).

    An example's picture is not in it: TRL's ``prepare_multimodal_messages`` puts it as an image block
    before the text of the user message (from the dataset's ``image`` column, or :func:`image_chat`).
    """
    question = example.prompt.replace(IMAGE_MARKER, "").strip() if has_image(example) else example.prompt
    text = instruction.format(question=question)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    messages.append({"role": "user", "content": text})
    return messages


def image_chat(example: TaskExample, instruction: str, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """:func:`chat_messages` with the example's picture in the user message, as TRL gives it to a processor."""
    from trl.data_utils import prepare_multimodal_messages

    images = [open_image(example.metadata["image"])] if has_image(example) else []
    return prepare_multimodal_messages(chat_messages(example, instruction, system_prompt), images=images)


def open_image(image: Any) -> Any:
    """A PIL image from a task's ``metadata["image"]`` (a PIL image, or a path read now)."""
    if not isinstance(image, str):
        return image
    from PIL import Image

    with Image.open(image) as opened:
        return opened.convert("RGB")


def usable_examples(examples: list[TaskExample]) -> tuple[list[TaskExample], int]:
    """The examples with a reference answer, and how many were skipped for lacking one."""
    kept = [e for e in examples if e.reference is not None and str(e.reference).strip()]
    skipped = len(examples) - len(kept)
    if skipped:
        log.warning("skipped %d example(s) without a reference answer", skipped)
    return kept, skipped


def to_dataset(examples: list[TaskExample], instruction: str, system_prompt: str | None = None):
    """A ``datasets.Dataset`` with ``prompt`` (chat messages), ``answer``, ``id`` and, when any example has a
    picture, ``image`` (a ``datasets.Image``: PIL images and paths alike are read as PIL images).

    TRL's GRPOTrainer reads the ``image`` column and puts each picture into its row's user message.
    """
    from datasets import Dataset, Image

    rows: dict[str, list[Any]] = {"prompt": [], "answer": [], "id": []}
    for example in examples:
        rows["prompt"].append(chat_messages(example, instruction, system_prompt))
        rows["answer"].append(str(example.reference))
        rows["id"].append(example.id)
    text = Dataset.from_dict(rows)
    if not any(has_image(example) for example in examples):
        return text
    features = text.features.copy()
    features["image"] = Image()  # encodes PIL images and file paths alike (mixed, a column's type can't be inferred)
    return Dataset.from_dict({**rows, "image": [example.metadata.get("image") for example in examples]}, features=features)
