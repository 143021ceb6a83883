"""Configs: pydantic models filled from YAML/TOML files and ``key.sub=value`` overrides."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from llmrl_core.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def format_validation_error(exc: ValidationError, where: str) -> str:
    """One line naming each bad field, what is wrong, and the value given."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(root)"
        got = err.get("input")
        got_txt = "" if err["type"] == "missing" else f" (got {got!r})"
        parts.append(f"{field}: {err['msg']}{got_txt}")
    return f"invalid {where}: " + "; ".join(parts)


def validate_config(model: type[M], data: dict[str, Any], *, where: str = "config") -> dict[str, Any]:
    """Validate ``data`` against ``model``; return the fields as keyword arguments.

    Unknown keys are an error (a typo must not be silently ignored).
    """
    validated = validate_config_model(model, data, where=where)
    return {name: getattr(validated, name) for name in type(validated).model_fields}


def validate_config_model(model: type[M], data: dict[str, Any], *, where: str = "config") -> M:
    """Validate ``data`` against ``model`` (unknown keys are an error); return the model."""
    unknown = sorted(set(data) - set(model.model_fields))
    if unknown:
        raise ConfigError(
            f"invalid {where}: unknown field {unknown[0]!r}"
            + (f" (and {', '.join(map(repr, unknown[1:]))})" if unknown[1:] else "")
            + f"; valid fields: {', '.join(model.model_fields)}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where)) from None


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Read a ``.yaml``/``.yml``/``.toml``/``.json`` file into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file {str(path)!r} does not exist")
    text = path.read_text()
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data = tomllib.loads(text)
        elif suffix in (".yaml", ".yml", ".json"):
            data = yaml.safe_load(text) or {}
        else:
            raise ConfigError(f"config file {str(path)!r}: unknown format {suffix!r}; use .yaml, .toml or .json")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {str(path)!r} does not parse: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {str(path)!r} must hold a mapping at the top, got {type(data).__name__}")
    return data


def apply_overrides(data: dict[str, Any], overrides: list[str] | dict[str, Any]) -> dict[str, Any]:
    """Apply ``a.b=value`` overrides (values parsed as YAML scalars) to a nested dict copy."""
    import copy

    result = copy.deepcopy(data)
    items = overrides.items() if isinstance(overrides, dict) else (_split_override(o) for o in overrides)
    for key, value in items:
        if isinstance(value, str) and not isinstance(overrides, dict):
            value = yaml.safe_load(value) if value != "" else ""
        node = result
        *parents, leaf = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {key!r}: {part!r} is not a section")
        node[leaf] = value
    return result


def _split_override(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"override {text!r} must look like key=value (e.g. training.lr=1e-5)")
    return key.strip(), value.strip()


def load_config(
    model: type[M],
    path: str | Path | None = None,
    overrides: list[str] | dict[str, Any] | None = None,
) -> M:
    """Build ``model`` from an optional file and overrides; errors name the bad field."""
    data = read_config_file(path) if path is not None else {}
    if overrides:
        data = apply_overrides(data, overrides)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        where = f"config {str(path)!r}" if path else "config"
        raise ConfigError(format_validation_error(exc, where)) from None
