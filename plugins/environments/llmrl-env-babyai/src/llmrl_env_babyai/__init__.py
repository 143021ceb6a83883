"""BabyAI levels (from the ``minigrid`` package) for llmrl, with bot demonstrations and subgoal captions.

Importing this package is light; ``levels`` (gymnasium, minigrid) loads when an env is made.
"""

LEVELS = ("GoToLocal", "GoToObj", "PickupLoc", "PutNextLocal", "UnlockLocal", "MiniBossLevel", "BossLevel")

__all__ = ["LEVELS"]
