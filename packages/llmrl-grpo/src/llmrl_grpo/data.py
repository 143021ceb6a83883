"""From an llmrl ``Task`` to the prompt/answer rows TRL's GRPOTrainer reads."""

from __future__ import annotations

import logging
from typing import Any

from llmrl_core.task import TaskExample

log = logging.getLogger(__name__)


def chat_messages(example: TaskExample, instruction: str, system_prompt: str | None = None) -> list[dict[str, Any]]:
    """The chat a model sees: optional system prompt, then the question inside the instruction.

    An example with an image (``metadata["image"]``) gets it inside the user message, as MAYE does.
    """
    text = instruction.format(question=example.prompt)
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt}] if system_prompt else []
    if example.metadata.get("image") is not None:
        messages.append({"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]})
    else:
        messages.append({"role": "user", "content": text})
    return messages


def usable_examples(examples: list[TaskExample]) -> tuple[list[TaskExample], int]:
    """The examples with a reference answer, and how many were skipped for lacking one."""
    kept = [e for e in examples if e.reference is not None and str(e.reference).strip()]
    skipped = len(examples) - len(kept)
    if skipped:
        log.warning("skipped %d example(s) without a reference answer", skipped)
    return kept, skipped


def to_dataset(examples: list[TaskExample], instruction: str, system_prompt: str | None = None):
    """A ``datasets.Dataset`` with ``prompt`` (chat messages), ``answer``, ``id`` (and ``image``)."""
    from datasets import Dataset

    rows: dict[str, list[Any]] = {"prompt": [], "answer": [], "id": []}
    images = [e.metadata.get("image") for e in examples]
    for example in examples:
        rows["prompt"].append(chat_messages(example, instruction, system_prompt))
        rows["answer"].append(str(example.reference))
        rows["id"].append(example.id)
    if any(image is not None for image in images):
        rows["image"] = images
    return Dataset.from_dict(rows)
