"""MkDocs hook: render config tables on the docs pages from the pydantic models themselves.

A page holds a marker such as ``<!-- config-table: llmrl_grpo.GRPOTrainConfig -->``; this hook
replaces it with one table row per setting (field, type, default, description), nested models
flattened to dotted keys (``optim.learning_rate``). ``part=optim`` renders only that nested part,
``part=.`` only the top-level settings that are not parts. Built from the live model at every docs
build, so a table cannot go stale; integration_tests/tests/test_integration_docs_sources.py checks the markers.
"""

from __future__ import annotations

import importlib
import re
import types
import typing
from enum import Enum

MARKER = re.compile(r"<!-- config-table: (?P<model>[\w.]+)(?: part=(?P<part>[\w.]+))? -->")


def load_model(dotted: str):
    """``package.module.Model`` -> the class, imported by its public name."""
    module_name, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module_name), name)


def _nested_model(annotation):
    """The pydantic model a field holds (directly, not in a container or a union), else None."""
    from pydantic import BaseModel

    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def type_name(annotation) -> str:
    """A short, readable type: ``int | None``, ``'maye' | 'grpo'``, ``list[str]``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " | ".join(repr(value) for value in typing.get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(arg) for arg in typing.get_args(annotation))
    if origin is typing.Annotated:
        return type_name(typing.get_args(annotation)[0])
    if origin is not None:
        args = ", ".join(type_name(arg) for arg in typing.get_args(annotation))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]" if args else origin.__name__
    if annotation is type(None):
        return "None"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return " | ".join(repr(member.value) for member in annotation)
    return getattr(annotation, "__name__", str(annotation).replace("typing.", ""))


_REQUIRED = object()


def _default(field, parent_default, name: str):
    """A field's default; inside a part, the value of the part's own default (which may differ from the class's)."""
    if parent_default is not None:
        return getattr(parent_default, name)
    return _REQUIRED if field.is_required() else field.get_default(call_default_factory=True)


def _text(value) -> str:
    return "required" if value is _REQUIRED else repr(value.value if isinstance(value, Enum) else value)


def rows(model, prefix: str = "", defaults=None) -> list[tuple[str, str, str, str]]:
    """(dotted key, type, default, description) for every setting, nested models expanded in place.

    ``defaults`` is the part's default instance when ``model`` is a part: a parent may give a part
    other defaults than the part's class has (``coder: CodegenConfig = Field(default_factory=...)``).
    """
    out = []
    for name, field in model.model_fields.items():
        value = _default(field, defaults, name)
        nested = _nested_model(field.annotation)
        if nested is not None:
            out += rows(nested, f"{prefix}{name}.", None if value is _REQUIRED else value)
        else:
            out.append((f"{prefix}{name}", type_name(field.annotation), _text(value), field.description or ""))
    return out


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "&#124;")


def render(dotted: str, part: str | None = None) -> str:
    """The markdown table for a model (or one part of it); a bad marker raises, failing the build."""
    all_rows = rows(load_model(dotted))
    if part == ".":
        selected = [row for row in all_rows if "." not in row[0]]
    elif part:
        selected = [row for row in all_rows if row[0].startswith(part + ".")]
    else:
        selected = all_rows
    if not selected:
        raise ValueError(f"config-table {dotted} part={part}: no settings (is the part's name right?)")
    lines = ["| setting | type | default | description |", "|---|---|---|---|"]
    lines += [f"| `{key}` | `{_cell(kind)}` | `{_cell(default)}` | {_cell(text)} |" for key, kind, default, text in selected]
    return "\n".join(lines)


def on_page_markdown(markdown: str, page, config, files) -> str:
    return MARKER.sub(lambda m: render(m["model"], m["part"]), markdown)
