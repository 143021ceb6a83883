"""llmrl_core.lazy: lazily exported names are listed by dir() and imported only on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_dir_lists_lazy_names_before_any_is_imported() -> None:
    code = (
        "import sys, llmrl_core.testing as t\n"
        "print('SandboxConformance' in dir(t), 'llmrl_core.testing.sandboxes' in sys.modules)\n"
        "suite = t.SandboxConformance\n"
        "print('llmrl_core.testing.sandboxes' in sys.modules, t.__dict__['SandboxConformance'] is suite)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["True", "False", "True", "True"]


def test_unknown_names_are_attribute_errors_naming_the_module() -> None:
    import llmrl_core.testing as testing

    with pytest.raises(AttributeError, match="module 'llmrl_core.testing' has no attribute 'Nope'"):
        testing.Nope  # noqa: B018
