"""llmrl-grpo: MAYE and GRPO on TRL, and the one training entry point that recipes (ToRL, yours) run through.

``train(cfg, recipe)`` runs any :class:`Recipe`; the config parts live in ``llmrl_grpo.config``.
Importing this package is cheap: names load their module on first use.
"""

from __future__ import annotations

from llmrl_core.lazy import lazy_exports

_EXPORTS = {
    "train": "llmrl_grpo.run",
    "Recipe": "llmrl_grpo.recipe",
    "GRPORecipe": "llmrl_grpo.recipe",
    **{name: "llmrl_grpo.config" for name in (
        "RecipeConfig", "GRPOTrainConfig", "OptimConfig", "GenerationConfig", "HeldOutConfig", "EvalConfig", "RewardConfig",
    )},
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
