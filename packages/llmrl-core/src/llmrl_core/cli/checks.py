"""Checks a run command makes before it loads anything: do the names it was given exist?

A typo in a task, sandbox or model name should cost a second, not the minutes a model load
takes; the error lists the valid names (and what to install), like the registry's own.
"""

from __future__ import annotations

from llmrl_core.specs import KINDS, ComponentKind


def check_names(model: str | None = None, **components: str) -> None:
    """Raise on an unknown model alias/path or an unknown component: ``check_names(cfg.model, task=cfg.task)``.

    Keywords are component kinds (``task``, ``sandbox``, ``provider``, ``environment``, ``backend``).
    """
    from llmrl_core.registry import _component

    for kind, name in components.items():
        _component(_kind(kind), name, None)
    if model is not None:
        from llmrl_core.models import resolve_model

        resolve_model(model)


def _kind(kind: str) -> ComponentKind:
    if kind not in KINDS:
        raise TypeError(f"check_names: {kind!r} is not a component kind; use one of {', '.join(KINDS)}")
    return kind  # type: ignore[return-value]
