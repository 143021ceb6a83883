"""The PNG of a run's curves: accuracy, response length and reflection ratios per step."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_curves(records: list[dict[str, Any]], path: Path, evals: list[dict[str, Any]] | None = None,
                accuracy_key: str = "rewards/accuracy/mean") -> Path:
    """Write ``path`` (PNG) from ``metrics.jsonl`` records (train accuracy under ``accuracy_key``); held-out
    evals are drawn as points."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in records]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    ax = axes[0]
    ax.plot(steps, [r.get(accuracy_key, float("nan")) for r in records], label="train accuracy")
    for ev in evals or []:
        if "mean@k_t1.0" in ev:
            ax.scatter([ev["step"]], [ev["mean@k_t1.0"]], marker="o", color="C1")
        if "pass@1_greedy" in ev:
            ax.scatter([ev["step"]], [ev["pass@1_greedy"]], marker="s", color="C2")
    ax.scatter([], [], marker="o", color="C1", label="held-out pass@1, T=1.0")
    ax.scatter([], [], marker="s", color="C2", label="held-out pass@1, greedy")
    ax.set(title="accuracy", xlabel="step", ylim=(-0.02, 1.02))
    ax.legend(fontsize=8)
    axes[1].plot(steps, [r.get("completions/mean_length", float("nan")) for r in records])
    axes[1].set(title="mean response length (tokens)", xlabel="step")
    for key in ("reflection_ratio", "reflection_ratio_in_correct", "reflection_ratio_in_incorrect"):
        axes[2].plot(steps, [r.get(key, float("nan")) for r in records], label=key)
    axes[2].set(title="reflection", xlabel="step", ylim=(-0.02, 1.02))
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
