"""llmrl-core: interfaces, the plugin system and the registry every llmrl package uses.

Importing this module is cheap: no torch, transformers, mujoco or vllm.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from llmrl_core.backend import Backend
from llmrl_core.config import load_config
from llmrl_core.errors import (
    ComponentUnavailableError,
    ConfigError,
    DuplicateComponentError,
    LlmrlError,
    PluginLoadError,
    SandboxUnavailableError,
    UnknownComponentError,
)
from llmrl_core.gym_registration import register_env_specs
from llmrl_core.hookspecs import hookimpl
from llmrl_core.plugins import Component, PluginManager, get_plugin_manager, set_plugin_manager
from llmrl_core.provider import (
    ChatMessage,
    FinishReason,
    Generation,
    GrammarUnsupportedError,
    LLMProvider,
    Prompt,
    SamplingParams,
    refuse_grammar,
)
from llmrl_core.registry import (
    get_backend,
    get_provider,
    get_sandbox,
    get_task,
    list_components,
    make_env,
    register_environments,
)
from llmrl_core.sandbox import ExecResult, ExecStatus, Sandbox
from llmrl_core.specs import (
    BackendSpec,
    CommandSpec,
    DoctorCheck,
    EnvironmentSpec,
    ProviderSpec,
    SandboxSpec,
    TaskSpec,
)
from llmrl_core.task import Task, TaskExample

try:
    __version__ = version("llmrl-core")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "Backend", "BackendSpec", "ChatMessage", "CommandSpec", "Component", "ComponentUnavailableError",
    "ConfigError", "DoctorCheck", "DuplicateComponentError", "EnvironmentSpec", "ExecResult", "ExecStatus",
    "FinishReason", "Generation", "GrammarUnsupportedError", "LLMProvider", "LlmrlError", "PluginLoadError",
    "PluginManager", "Prompt", "ProviderSpec", "SamplingParams", "Sandbox", "SandboxSpec", "SandboxUnavailableError",
    "Task", "TaskExample", "TaskSpec", "UnknownComponentError", "__version__", "get_backend", "get_plugin_manager", "get_provider",
    "get_sandbox", "get_task", "hookimpl", "list_components", "load_config", "make_env", "refuse_grammar",
    "register_env_specs", "register_environments", "set_plugin_manager",
]
