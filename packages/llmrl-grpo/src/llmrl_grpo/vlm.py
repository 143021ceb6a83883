"""Vision-language models: loaded with their processor; the vision tower and projector stay frozen (MAYE).

A model directory whose ``config.json`` has a ``vision_config`` is a VLM: it loads with
``AutoModelForImageTextToText`` and its processor (tokenizer + image processor), which is what
TRL's ``GRPOTrainer`` takes as ``processing_class`` to put the pictures through the model.

Without torchvision, transformers cannot build a Qwen2-VL-style processor: the processor's
constructor checks its video processor, and every video processor needs torchvision. Images
need only Pillow (transformers falls back to the PIL image processors, e.g.
``Qwen2VLImageProcessorPil``), so :func:`load_processor` then builds the same processor class
without its video part (:func:`image_only`): images work, videos do not.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

from llmrl_core.errors import ComponentUnavailableError, ConfigError

log = logging.getLogger(__name__)

# Parameter-name prefixes of vision towers and projectors (Qwen2/2.5-VL keep both under ``visual``,
# the projector being ``visual.merger``; LLaVA-style models use the other two).
VISION_PREFIXES = ("visual.", "vision_tower.", "vision_model.", "multi_modal_projector.", "mm_projector.")


def _is_vision(name: str) -> bool:
    parts = name.split(".")
    return any(".".join(parts[i:]).startswith(VISION_PREFIXES) for i in range(len(parts)))


def vision_parameter_names(model: Any) -> list[str]:
    """The names of ``model``'s vision-tower and projector parameters."""
    return [name for name, _ in model.named_parameters() if _is_vision(name)]


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


def is_vlm_config(config: Any) -> bool:
    """Whether a transformers config is a vision-language model's (it has a vision tower)."""
    return getattr(config, "vision_config", None) is not None


def is_processor(processing_class: Any) -> bool:
    """Whether ``processing_class`` is a VLM's processor (TRL's test: a ``ProcessorMixin``), not a tokenizer."""
    from transformers import ProcessorMixin

    return isinstance(processing_class, ProcessorMixin)


def text_tokenizer(processing_class: Any) -> Any:
    """The tokenizer of a processor, or the tokenizer itself."""
    return processing_class.tokenizer if is_processor(processing_class) else processing_class


def check_images_fit(vlm: bool, examples: list[Any], model: str, task: str | None = None) -> None:
    """A ConfigError when pictures would be dropped: a task with images for a text-only model.

    (A VLM on a text-only task is fine: TRL and the processor take prompts without pictures.)
    """
    from llmrl_grpo.data import has_image

    pictured = sum(has_image(e) for e in examples)
    if pictured and not vlm:
        where = f"task {task!r}" if task else "the evaluation examples"
        raise ConfigError(f"{where} asks about pictures ({pictured} of {len(examples)} examples have an image), but "
                          f"model {model!r} is text-only (its config.json has no vision_config): give a vision-language "
                          "model's local directory (e.g. a saved Qwen2-VL with its processor)")


@cache
def image_only(processor_class: type) -> type:
    """``processor_class`` without its video processor (same name, so a saved processor loads as the original).

    Its ``__init__`` takes no ``video_processor``, so transformers neither loads one nor checks its class. For
    processors whose parts are (image processor, tokenizer, video processor): Qwen2/2.5/3-VL, GLM-4V and most others.
    """
    parts = processor_class.get_attributes()
    if parts != ["image_processor", "tokenizer", "video_processor"]:
        raise ComponentUnavailableError(
            f"{processor_class.__name__} (parts: {', '.join(parts)}) needs torchvision to be built here; llmrl builds "
            "only (image processor, tokenizer, video processor) processors without it: install torchvision")
    base_init = processor_class.__init__

    def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
        # the base hands (image, tokenizer, video=None) on; ProcessorMixin pairs them with this class's two parts
        base_init(self, image_processor=image_processor, tokenizer=tokenizer, video_processor=None,
                  chat_template=chat_template, **kwargs)

    doc = f"{processor_class.__name__} for images only (no video processor: this install has no torchvision)."
    return type(processor_class.__name__, (processor_class,), {"__init__": __init__, "__doc__": doc,
                                                               "__module__": processor_class.__module__})


def load_processor(path: str, **kwargs: Any) -> Any:
    """The processor saved with the model at ``path``; without torchvision, its image-only form (see module doc)."""
    import inspect

    from transformers import AutoConfig, AutoProcessor
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING
    from transformers.utils import is_torchvision_available

    if is_torchvision_available():
        return AutoProcessor.from_pretrained(path, **kwargs)
    config = AutoConfig.from_pretrained(path, **kwargs)
    try:
        processor_class = PROCESSOR_MAPPING[type(config)]
    except KeyError:
        raise ConfigError(f"model {path!r} ({config.model_type}) has no processor class known to transformers, "
                          "so its images cannot be prepared") from None
    if "video_processor" in inspect.signature(processor_class.__init__).parameters:
        processor_class = image_only(processor_class)
    return processor_class.from_pretrained(path, **kwargs)


def load_vlm(path: str, *, dtype: Any = None, **kwargs: Any) -> tuple[Any, Any]:
    """``(model, processor)`` of the VLM saved at ``path`` (``AutoModelForImageTextToText``)."""
    from transformers import AutoModelForImageTextToText

    processor = load_processor(path, **kwargs)
    model = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype, **kwargs)
    return model, processor
