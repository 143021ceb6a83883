"""The docs have one source: package pages include their READMEs, config tables come from the models.

A package page holds ``--8<-- "packages/<name>/README.md"`` (mkdocs' snippets extension) instead of a
copy, and config tables are ``<!-- config-table: module.Model -->`` markers that the docs hook
``docs/hooks/config_tables.py`` renders at build time from the pydantic model, so neither can drift.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PACKAGES = sorted(p.parent for p in ROOT.glob("packages/*/README.md"))
MEMBERS = sorted(p.parent for p in [*ROOT.glob("packages/*/README.md"), *ROOT.glob("plugins/*/*/README.md")])

# The configs whose settings a user must be able to look up: the run configs (issue 16, item 7) and the plugins'.
RUN_CONFIGS = {
    "llmrl_grpo.GRPOTrainConfig",
    "llmrl_toolrl.ToRLTrainConfig",
    "llmrl_mpc.PlannerConfig",
    "llmrl_mpc.config.MPCRunConfig",
    "llmrl_mpc.config.L2RRunConfig",
    "llmrl_rewardgen.l2r.L2RConfig",
    "llmrl_rewardgen.lare.GenerateConfig",
    "llmrl_rewardgen.lare.train.TrainConfig",
    "llmrl_seqmodel.ADRunConfig",
    "llmrl_serve.config.ServeConfig",
    # the plugins' settings (get_provider / get_sandbox / get_task keywords)
    "llmrl_provider_openai.config.OpenAIConfig",
    "llmrl_provider_transformers.config.TransformersConfig",
    "llmrl_provider_vllm.config.VLLMConfig",
    "llmrl_sandbox_e2b.config.E2BSandboxConfig",
    "llmrl_sandbox_fusion.config.FusionSandboxConfig",
    "llmrl_sandbox_local.config.LocalSandboxConfig",
    "llmrl_env_math.configs.ArithmeticConfig",
    "llmrl_env_math.configs.FileTaskConfig",
}


def _hook():
    spec = importlib.util.spec_from_file_location("config_tables", DOCS / "hooks" / "config_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _markers() -> list[tuple[str, str, str | None]]:
    return [(page.name, m["model"], m["part"]) for page in sorted(DOCS.rglob("*.md"))
            for m in _hook().MARKER.finditer(page.read_text())]


def _paragraphs(markdown: str) -> set[str]:
    """Blocks of text between blank lines, whitespace-normalised; short ones say too little to be a copy."""
    blocks = (" ".join(block.split()) for block in re.split(r"\n\s*\n", markdown))
    return {block for block in blocks if len(block) >= 80}


def test_the_packages_are_found() -> None:
    assert {p.name for p in PACKAGES} >= {"llmrl-core", "llmrl-grpo", "llmrl-mpc", "llmrl-serve"}


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
def test_package_page_includes_its_readme(package: Path) -> None:
    page = DOCS / f"{package.name}.md"
    include = f'--8<-- "{package.relative_to(ROOT).as_posix()}/README.md"'
    assert include in page.read_text(), f"docs/{page.name} must include the README with the line {include}"


@pytest.mark.parametrize("package", MEMBERS, ids=lambda p: p.name)
def test_no_readme_paragraph_is_copied_into_a_docs_page(package: Path) -> None:
    """A copy drifts from its README; the page includes the README, and says only what it adds."""
    readme = _paragraphs((package / "README.md").read_text())
    for page in sorted(DOCS.rglob("*.md")):
        copied = readme & _paragraphs(page.read_text())
        assert not copied, (f"docs/{page.relative_to(DOCS)} copies {len(copied)} paragraph(s) of "
                            f"{package.name}/README.md, e.g. {sorted(copied)[0][:100]!r}; include the README instead")


def test_every_config_table_marker_renders() -> None:
    markers = _markers()
    assert markers, "no config-table markers found under docs/"
    hook = _hook()
    for page, model, part in markers:
        table = hook.render(model, part)
        assert table.count("\n") >= 2, f"docs/{page}: the table of {model} part={part} has no rows"


def test_every_run_config_has_a_table() -> None:
    missing = RUN_CONFIGS - {model for _, model, _ in _markers()}
    assert not missing, f"no docs page renders a config table of {sorted(missing)}"


class _Inner(BaseModel):
    rate: float = Field(0.1, description="A rate | with a pipe.")
    kind: Literal["a", "b"] = Field("a", description="The kind.")


class _Outer(BaseModel):
    name: str = Field(..., description="Required.")
    limit: int | None = Field(None, description="An optional limit.")
    inner: _Inner = Field(default_factory=lambda: _Inner(rate=0.5), description="A part with its own defaults.")


def test_render_flattens_parts_to_dotted_keys_with_the_parents_defaults(monkeypatch) -> None:
    hook = _hook()
    assert hook.rows(_Outer) == [
        ("name", "str", "required", "Required."),
        ("limit", "int | None", "None", "An optional limit."),
        ("inner.rate", "float", "0.5", "A rate | with a pipe."),
        ("inner.kind", "'a' | 'b'", "'a'", "The kind."),
    ]
    monkeypatch.setattr(hook, "load_model", lambda dotted: _Outer)
    assert hook.render("x._Outer", "inner").splitlines()[2:] == [
        "| `inner.rate` | `float` | `0.5` | A rate &#124; with a pipe. |",
        "| `inner.kind` | `'a' &#124; 'b'` | `'a'` | The kind. |",
    ]
    assert [line.split("|")[1].strip() for line in hook.render("x._Outer", ".").splitlines()[2:]] == ["`name`", "`limit`"]
    with pytest.raises(ValueError, match="part=nope"):
        hook.render("x._Outer", "nope")


def test_a_marker_becomes_a_table_in_the_page(monkeypatch) -> None:
    hook = _hook()
    monkeypatch.setattr(hook, "load_model", lambda dotted: _Outer)
    page = "Intro.\n\n<!-- config-table: some.module._Outer part=. -->\n\nOutro."
    out = hook.on_page_markdown(page, None, None, None)
    assert "config-table" not in out
    assert "| `limit` | `int &#124; None` | `None` | An optional limit. |" in out
