"""Registering environments with Gymnasium, from the registry or from a plugin package's own import.

Both paths register the same :class:`EnvironmentSpec` records through :func:`register_env_specs`,
so they always agree and the second registration is a no-op. Only strings are registered: the
entry point (and torch, mujoco, ... behind it) is imported when ``gymnasium.make`` builds the env.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from llmrl_core.specs import EnvironmentSpec

log = logging.getLogger(__name__)


def register_env_specs(specs: Iterable[EnvironmentSpec]) -> None:
    """Register ``specs`` with Gymnasium; an id already registered from the same spec is left alone.

    An environment plugin calls this in its package ``__init__`` with its own specs, so that
    ``import the_plugin`` is enough for ``gymnasium.make(id)``, for Gymnasium's ``"module:id"``
    form and for vectorised envs built from the id alone (Stable-Baselines3's ``make_vec_env``).
    """
    import gymnasium

    for spec in specs:
        kwargs = dict(spec.kwargs)
        existing = gymnasium.registry.get(spec.id)
        if existing is None:
            gymnasium.register(id=spec.id, entry_point=spec.entry_point, max_episode_steps=spec.max_episode_steps,
                               kwargs=kwargs)
        elif (existing.entry_point, existing.max_episode_steps, existing.kwargs) != (
                spec.entry_point, spec.max_episode_steps, kwargs):
            log.warning("Gymnasium id %r is already registered (entry point %r, kwargs %r); keeping it, not %r %r",
                        spec.id, existing.entry_point, existing.kwargs, spec.entry_point, kwargs)
