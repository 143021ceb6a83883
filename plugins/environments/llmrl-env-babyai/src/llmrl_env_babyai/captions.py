"""Language captions of the BabyAI bot's subgoals: what Think Before You Act's policy says before acting.

The bot keeps a stack of subgoals (go next to, open, close, pick up, drop, explore); the
caption of the top one is a short phrase in BabyAI's own words ("go to the red ball",
"open the door", "explore"), emitted whenever it changes.
"""

from __future__ import annotations

from typing import Any


def _describe(datum: Any) -> str | None:
    """``the red ball`` for an object or an object description; None for a grid position."""
    color, kind = getattr(datum, "color", None), getattr(datum, "type", None)
    if kind is None:
        return None
    return " ".join(w for w in ("the", color, kind) if w)


def caption_of(subgoal: Any) -> str:
    """The caption of one bot subgoal."""
    name = type(subgoal).__name__
    reason = getattr(subgoal, "reason", None)
    if name == "GoNextToSubgoal":
        if reason == "Explore":
            return "explore"
        what = _describe(subgoal.datum)
        if what is None:
            return "make room"
        return f"go next to {what}" if reason == "PutNext" else f"go to {what}"
    return {
        "OpenSubgoal": "open the door",
        "CloseSubgoal": "close the door",
        "PickupSubgoal": "pick up",
        "DropSubgoal": "drop",
        "ExploreSubgoal": "explore",
    }.get(name, name.removesuffix("Subgoal").lower())
