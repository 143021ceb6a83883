"""Known-harmless library chatter, silenced deliberately and narrowly for run commands.

Each filter names the message it matches, so a new or different warning still shows. Run
commands (``llmrl_core.cli.runkit``) call :func:`silence_known_warnings` before they start;
library code never does.
"""

from __future__ import annotations

import os
import warnings

KNOWN_WARNINGS: tuple[tuple[str, type[Warning]], ...] = (
    # TRL reads transformers' deprecated alias while llmrl sets the new name (activation_checkpointing).
    (r"`is_gradient_checkpointing` is deprecated", FutureWarning),
    # ToRL passes TRL a rollout_func, which TRL flags as experimental; llmrl tests the contract it uses.
    (r"You are using 'rollout_func', which is an experimental feature", UserWarning),
)
"""(message regex, category): warnings that say nothing a user of llmrl can act on."""


def silence_known_warnings() -> None:
    """Apply the filters above; hide Hugging Face's per-file progress bars (the display shows progress)."""
    for message, category in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message, category=category)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
