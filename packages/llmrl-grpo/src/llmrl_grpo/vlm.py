"""VLMs train their language model only: the vision tower and the projector stay frozen (MAYE)."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

# Parameter-name prefixes of vision towers and projectors (Qwen2/2.5-VL keep both under ``visual``,
# the projector being ``visual.merger``; LLaVA-style models use the other two).
VISION_PREFIXES = ("visual.", "vision_tower.", "vision_model.", "multi_modal_projector.", "mm_projector.")


def _is_vision(name: str) -> bool:
    parts = name.split(".")
    return any(".".join(parts[i:]).startswith(VISION_PREFIXES) for i in range(len(parts)))


def freeze_vision(model: Any) -> dict[str, int]:
    """Freeze every vision/projector parameter of ``model``; return the frozen and trainable counts."""
    frozen = trainable = 0
    for name, param in model.named_parameters():
        if _is_vision(name):
            param.requires_grad_(False)
            frozen += param.numel()
        elif param.requires_grad:
            trainable += param.numel()
    if frozen:
        log.info("froze %d vision/projector parameters; %d language-model parameters train", frozen, trainable)
    return {"frozen": frozen, "trainable": trainable}
