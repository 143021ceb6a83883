"""Vectorised quaternion helpers for residuals over (K, T, 4) arrays (MuJoCo order: w, x, y, z).

Each angle has its own function so a residual pays only for the trigonometry it needs:
cost evaluation runs on every planning iteration over samples x horizon rows.
"""

from __future__ import annotations

import numpy as np


def roll(quat: np.ndarray) -> np.ndarray:
    """Roll (rotation about the body's x axis), ZYX convention."""
    w, x, y, z = (quat[..., i] for i in range(4))
    return np.arctan2(2 * (w * x + y * z), 1 - 2 * (x * x + y * y))


def pitch(quat: np.ndarray) -> np.ndarray:
    """Pitch, ZYX convention. Positive pitch lowers the body's +x end."""
    w, x, y, z = (quat[..., i] for i in range(4))
    return np.arcsin(np.clip(2 * (w * y - z * x), -1.0, 1.0))


def yaw(quat: np.ndarray) -> np.ndarray:
    """Yaw (heading), ZYX convention."""
    w, x, y, z = (quat[..., i] for i in range(4))
    return np.arctan2(2 * (w * z + x * y), 1 - 2 * (y * y + z * z))


def euler(quat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(roll, pitch, yaw) of body quaternions, ZYX convention. Positive pitch lowers the body's +x end."""
    return roll(quat), pitch(quat), yaw(quat)


def heading_cos_sin(quat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cos yaw, sin yaw) without trigonometry: the body x axis projected on the ground plane, normalised.

    Equal to ``cos(yaw(q)), sin(yaw(q))``; where the projection vanishes (body x axis vertical)
    ``yaw`` is ``arctan2(0, 0) = 0``, so this returns (1, 0) there too.
    """
    w, x, y, z = (quat[..., i] for i in range(4))
    a = 1 - 2 * (y * y + z * z)  # cos(yaw) * |projection|
    b = 2 * (w * z + x * y)  # sin(yaw) * |projection|
    n = np.sqrt(a * a + b * b)
    ok = n > 0
    safe = np.where(ok, n, 1.0)
    return np.where(ok, a / safe, 1.0), b / safe


def wrap(angle: np.ndarray | float) -> np.ndarray:
    """Angles wrapped into [-pi, pi)."""
    return (np.asarray(angle) + np.pi) % (2 * np.pi) - np.pi
