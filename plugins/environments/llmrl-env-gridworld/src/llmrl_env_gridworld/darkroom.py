"""The dark grid worlds of Algorithm Distillation: the agent sees only its own (x, y).

Nothing in the observation shows the goal (or key and door): the agent has to find it by
exploring and remember it across episodes, which is what an in-context learner must do.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

# Actions: 0 no-op, 1 left, 2 right, 3 up (y - 1), 4 down (y + 1).
MOVES = np.array([(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)], dtype=np.int64)
ACTION_NAMES = ("noop", "left", "right", "up", "down")


def _cell(value: Any, size: int, what: str) -> tuple[int, int]:
    try:
        x, y = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (x, y) of ints, got {value!r}") from None
    if not (0 <= x < size and 0 <= y < size):
        raise ValueError(f"{what} {value!r} is outside the {size}x{size} grid; use 0 <= x, y < {size}")
    return x, y


def greedy_move(pos: np.ndarray, target: tuple[int, int]) -> int:
    """An action that brings ``pos`` one step closer to ``target`` (no-op when on it)."""
    dx, dy = target[0] - int(pos[0]), target[1] - int(pos[1])
    if dx == 0 and dy == 0:
        return 0
    if abs(dx) >= abs(dy):
        return 2 if dx > 0 else 1
    return 4 if dy > 0 else 3


class DarkRoomEnv(gym.Env):
    """Dark Room: ``size``x``size``, 5 actions, ``max_steps`` steps, start at the centre (or at ``start``).

    AD's room is the default (9x9, 20 steps, centre). DPT's room (Lee et al. 2023) is
    ``size=10, max_steps=100, start=(0, 0)``: the same env id with those kwargs.

    ``reward_once=False`` (Dark Room): reward 1 on every step spent on the goal.
    ``reward_once=True`` (Dark Room Hard): reward 1 the first time the goal is reached, and
    the episode ends there. The task is the goal; without one set, each reset draws a goal.
    """

    metadata = {"render_modes": []}

    def __init__(self, size: int = 9, max_steps: int = 20, reward_once: bool = False, goal: Any = None,
                 start: Any = None):
        if size < 2:
            raise ValueError(f"size must be >= 2, got {size}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.size, self.max_steps, self.reward_once = size, max_steps, reward_once
        self.observation_space = gym.spaces.MultiDiscrete([size, size])
        self.action_space = gym.spaces.Discrete(len(MOVES))
        self.start = (size // 2, size // 2) if start is None else _cell(start, size, "start")
        self.moves = MOVES  # (dx, dy) of each action, for planners such as AD's exploring source
        self._fixed_goal = None if goal is None else _cell(goal, size, "goal")
        self.goal = self._fixed_goal or self.start
        self._pos = np.array(self.start, dtype=np.int64)
        self._t = 0

    # --- tasks -------------------------------------------------------------------------
    def tasks(self) -> list[tuple[int, int]]:
        """Every goal cell: the task family (81 goals on 9x9)."""
        return [(x, y) for y in range(self.size) for x in range(self.size)]

    def optimal_action(self, obs: Any = None) -> int:
        """The oracle's action for the current state: walk straight to the goal."""
        return greedy_move(self._pos if obs is None else np.asarray(obs), self.goal)

    def transit(self, state: Any, action: int) -> tuple[np.ndarray, float]:
        """``(next_state, reward)`` of ``action`` from any ``state``, leaving the episode alone.

        DPT's in-context datasets are transitions from uniformly drawn states (Lee et al. 2023),
        which a rollout from the start cell cannot give. Dark Room Hard rewards any entry.
        """
        if not 0 <= int(action) < len(MOVES):
            raise ValueError(f"invalid action {action!r}; expected an int in [0, {len(MOVES) - 1}] ({', '.join(ACTION_NAMES)})")
        nxt = np.clip(np.asarray(_cell(state, self.size, "state")) + MOVES[int(action)], 0, self.size - 1)
        return nxt, float(nxt[0] == self.goal[0] and nxt[1] == self.goal[1])

    def optimal_return(self) -> float:
        """The best achievable return for the current goal: ``max_steps + 1 - d`` for a goal ``d`` steps from the
        start (21 - d in AD's room, 101 - d in DPT's), ``max_steps`` on the start cell."""
        d = abs(self.goal[0] - self.start[0]) + abs(self.goal[1] - self.start[1])
        if self.reward_once:
            return 1.0 if d <= self.max_steps else 0.0
        return float(max(0, self.max_steps - d + (1 if d > 0 else 0)))

    # --- gymnasium -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        goal = options.get("goal", options.get("task"))
        if goal is not None:
            self._fixed_goal = _cell(goal, self.size, "goal")
        if self._fixed_goal is not None:
            self.goal = self._fixed_goal
        else:
            self.goal = tuple(int(v) for v in self.np_random.integers(0, self.size, size=2))
        self._pos = np.array(self.start, dtype=np.int64)
        self._t = 0
        self._reached = False
        return self._pos.copy(), {"goal": self.goal}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected an int in [0, {len(MOVES) - 1}] ({', '.join(ACTION_NAMES)})")
        self._pos = np.clip(self._pos + MOVES[int(action)], 0, self.size - 1)
        self._t += 1
        on_goal = bool(self._pos[0] == self.goal[0] and self._pos[1] == self.goal[1])
        terminated = False
        if self.reward_once:
            reward = 1.0 if on_goal and not self._reached else 0.0
            self._reached |= on_goal
            terminated = on_goal
        else:
            reward = 1.0 if on_goal else 0.0
        truncated = self._t >= self.max_steps and not terminated
        return self._pos.copy(), reward, terminated, truncated, {"goal": self.goal}


class DarkKeyToDoorEnv(gym.Env):
    """Dark Key-to-Door: find an invisible key (reward 1), then an invisible door (reward 1, end).

    The task is the (key, door) pair: 81 x 81 = 6561 tasks on 9x9. The start cell is random
    at every reset. ``max_steps`` steps (50).
    """

    metadata = {"render_modes": []}

    def __init__(self, size: int = 9, max_steps: int = 50, task: Any = None):
        if size < 2:
            raise ValueError(f"size must be >= 2, got {size}")
        self.size, self.max_steps = size, max_steps
        self.observation_space = gym.spaces.MultiDiscrete([size, size])
        self.action_space = gym.spaces.Discrete(len(MOVES))
        self.moves = MOVES
        self._fixed = None if task is None else self._parse(task)
        self.key, self.door = self._fixed or ((0, 0), (size - 1, size - 1))
        self._pos = np.zeros(2, dtype=np.int64)
        self._t, self._has_key = 0, False

    def _parse(self, task: Any) -> tuple[tuple[int, int], tuple[int, int]]:
        try:
            key, door = task
        except (TypeError, ValueError):
            raise ValueError(f"a Key-to-Door task is ((key_x, key_y), (door_x, door_y)), got {task!r}") from None
        return _cell(key, self.size, "key"), _cell(door, self.size, "door")

    def tasks(self) -> list[tuple[tuple[int, int], tuple[int, int]]]:
        cells = [(x, y) for y in range(self.size) for x in range(self.size)]
        return [(k, d) for k in cells for d in cells]

    def optimal_action(self, obs: Any = None) -> int:
        pos = self._pos if obs is None else np.asarray(obs)
        return greedy_move(pos, self.door if self._has_key else self.key)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        task = (options or {}).get("task")
        if task is not None:
            self._fixed = self._parse(task)
        if self._fixed is not None:
            self.key, self.door = self._fixed
        else:
            cells = self.np_random.integers(0, self.size, size=4)
            self.key, self.door = (int(cells[0]), int(cells[1])), (int(cells[2]), int(cells[3]))
        self._pos = self.np_random.integers(0, self.size, size=2).astype(np.int64)
        self._t, self._has_key = 0, False
        return self._pos.copy(), {"key": self.key, "door": self.door}

    def step(self, action):
        if not self.action_space.contains(action):
            raise ValueError(f"invalid action {action!r}; expected an int in [0, {len(MOVES) - 1}] ({', '.join(ACTION_NAMES)})")
        self._pos = np.clip(self._pos + MOVES[int(action)], 0, self.size - 1)
        self._t += 1
        here = (int(self._pos[0]), int(self._pos[1]))
        reward, terminated = 0.0, False
        if not self._has_key and here == self.key:
            self._has_key, reward = True, 1.0
        elif self._has_key and here == self.door:
            reward, terminated = 1.0, True
        truncated = self._t >= self.max_steps and not terminated
        return self._pos.copy(), reward, terminated, truncated, {"has_key": self._has_key}
