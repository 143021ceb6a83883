"""Vectorised quaternion helpers for residuals over (K, T, 4) arrays (MuJoCo order: w, x, y, z)."""

from __future__ import annotations

import numpy as np


def euler(quat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(roll, pitch, yaw) of body quaternions, ZYX convention. Positive pitch lowers the body's +x end."""
    w, x, y, z = (quat[..., i] for i in range(4))
    roll = np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))
    pitch = np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))
    yaw = np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))
    return roll, pitch, yaw


def wrap(angle: np.ndarray | float) -> np.ndarray:
    """Angles wrapped into [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi
