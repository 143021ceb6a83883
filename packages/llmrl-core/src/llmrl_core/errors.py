"""Errors that say what failed, why, and how to fix it."""

from __future__ import annotations


class LlmrlError(Exception):
    """Base class for every error llmrl raises on purpose."""


class UnknownComponentError(LlmrlError, LookupError):
    """A component name that no loaded plugin provides."""

    def __init__(self, kind: str, name: str, known: list[str], hint: str | None = None,
                 installable: dict[str, str] | None = None, *, failed: list[str] | None = None,
                 duplicates: list[str] | None = None, skipped: list[str] | None = None):
        """``installable`` maps names not installed here to the distribution that provides them.

        ``failed`` (plugins that did not load, with their errors), ``duplicates`` (names of this
        kind rejected because two distributions register them) and ``skipped`` (installed
        plugins that LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE kept out) may explain the miss.
        """
        self.kind, self.name, self.known = kind, name, sorted(known)
        import difflib

        installable = {k: v for k, v in (installable or {}).items() if k not in self.known and k != name}
        close = difflib.get_close_matches(name, [*self.known, *installable], n=3, cutoff=0.5)
        lines = [f"unknown {kind} {name!r}."]
        if close:
            described = [repr(c) + (f" (pip install {installable[c]})" if c in installable else "") for c in close]
            lines.append(f"Did you mean: {', '.join(described)}?")
        lines.append(f"Installed: {', '.join(self.known) if self.known else '(none)'}.")
        if hint:
            lines.append(hint)
        if duplicates:
            lines.append(f"Rejected because two distributions register them: {'; '.join(duplicates)}.")
        if failed:
            lines.append(f"Plugins that failed to load (see `llmrl plugins`): {'; '.join(failed)}.")
        if skipped:
            lines.append(f"Not loaded because of LLMRL_PLUGINS / LLMRL_PLUGINS_EXCLUDE: {', '.join(skipped)}.")
        super().__init__(" ".join(lines))


class DuplicateComponentError(LlmrlError):
    """Two distributions register a component under the same name."""

    def __init__(self, kind: str, name: str, distributions: list[str]):
        self.kind, self.name, self.distributions = kind, name, distributions
        super().__init__(
            f"{kind} {name!r} is registered by more than one distribution: "
            f"{' and '.join(distributions)}. Uninstall one of them, or skip one with "
            f"LLMRL_PLUGINS_EXCLUDE={distributions[-1]}."
        )


class ComponentUnavailableError(LlmrlError):
    """A component exists but cannot run here (a missing extra, no GPU, ...)."""


class SandboxUnavailableError(ComponentUnavailableError, RuntimeError):
    """The sandbox itself cannot run code (not the code it was given): it failed to start, or it fails executions.

    The one sandbox-failure error of every sandbox plugin and package: a sandbox that cannot start raises it,
    and a caller that finds a sandbox failing (``sandbox_error`` results) raises it rather than scoring or
    repairing code that never ran. The message names the sandbox and the fix.
    """


class ConfigError(LlmrlError, ValueError):
    """An invalid configuration: names the bad field and what it should be."""


class PluginLoadError(LlmrlError):
    """A plugin's entry point or hook raised while loading."""
