"""Config files, overrides and the errors they give."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from llmrl_core import ConfigError, load_config
from llmrl_core.config import apply_overrides


class Optim(BaseModel):
    lr: float = 1e-5
    betas: tuple[float, float] = (0.9, 0.95)


class TrainConfig(BaseModel):
    model: str = "smollm2-135m"
    steps: int = 10
    optim: Optim = Optim()


def test_defaults_without_file():
    assert load_config(TrainConfig).steps == 10


@pytest.mark.parametrize("suffix,text", [
    (".yaml", "steps: 3\noptim:\n  lr: 0.001\n"),
    (".toml", "steps = 3\n[optim]\nlr = 0.001\n"),
    (".json", '{"steps": 3, "optim": {"lr": 0.001}}'),
])
def test_file_formats(tmp_path, suffix, text):
    path = tmp_path / f"c{suffix}"
    path.write_text(text)
    cfg = load_config(TrainConfig, path)
    assert (cfg.steps, cfg.optim.lr, cfg.model) == (3, 0.001, "smollm2-135m")


def test_overrides_win_over_file_and_parse_scalars(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("steps: 3\n")
    cfg = load_config(TrainConfig, path, ["steps=7", "optim.lr=2e-4", "model=my/model"])
    assert (cfg.steps, cfg.optim.lr, cfg.model) == (7, 2e-4, "my/model")


def test_bad_value_names_the_nested_field(tmp_path):
    with pytest.raises(ConfigError, match=r"optim\.lr: .*'fast'"):
        load_config(TrainConfig, overrides=["optim.lr=fast"])


@pytest.mark.parametrize("name,text,message", [
    ("c.yaml", "steps: [1, 2\n", "does not parse"),
    ("c.toml", "steps = \n", "does not parse"),
    ("c.ini", "steps=1", "unknown format"),
    ("c.yaml", "- 1\n- 2\n", "mapping at the top"),
])
def test_bad_files(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(TrainConfig, path)


def test_missing_file():
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(TrainConfig, "/nonexistent/c.yaml")


def test_override_without_equals_sign():
    with pytest.raises(ConfigError, match="key=value"):
        apply_overrides({}, ["steps"])
