"""What the model sees after ```` ```output ````: ToRL's observation rules, exactly.

* stdout if the exit code is 0 or stdout is non-empty, else stderr;
* anything with an error (any status but ``ok``) keeps only its last non-empty line;
* an empty observation becomes a timeout message (ToRL's rule; it also covers code that printed nothing);
  a timeout without stdout is empty whatever the sandbox wrote to stderr about killing it;
* 256 characters or more: the first 128 + ``"..."`` + the last 128.
"""

from __future__ import annotations

import re

from llmrl_core import ExecResult

PYTHON_BLOCK = re.compile(r"```python[ \t]*\n(.*?)```", re.DOTALL)
STOP = "```output"
EMPTY_MESSAGE = "Timeout Error: the code produced no output (timed out, or printed nothing)."
TRUNCATE_AT = 256
KEEP = 128


def extract_last_python_block(text: str) -> str | None:
    """The code of the last *complete* ```` ```python ```` block in ``text``; None when there is none."""
    blocks = PYTHON_BLOCK.findall(text)
    return blocks[-1] if blocks else None


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def format_observation(result: ExecResult, *, empty_message: str = EMPTY_MESSAGE,
                       truncate_at: int = TRUNCATE_AT, keep: int = KEEP) -> str:
    """The observation text of one execution (without the surrounding output block)."""
    out = result.stdout if (result.exit_code == 0 or result.stdout.strip()) else result.stderr
    if result.status == "timeout" and not result.stdout.strip():
        out = ""  # what a sandbox says about its own kill differs per sandbox; the model sees the timeout message
    if result.status != "ok":
        out = _last_line(out)
    out = out.strip("\n")
    if not out.strip():
        out = empty_message
    if len(out) >= truncate_at:
        out = out[:keep] + "..." + out[-keep:]
    return out


def output_block_tail(observation: str) -> str:
    """What is appended after the model's own ```` ```output ```` marker: ``"\\n{obs}\\n```\\n"``."""
    return f"\n{observation}\n```\n"
