"""Tabular reinforcement learning, from dynamic programming to Q-learning.

A finite Markov decision process is given by its transition probabilities and expected rewards. When
this model is known, dynamic programming computes values and optimal policies exactly: iterative
policy evaluation, policy iteration and value iteration [1, ch. 4]. When the agent can only act and
observe, it learns from sampled episodes: Monte Carlo prediction and first-visit Monte Carlo control
with epsilon-greedy exploration [1, ch. 5], temporal-difference prediction TD(0) [1, ch. 6; 2], and
the two TD control methods SARSA (on-policy) and Q-learning (off-policy) [1, ch. 6; 3]. The
environments are small numpy classes with an explicit transition model and gymnasium's
`reset`/`step` return values: a gridworld with walls and a goal, the slippery 4x3 world, the
cliff-walking task and the 5-state random walk.

References
----------
1. R. S. Sutton and A. G. Barto. Reinforcement Learning: An Introduction, 2nd edition. MIT Press,
   2018. http://incompleteideas.net/book/the-book-2nd.html
2. R. S. Sutton. Learning to predict by the methods of temporal differences. Machine Learning
   3(1):9-44, 1988.
3. C. J. C. H. Watkins and P. Dayan. Q-learning. Machine Learning 8:279-292, 1992.

Notation
--------
S : number of states, terminal states included.
A : number of actions.
N : number of episodes.
K : number of outcomes per (s, a) in an environment's outcome tables (the last axis of those tables).
P : transition probabilities, shape (S, A, S), with ``P[s, a, s'] = p(s' | s, a)``.
R : expected reward of a transition, shape (S, A, S), with ``R[s, a, s'] = E[r | s, a, s']``.
pi : stochastic policy, shape (S, A), with ``pi[s, a] = pi(a | s)``; rows sum to one.
policy : deterministic policy, shape (S,), the action taken in each state.
V : state values, shape (S,).
Q : action values, shape (S, A).
gamma : discount factor in [0, 1].
alpha : step size of a sample-based update.
epsilon : exploration probability of an epsilon-greedy policy.

Terminal states are absorbing with zero reward, so their values are zero. With ``gamma = 1`` the
dynamic-programming routines need every policy they evaluate to reach a terminal state with
probability one.
"""

from __future__ import annotations

import numpy as np

# Grid actions, in the order of gymnasium's CliffWalking environment.
UP, RIGHT, DOWN, LEFT = 0, 1, 2, 3
ACTION_NAMES = ("up", "right", "down", "left")
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (row change, column change) per action

# Cell codes of a grid layout.
FREE, WALL, START, GOAL, TRAP, CLIFF = ".", "#", "S", "G", "X", "C"


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _check_model(P: np.ndarray, R: np.ndarray, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """Validate a transition model and return it as float arrays."""
    P = np.asarray(P, dtype=float)
    R = np.asarray(R, dtype=float)
    if P.ndim != 3 or P.shape[0] != P.shape[2]:
        raise ValueError(f"P: expected shape (S, A, S), got {P.shape}")
    if R.shape != P.shape:
        raise ValueError(f"R: expected the shape of P {P.shape}, got {R.shape}")
    if np.any(P < 0) or not np.allclose(P.sum(axis=2), 1.0, atol=1e-9):
        raise ValueError("P: expected non-negative entries with P[s, a, :] summing to 1")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma: expected a value in [0, 1], got {gamma}")
    return P, R


def _check_stochastic_policy(pi: np.ndarray, n_states: int, n_actions: int) -> np.ndarray:
    """Validate a stochastic policy of shape (S, A) and return it as a float array."""
    pi = np.asarray(pi, dtype=float)
    if pi.shape != (n_states, n_actions):
        raise ValueError(f"pi: expected shape (S, A) = {(n_states, n_actions)}, got {pi.shape}")
    if np.any(pi < 0) or not np.allclose(pi.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError("pi: expected non-negative entries with each row summing to 1")
    return pi


def _check_positive_int(value: int, name: str) -> int:
    if int(value) != value or value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value}")
    return int(value)


def _check_unit_interval(value: float, name: str, *, open_left: bool = False) -> float:
    low_ok = value > 0.0 if open_left else value >= 0.0
    if not (low_ok and value <= 1.0):
        interval = "(0, 1]" if open_left else "[0, 1]"
        raise ValueError(f"{name}: expected a value in {interval}, got {value}")
    return float(value)


def _space_sizes(env) -> tuple[int, int]:
    """Return (S, A) of an environment from this module or of a gymnasium toy-text environment."""
    if hasattr(env, "n_states") and hasattr(env, "n_actions"):
        return int(env.n_states), int(env.n_actions)
    try:
        return int(env.observation_space.n), int(env.action_space.n)
    except AttributeError as error:
        raise ValueError(
            "env: expected n_states/n_actions attributes or discrete observation and action spaces"
        ) from error


# ---------------------------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------------------------


class TabularEnv:
    """Finite MDP with an explicit model and gymnasium's `reset`/`step` return values.

    Parameters
    ----------
    P : ndarray, shape (S, A, S)
        Transition probabilities.
    R : ndarray, shape (S, A, S)
        Expected reward of each transition.
    terminal : ndarray of bool, shape (S,)
        Terminal states. Each must be absorbing with zero reward.
    initial : ndarray, shape (S,)
        Distribution of the first state of an episode.
    max_steps : int or None
        Episodes are truncated after this many steps; None means never.
    outcomes : tuple of three ndarrays of shape (S, A, K), optional
        ``(probs, next_states, rewards)``: `step` draws outcome k with probability
        ``probs[s, a, k]``. Needed when two outcomes reach the same s' with different rewards,
        as when a slip into a cliff and a bump into the edge both end in the start cell.
        If None, the outcomes are the S successors with rewards ``R[s, a, s']``.

    Notes
    -----
    `step` draws with the environment's own generator, which `reset(seed=...)` replaces. An
    environment that was never seeded draws from fresh operating-system entropy, as gymnasium does.
    """

    def __init__(
        self,
        P: np.ndarray,
        R: np.ndarray,
        terminal: np.ndarray,
        initial: np.ndarray,
        max_steps: int | None = None,
        outcomes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ):
        P, R = _check_model(P, R, 1.0)
        n_states, n_actions, _ = P.shape
        terminal = np.asarray(terminal, dtype=bool)
        initial = np.asarray(initial, dtype=float)
        if terminal.shape != (n_states,):
            raise ValueError(f"terminal: expected shape (S,) = ({n_states},), got {terminal.shape}")
        if initial.shape != (n_states,) or np.any(initial < 0) or not np.isclose(initial.sum(), 1.0):
            raise ValueError(f"initial: expected a probability vector of length {n_states}")
        for s in np.flatnonzero(terminal):
            if not (np.allclose(P[s, :, s], 1.0) and np.allclose(R[s], 0.0)):
                raise ValueError(f"terminal: state {s} is not absorbing with zero reward")
        if max_steps is not None:
            max_steps = _check_positive_int(max_steps, "max_steps")

        self.P = P.copy()
        self.R = R.copy()
        self.terminal = terminal.copy()
        self.initial = initial.copy()
        self.max_steps = max_steps
        self.n_states = n_states
        self.n_actions = n_actions

        if outcomes is None:
            probs = self.P
            next_states = np.broadcast_to(np.arange(n_states), self.P.shape)  # (S, A, S)
            rewards = self.R
        else:
            probs, next_states, rewards = self._check_outcomes(outcomes)
        self._next_states = np.array(next_states, dtype=int)
        self._rewards = np.array(rewards, dtype=float)

        # Inverse-CDF sampling: the outcome is the first index whose cumulative probability exceeds u.
        cdf = np.cumsum(probs, axis=2)  # (S, A, K)
        self._cdf = cdf / cdf[:, :, -1:]  # (S, A, K), last entry exactly 1
        self._initial_cdf = np.cumsum(self.initial) / self.initial.sum()
        self._rng: np.random.Generator | None = None
        self._state: int | None = None
        self._elapsed = 0

    def _check_outcomes(self, outcomes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Validate outcome tables against P and R and return them as arrays."""
        probs, next_states, rewards = (np.asarray(table) for table in outcomes)
        n_states, n_actions = self.n_states, self.n_actions
        if probs.ndim != 3 or probs.shape[:2] != (n_states, n_actions):
            raise ValueError(f"outcomes: expected tables of shape (S, A, K) with (S, A) = {(n_states, n_actions)}")
        if next_states.shape != probs.shape or rewards.shape != probs.shape:
            raise ValueError("outcomes: probs, next_states and rewards must have the same shape")
        if np.any(next_states < 0) or np.any(next_states >= n_states):
            raise ValueError(f"outcomes: next states must lie in [0, {n_states})")

        # Summing the outcomes per successor must give back P and the expected reward P * R.
        s_index, a_index = np.indices(probs.shape[:2])  # (S, A) each
        P_sum = np.zeros_like(self.P)
        PR_sum = np.zeros_like(self.P)
        for k in range(probs.shape[2]):
            np.add.at(P_sum, (s_index, a_index, next_states[:, :, k]), probs[:, :, k])
            np.add.at(PR_sum, (s_index, a_index, next_states[:, :, k]), probs[:, :, k] * rewards[:, :, k])
        if not (np.allclose(P_sum, self.P) and np.allclose(PR_sum, self.P * self.R)):
            raise ValueError("outcomes: the tables do not sum to the model P and R")
        return probs, next_states, rewards

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[int, dict]:
        """Start an episode and return ``(state, info)``.

        `seed` replaces the environment's generator. ``options={"state": s}`` starts from state s
        instead of a draw from `initial`.
        """
        if seed is not None or self._rng is None:
            self._rng = np.random.default_rng(seed)
        if options is not None and "state" in options:
            state = int(options["state"])
            if not 0 <= state < self.n_states:
                raise ValueError(f"options['state']: expected a state in [0, {self.n_states}), got {state}")
        else:
            state = int(np.searchsorted(self._initial_cdf, self._rng.random(), side="right"))
            state = min(state, self.n_states - 1)
        self._state = state
        self._elapsed = 0
        return state, {"prob": float(self.initial[state])}

    def step(self, action: int) -> tuple[int, float, bool, bool, dict]:
        """Take `action` and return ``(next_state, reward, terminated, truncated, info)``."""
        if self._state is None:
            raise RuntimeError("step() called before reset()")
        if not 0 <= action < self.n_actions:
            raise ValueError(f"action: expected an integer in [0, {self.n_actions}), got {action}")
        s = self._state
        k = int(self._cdf[s, action].searchsorted(self._rng.random(), side="right"))
        k = min(k, self._cdf.shape[2] - 1)
        s_next = int(self._next_states[s, action, k])
        reward = float(self._rewards[s, action, k])
        terminated = bool(self.terminal[s_next])
        self._state = s_next
        self._elapsed += 1
        truncated = (not terminated) and self.max_steps is not None and self._elapsed >= self.max_steps
        return s_next, reward, terminated, bool(truncated), {"prob": float(self.P[s, action, s_next])}


class GridWorld(TabularEnv):
    """Grid world built from a text layout, with optional slipping.

    Every non-wall cell is a state, numbered row by row from the top-left cell. Actions are
    `UP`, `RIGHT`, `DOWN`, `LEFT`. A move into a wall or off the grid leaves the agent in place.

    Parameters
    ----------
    layout : sequence of str
        One string per row, all of the same length. Cell codes: ``.`` free, ``#`` wall, ``S`` start,
        ``G`` goal, ``X`` trap, ``C`` cliff.
    slip : float
        Probability that a move goes to one of the two perpendicular directions instead
        (``slip / 2`` each). 0 gives a deterministic grid.
    step_reward : float
        Reward of every move.
    goal_reward, trap_reward : float
        Extra reward for reaching a goal or a trap cell. Both end the episode.
    cliff_reward : float
        Reward of a move into a cliff cell, in place of `step_reward`. The agent returns to the start
        cell and the episode goes on.
    terminal_mode : {"entry", "exit"}
        "entry": goal and trap cells are terminal, and their reward is paid on the move into them.
        "exit": goal and trap cells are ordinary states from which every action pays their reward and
        moves to one extra absorbing state (the last index), so their value equals their reward.
    max_steps : int or None
        Episode length limit.

    Attributes
    ----------
    shape : (int, int)
        Rows and columns of the layout.
    cells : ndarray of int, shape (S, 2)
        (row, column) of each state; the extra absorbing state of "exit" mode has (-1, -1).
    """

    def __init__(
        self,
        layout: list[str] | tuple[str, ...],
        *,
        slip: float = 0.0,
        step_reward: float = 0.0,
        goal_reward: float = 1.0,
        trap_reward: float = -1.0,
        cliff_reward: float = -100.0,
        terminal_mode: str = "entry",
        max_steps: int | None = None,
    ):
        rows = [str(row) for row in layout]
        if not rows or any(len(row) != len(rows[0]) for row in rows):
            raise ValueError("layout: expected a non-empty list of strings of equal length")
        unknown = set("".join(rows)) - set(FREE + WALL + START + GOAL + TRAP + CLIFF)
        if unknown:
            raise ValueError(f"layout: unknown cell codes {sorted(unknown)}. Allowed codes are . # S G X C")
        _check_unit_interval(slip, "slip")
        if terminal_mode not in ("entry", "exit"):
            raise ValueError(f"terminal_mode: expected 'entry' or 'exit', got {terminal_mode!r}")
        if CLIFF in "".join(rows) and START not in "".join(rows):
            raise ValueError("layout: a cliff needs a start cell S to send the agent back to")

        n_rows, n_cols = len(rows), len(rows[0])
        cells = [(r, c) for r in range(n_rows) for c in range(n_cols) if rows[r][c] != WALL]
        index = {cell: i for i, cell in enumerate(cells)}
        n_cells = len(cells)
        n_states = n_cells + (1 if terminal_mode == "exit" else 0)
        n_actions = len(MOVES)
        code = [rows[r][c] for r, c in cells]
        starts = [i for i, k in enumerate(code) if k == START]

        def target(cell: tuple[int, int], action: int) -> tuple[int, int]:
            """Cell reached by a successful move, or the same cell if the move is blocked."""
            r, c = cell[0] + MOVES[action][0], cell[1] + MOVES[action][1]
            if 0 <= r < n_rows and 0 <= c < n_cols and rows[r][c] != WALL:
                return (r, c)
            return cell

        # Three outcomes per (s, a): the intended move, then the two perpendicular slips.
        probs = np.zeros((n_states, n_actions, 3))
        next_states = np.zeros((n_states, n_actions, 3), dtype=int)
        rewards = np.zeros((n_states, n_actions, 3))
        terminal = np.zeros(n_states, dtype=bool)
        end_rewards = {GOAL: goal_reward, TRAP: trap_reward}

        for s, cell in enumerate(cells):
            if code[s] in end_rewards:
                if terminal_mode == "entry":
                    terminal[s] = True
                    probs[s, :, 0], next_states[s, :, 0] = 1.0, s
                else:
                    probs[s, :, 0], next_states[s, :, 0] = 1.0, n_cells
                    rewards[s, :, 0] = end_rewards[code[s]]
                continue

            for a in range(n_actions):
                directions = (a, (a + 1) % 4, (a - 1) % 4)
                for k, (direction, prob) in enumerate(zip(directions, (1.0 - slip, slip / 2, slip / 2))):
                    landed = index[target(cell, direction)]
                    reward = step_reward
                    if code[landed] == CLIFF:
                        landed, reward = starts[0], cliff_reward
                    elif terminal_mode == "entry" and code[landed] in end_rewards:
                        reward = step_reward + end_rewards[code[landed]]
                    probs[s, a, k], next_states[s, a, k], rewards[s, a, k] = prob, landed, reward

        if terminal_mode == "exit":
            terminal[n_cells] = True
            probs[n_cells, :, 0], next_states[n_cells, :, 0] = 1.0, n_cells

        # The model adds outcomes that reach the same s', and R is their probability-weighted reward.
        s_index, a_index = np.indices((n_states, n_actions))  # (S, A) each
        P = np.zeros((n_states, n_actions, n_states))
        PR = np.zeros((n_states, n_actions, n_states))
        for k in range(3):
            np.add.at(P, (s_index, a_index, next_states[:, :, k]), probs[:, :, k])
            np.add.at(PR, (s_index, a_index, next_states[:, :, k]), probs[:, :, k] * rewards[:, :, k])
        R = np.divide(PR, P, out=np.zeros_like(PR), where=P > 0)

        initial = np.zeros(n_states)
        if starts:
            initial[starts] = 1.0 / len(starts)
        else:
            free = [s for s in range(n_cells) if code[s] == FREE]
            initial[free] = 1.0 / len(free)

        super().__init__(P, R, terminal, initial, max_steps=max_steps, outcomes=(probs, next_states, rewards))
        self.layout = tuple(rows)
        self.shape = (n_rows, n_cols)
        self.cells = np.array(cells + [(-1, -1)] * (n_states - n_cells), dtype=int)  # (S, 2)
        self.codes = tuple(code) + ("end",) * (n_states - n_cells)

    def state_of(self, row: int, col: int) -> int:
        """Return the state index of the cell at (row, col), counted from the top-left cell."""
        matches = np.flatnonzero((self.cells[:, 0] == row) & (self.cells[:, 1] == col))
        if matches.size == 0:
            raise ValueError(f"(row, col): ({row}, {col}) is a wall or outside the {self.shape} grid")
        return int(matches[0])


class RandomWalk(TabularEnv):
    """Random walk on a chain with terminal states at both ends.

    States 0 and ``n_inner + 1`` are terminal, and episodes start in the middle state. Actions are
    0 (left) and 1 (right). Entering the right end pays 1, every other move pays 0. Under the
    uniform random policy with ``gamma = 1`` the true value of inner state i is ``i / (n_inner + 1)``.
    """

    def __init__(self, n_inner: int = 5, max_steps: int | None = None):
        n_inner = _check_positive_int(n_inner, "n_inner")
        if n_inner % 2 == 0:
            raise ValueError(f"n_inner: expected an odd number so that a middle state exists, got {n_inner}")
        n_states = n_inner + 2
        P = np.zeros((n_states, 2, n_states))
        R = np.zeros((n_states, 2, n_states))
        terminal = np.zeros(n_states, dtype=bool)
        terminal[[0, n_states - 1]] = True
        for s in range(n_states):
            if terminal[s]:
                P[s, :, s] = 1.0
                continue
            P[s, 0, s - 1] = 1.0
            P[s, 1, s + 1] = 1.0
        R[n_states - 2, 1, n_states - 1] = 1.0
        initial = np.zeros(n_states)
        initial[(n_states - 1) // 2] = 1.0
        super().__init__(P, R, terminal, initial, max_steps=max_steps)


def make_gridworld(max_steps: int | None = 200) -> GridWorld:
    """Return a deterministic 6x9 grid with two wall segments and a goal paying 1 on entry."""
    layout = (
        ".......#G",
        "..#....#.",
        "S.#....#.",
        "..#......",
        ".....#...",
        ".........",
    )
    return GridWorld(layout, step_reward=0.0, goal_reward=1.0, max_steps=max_steps)


def make_slippery_grid(max_steps: int | None = 500) -> GridWorld:
    """Return the classic 4x3 world: one wall, exits +1 and -1, step reward -0.04, slip 0.2.

    The intended move succeeds with probability 0.8 and slips to each perpendicular side with 0.1.
    The +1 and -1 cells pay their reward on the next action ("exit" mode), so their values are
    exactly +1 and -1. The start is the bottom-left cell.
    """
    layout = (
        "...G",
        ".#.X",
        "S...",
    )
    return GridWorld(
        layout,
        slip=0.2,
        step_reward=-0.04,
        goal_reward=1.0,
        trap_reward=-1.0,
        terminal_mode="exit",
        max_steps=max_steps,
    )


def make_cliff_walking(max_steps: int | None = 1000, slip: float = 0.0) -> GridWorld:
    """Return the 4x12 cliff-walking task: step reward -1, cliff -100 and back to the start."""
    layout = ("." * 12, "." * 12, "." * 12, "S" + "C" * 10 + "G")
    return GridWorld(layout, slip=slip, step_reward=-1.0, goal_reward=0.0, cliff_reward=-100.0, max_steps=max_steps)


def make_open_grid(size: int, max_steps: int | None = None) -> GridWorld:
    """Return an empty size x size grid from the bottom-left to a goal in the top-right corner paying 1."""
    size = _check_positive_int(size, "size")
    if size < 2:
        raise ValueError(f"size: expected at least 2, got {size}")
    rows = ["." * size for _ in range(size)]
    rows[0] = "." * (size - 1) + GOAL
    rows[-1] = START + "." * (size - 1)
    return GridWorld(rows, step_reward=0.0, goal_reward=1.0, max_steps=max_steps)


# ---------------------------------------------------------------------------------------------
# Dynamic programming with a known model
# ---------------------------------------------------------------------------------------------


def action_values(P: np.ndarray, R: np.ndarray, V: np.ndarray, gamma: float) -> np.ndarray:
    r"""Compute the one-step lookahead Q from state values.

    Parameters
    ----------
    P, R : ndarray, shape (S, A, S)
    V : ndarray, shape (S,)
    gamma : float

    Returns
    -------
    Q : ndarray, shape (S, A)

    Notes
    -----
    .. math:: Q(s, a) = \sum_{s'} p(s' \mid s, a) \left[ r(s, a, s') + \gamma V(s') \right]
    """
    # HINT: one einsum over s' of P times (R + gamma * V[s']) gives every (s, a) at once.
    raise NotImplementedError("action_values: write this part of the exercise")


def greedy_policy(Q: np.ndarray, atol: float = 1e-9) -> np.ndarray:
    """Return the lowest-numbered action within `atol` of the best in each state, shape (S,)."""
    Q = np.asarray(Q, dtype=float)
    if Q.ndim != 2:
        raise ValueError(f"Q: expected shape (S, A), got {Q.shape}")
    best = Q.max(axis=1, keepdims=True)  # (S, 1)
    return np.argmax(Q >= best - atol, axis=1)


def policy_matrix(policy: np.ndarray, n_actions: int) -> np.ndarray:
    """Return the one-hot (S, A) matrix of a deterministic policy of shape (S,)."""
    policy = np.asarray(policy, dtype=int)
    if policy.ndim != 1 or np.any(policy < 0) or np.any(policy >= n_actions):
        raise ValueError(f"policy: expected a vector of actions in [0, {n_actions})")
    return np.eye(n_actions)[policy]  # (S, A)


def epsilon_greedy_matrix(Q: np.ndarray, epsilon: float) -> np.ndarray:
    """Return the (S, A) action probabilities of the epsilon-greedy policy for Q (ties split evenly)."""
    Q = np.asarray(Q, dtype=float)
    _check_unit_interval(epsilon, "epsilon")
    n_actions = Q.shape[1]
    is_best = Q == Q.max(axis=1, keepdims=True)  # (S, A)
    greedy = is_best / is_best.sum(axis=1, keepdims=True)  # (S, A)
    return (1.0 - epsilon) * greedy + epsilon / n_actions


def policy_evaluation(
    P: np.ndarray,
    R: np.ndarray,
    pi: np.ndarray,
    gamma: float,
    *,
    tol: float = 1e-12,
    max_sweeps: int = 100_000,
) -> tuple[np.ndarray, int]:
    r"""Evaluate a stochastic policy by iterating the Bellman expectation backup.

    Parameters
    ----------
    P, R : ndarray, shape (S, A, S)
    pi : ndarray, shape (S, A)
    gamma : float
    tol : float
        Stop when no value changes by more than `tol` in a sweep.
    max_sweeps : int

    Returns
    -------
    V : ndarray, shape (S,)
    n_sweeps : int

    Raises
    ------
    RuntimeError
        If the values have not converged after `max_sweeps` sweeps, which happens with
        ``gamma = 1`` when the policy does not reach a terminal state.

    Notes
    -----
    .. math:: V_{k+1}(s) = \sum_a \pi(a \mid s) \sum_{s'} p(s' \mid s, a)
              \left[ r(s, a, s') + \gamma V_k(s') \right]

    Each sweep is a synchronous (Jacobi) update. The fixed point solves the linear system
    :math:`(I - \gamma P_\pi) V = r_\pi` [1].
    """
    P, R = _check_model(P, R, gamma)
    pi = _check_stochastic_policy(pi, P.shape[0], P.shape[1])
    max_sweeps = _check_positive_int(max_sweeps, "max_sweeps")

    # HINT: r_pi and P_pi average the model over pi(a | s); then iterate V = r_pi + gamma P_pi V.
    raise NotImplementedError("policy_evaluation: write this part of the exercise")
    raise RuntimeError(
        f"policy_evaluation: did not converge to tol={tol} within max_sweeps={max_sweeps}. "
        "Raise max_sweeps, or use gamma < 1 or a policy that reaches a terminal state"
    )


def solve_policy_values(P: np.ndarray, R: np.ndarray, pi: np.ndarray, gamma: float) -> np.ndarray:
    r"""Compute the values of a stochastic policy exactly by solving the linear Bellman system.

    Parameters
    ----------
    P, R : ndarray, shape (S, A, S)
    pi : ndarray, shape (S, A)
    gamma : float

    Returns
    -------
    V : ndarray, shape (S,)

    Raises
    ------
    ValueError
        If the system is singular, which happens with ``gamma = 1`` when `pi` can loop forever
        without reaching a terminal state.

    Notes
    -----
    .. math:: (I - \gamma P_\pi) V = r_\pi, \qquad
              P_\pi(s, s') = \sum_a \pi(a \mid s) p(s' \mid s, a), \qquad
              r_\pi(s) = \sum_a \pi(a \mid s) \sum_{s'} p(s' \mid s, a) r(s, a, s')

    States that are absorbing with zero reward under every action have value zero and are left
    out of the system, which keeps it non-singular for ``gamma = 1``. The cost is one
    :math:`O(S^3)` solve, against many :math:`O(S^2)` sweeps for `policy_evaluation`.
    """
    P, R = _check_model(P, R, gamma)
    pi = _check_stochastic_policy(pi, P.shape[0], P.shape[1])
    n_states = P.shape[0]

    # HINT: build r_pi and P_pi, leave out absorbing zero-reward states, then call np.linalg.solve.
    raise NotImplementedError("solve_policy_values: write this part of the exercise")


def policy_iteration(
    P: np.ndarray,
    R: np.ndarray,
    gamma: float,
    *,
    max_iter: int = 1000,
) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Find an optimal policy by alternating policy evaluation and greedy improvement.

    Each policy is evaluated exactly with `solve_policy_values`. The first policy is uniformly
    random, which reaches a terminal state in every environment of this module, so the linear
    system is non-singular also with ``gamma = 1``.

    Parameters
    ----------
    P, R : ndarray, shape (S, A, S)
    gamma : float
    max_iter : int
        Maximum number of improvement steps.

    Returns
    -------
    V : ndarray, shape (S,)
        Values of the final policy, which are the optimal values.
    policy : ndarray of int, shape (S,)
    n_iter : int
        Number of evaluation-improvement rounds.

    Notes
    -----
    .. math:: \pi_{k+1}(s) = \arg\max_a \sum_{s'} p(s' \mid s, a)
              \left[ r(s, a, s') + \gamma V^{\pi_k}(s') \right]

    Improvement keeps the current action whenever it is among the maximisers, so the loop stops
    instead of cycling between equally good policies [1].

    NOTE: with ``gamma = 1`` and a cycle of zero-reward moves, an improved policy can loop forever
    without reaching a terminal state. `solve_policy_values` then raises ValueError; use gamma < 1.
    """
    P, R = _check_model(P, R, gamma)
    max_iter = _check_positive_int(max_iter, "max_iter")
    n_states, n_actions, _ = P.shape

    # HINT: evaluate with solve_policy_values, improve with greedy_policy(action_values(...)), stop when stable.
    raise NotImplementedError("policy_iteration: write this part of the exercise")
    raise RuntimeError(f"policy_iteration: policy still changing after max_iter={max_iter} rounds")


def value_iteration(
    P: np.ndarray,
    R: np.ndarray,
    gamma: float,
    *,
    tol: float = 1e-12,
    max_sweeps: int = 100_000,
) -> tuple[np.ndarray, np.ndarray, int]:
    r"""Compute optimal values by iterating the Bellman optimality backup.

    Parameters
    ----------
    P, R : ndarray, shape (S, A, S)
    gamma : float
    tol : float
        Stop when no value changes by more than `tol` in a sweep.
    max_sweeps : int

    Returns
    -------
    V : ndarray, shape (S,)
    policy : ndarray of int, shape (S,)
        Greedy policy with respect to the final V.
    n_sweeps : int
        Number of sweeps, the last one being the sweep whose change fell below `tol`.

    Raises
    ------
    RuntimeError
        If the values have not converged after `max_sweeps` sweeps.

    Notes
    -----
    .. math:: V_{k+1}(s) = \max_a \sum_{s'} p(s' \mid s, a)
              \left[ r(s, a, s') + \gamma V_k(s') \right]

    For ``gamma < 1`` the backup is a gamma-contraction in the max norm, so the error shrinks at least
    by a factor gamma per sweep and the number of sweeps grows like :math:`1 / (1 - \gamma)`.
    With ``gamma = 1`` a greedy policy for the optimal values may loop where actions tie: in the
    random walk every inner state has value 1, so "left" ties with "right".
    """
    P, R = _check_model(P, R, gamma)
    max_sweeps = _check_positive_int(max_sweeps, "max_sweeps")

    # HINT: V_new = max over actions of action_values(P, R, V, gamma).
    raise NotImplementedError("value_iteration: write this part of the exercise")
    raise RuntimeError(f"value_iteration: did not converge to tol={tol} within max_sweeps={max_sweeps}")


def greedy_path(env: TabularEnv, policy: np.ndarray, start: int | None = None, max_steps: int = 1000) -> list[int]:
    """Follow a deterministic policy through the most likely successor of each step.

    Parameters
    ----------
    env : TabularEnv
    policy : ndarray of int, shape (S,)
    start : int or None
        First state; None takes the most likely initial state.
    max_steps : int
        Length limit, for policies that never reach a terminal state.

    Returns
    -------
    list of int
        The states visited, from `start` to the terminal state (or until `max_steps` moves).
        In a deterministic environment this is the path the policy takes.
    """
    state = int(np.argmax(env.initial)) if start is None else int(start)
    path = [state]
    for _ in range(max_steps):
        if env.terminal[state]:
            break
        state = int(np.argmax(env.P[state, policy[state]]))
        path.append(state)
    return path


# ---------------------------------------------------------------------------------------------
# Learning from episodes
# ---------------------------------------------------------------------------------------------


def sample_action(probs: np.ndarray, rng: np.random.Generator) -> int:
    """Draw an action from a probability vector of shape (A,)."""
    u = rng.random()
    return min(int(np.searchsorted(np.cumsum(probs), u, side="right")), len(probs) - 1)


def epsilon_greedy_action(q: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Draw an epsilon-greedy action from one row of Q, shape (A,), breaking ties at random.

    With probability `epsilon` the action is uniform over all A actions; otherwise it is uniform
    over the maximisers of `q`. Random tie-breaking matters at the start, when Q is all zeros.
    """
    if rng.random() < epsilon:
        return int(rng.integers(len(q)))
    best = np.flatnonzero(q == q.max())
    if best.size == 1:
        return int(best[0])
    return int(best[rng.integers(best.size)])


def _seed_env(env, rng: np.random.Generator) -> None:
    """Seed the environment from `rng`, so one generator fixes the whole run."""
    env.reset(seed=int(rng.integers(2**32)))


def _run_episode(env, choose_action) -> tuple[list[int], list[int], list[float], bool]:
    """Play one episode; return its states, actions, rewards and whether it terminated.

    `states` has one more entry than `actions` and `rewards`: the state after the last step.
    """
    state, _ = env.reset()
    states, actions, rewards = [state], [], []
    while True:
        action = choose_action(state)
        state, reward, terminated, truncated, _ = env.step(action)
        states.append(state)
        actions.append(action)
        rewards.append(reward)
        if terminated or truncated:
            return states, actions, rewards, terminated


def td0_prediction(
    env,
    pi: np.ndarray,
    n_episodes: int,
    alpha: float,
    gamma: float,
    rng: np.random.Generator,
    V0: np.ndarray | None = None,
) -> np.ndarray:
    r"""Estimate the values of a policy with tabular TD(0).

    Parameters
    ----------
    env : environment with `reset`/`step`
    pi : ndarray, shape (S, A)
        Policy that chooses the actions.
    n_episodes : int
    alpha : float
        Constant step size in (0, 1].
    gamma : float
    rng : numpy.random.Generator
        Chooses actions and seeds the environment.
    V0 : ndarray, shape (S,), optional
        Initial estimate (zeros if None). Terminal states should start at zero.

    Returns
    -------
    V_history : ndarray, shape (N + 1, S)
        Row 0 is `V0`, row n the estimate after n episodes.

    Notes
    -----
    After each step from s to s' with reward r [1; 2]:

    .. math:: V(s) \leftarrow V(s) + \alpha \left[ r + \gamma V(s') - V(s) \right]

    where V(s') counts as zero when s' is terminal.
    """
    n_states, n_actions = _space_sizes(env)
    pi = _check_stochastic_policy(pi, n_states, n_actions)
    n_episodes = _check_positive_int(n_episodes, "n_episodes")
    _check_unit_interval(alpha, "alpha", open_left=True)
    _check_unit_interval(gamma, "gamma")
    V = np.zeros(n_states) if V0 is None else np.array(V0, dtype=float)
    if V.shape != (n_states,):
        raise ValueError(f"V0: expected shape (S,) = ({n_states},), got {V.shape}")

    _seed_env(env, rng)
    history = np.empty((n_episodes + 1, n_states))
    history[0] = V
    for episode in range(n_episodes):
        state, _ = env.reset()
        while True:
            action = sample_action(pi[state], rng)
            next_state, reward, terminated, truncated, _ = env.step(action)

            # HINT: the target is r + gamma V(s'), with V(s') replaced by 0 if the episode terminated.
            raise NotImplementedError("td0_prediction: write this part of the exercise")

            state = next_state
            if terminated or truncated:
                break
        history[episode + 1] = V
    return history


def mc_prediction(
    env,
    pi: np.ndarray,
    n_episodes: int,
    alpha: float,
    gamma: float,
    rng: np.random.Generator,
    V0: np.ndarray | None = None,
) -> np.ndarray:
    r"""Estimate the values of a policy with constant-alpha, first-visit Monte Carlo.

    Parameters and returns are those of `td0_prediction`.

    Notes
    -----
    After the episode ends, for the first visit of each state s at time t with return
    :math:`G_t = \sum_{k \ge 0} \gamma^k r_{t+k+1}` [1]:

    .. math:: V(s) \leftarrow V(s) + \alpha \left[ G_t - V(s) \right]

    A truncated episode gives returns that miss the rewards after the cut, which biases the estimate.
    """
    n_states, n_actions = _space_sizes(env)
    pi = _check_stochastic_policy(pi, n_states, n_actions)
    n_episodes = _check_positive_int(n_episodes, "n_episodes")
    _check_unit_interval(alpha, "alpha", open_left=True)
    _check_unit_interval(gamma, "gamma")
    V = np.zeros(n_states) if V0 is None else np.array(V0, dtype=float)
    if V.shape != (n_states,):
        raise ValueError(f"V0: expected shape (S,) = ({n_states},), got {V.shape}")

    _seed_env(env, rng)
    history = np.empty((n_episodes + 1, n_states))
    history[0] = V
    for episode in range(n_episodes):
        states, _, rewards, _ = _run_episode(env, lambda s: sample_action(pi[s], rng))

        # HINT: walk the episode backwards with G = r + gamma G; the last write for a state is its first visit.
        raise NotImplementedError("mc_prediction: write this part of the exercise")

        history[episode + 1] = V
    return history


def mc_control(
    env,
    n_episodes: int,
    gamma: float,
    epsilon: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Learn Q with first-visit Monte Carlo control and an epsilon-greedy policy.

    Parameters
    ----------
    env : environment with `reset`/`step`
    n_episodes : int
    gamma : float
    epsilon : float
        Exploration probability of the policy that generates the episodes.
    rng : numpy.random.Generator

    Returns
    -------
    Q : ndarray, shape (S, A)
    episode_returns : ndarray, shape (N,)
        Undiscounted return of each episode.

    Notes
    -----
    Q(s, a) is the average of the returns that followed the first visit of (s, a) in each episode,
    kept as a running mean with :math:`n(s, a)` visits [1]:

    .. math:: Q(s, a) \leftarrow Q(s, a) + \frac{1}{n(s, a)} \left[ G_t - Q(s, a) \right]

    The policy is epsilon-greedy in the current Q after every episode, so it stays exploratory and
    converges to the best epsilon-soft policy, not to the optimal deterministic one.
    """
    n_states, n_actions = _space_sizes(env)
    n_episodes = _check_positive_int(n_episodes, "n_episodes")
    _check_unit_interval(gamma, "gamma")
    _check_unit_interval(epsilon, "epsilon")

    Q = np.zeros((n_states, n_actions))
    counts = np.zeros((n_states, n_actions))
    episode_returns = np.empty(n_episodes)
    _seed_env(env, rng)
    for episode in range(n_episodes):
        states, actions, rewards, _ = _run_episode(env, lambda s: epsilon_greedy_action(Q[s], epsilon, rng))
        episode_returns[episode] = sum(rewards)

        # HINT: compute G_t backwards; update (s_t, a_t) only at its first visit in the episode.
        raise NotImplementedError("mc_control: write this part of the exercise")

    return Q, episode_returns


def _td_control(
    env,
    n_episodes: int,
    alpha: float,
    gamma: float,
    epsilon: float,
    rng: np.random.Generator,
    alpha_decay: float,
    Q0: np.ndarray | None,
    off_policy: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shared loop of SARSA (`off_policy=False`) and Q-learning (`off_policy=True`)."""
    n_states, n_actions = _space_sizes(env)
    n_episodes = _check_positive_int(n_episodes, "n_episodes")
    _check_unit_interval(alpha, "alpha", open_left=True)
    _check_unit_interval(gamma, "gamma")
    _check_unit_interval(epsilon, "epsilon")
    if not 0.0 <= alpha_decay <= 1.0:
        raise ValueError(f"alpha_decay: expected an exponent in [0, 1], got {alpha_decay}")
    Q = np.zeros((n_states, n_actions)) if Q0 is None else np.array(Q0, dtype=float)
    if Q.shape != (n_states, n_actions):
        raise ValueError(f"Q0: expected shape (S, A) = {(n_states, n_actions)}, got {Q.shape}")

    counts = np.zeros((n_states, n_actions))
    episode_returns = np.empty(n_episodes)
    episode_lengths = np.empty(n_episodes, dtype=int)
    _seed_env(env, rng)
    for episode in range(n_episodes):
        state, _ = env.reset()
        action = epsilon_greedy_action(Q[state], epsilon, rng)
        total, steps = 0.0, 0
        while True:
            next_state, reward, terminated, truncated, _ = env.step(action)
            next_action = epsilon_greedy_action(Q[next_state], epsilon, rng)
            total += reward
            steps += 1
            counts[state, action] += 1
            step_size = alpha / counts[state, action] ** alpha_decay

            # HINT: SARSA bootstraps from Q(s', a') of the action it will take; Q-learning from max_a Q(s', a).
            raise NotImplementedError("_td_control: write this part of the exercise")

            state, action = next_state, next_action
            if terminated or truncated:
                break
        episode_returns[episode] = total
        episode_lengths[episode] = steps
    return Q, episode_returns, episode_lengths


def sarsa(
    env,
    n_episodes: int,
    alpha: float,
    gamma: float,
    epsilon: float,
    rng: np.random.Generator,
    *,
    alpha_decay: float = 0.0,
    Q0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Learn Q on-policy with SARSA and an epsilon-greedy policy.

    Parameters
    ----------
    env : environment with `reset`/`step`
    n_episodes : int
    alpha : float
        Step size in (0, 1]. With `alpha_decay` = w > 0 the step size of the n-th update of (s, a)
        is ``alpha / n**w``; w in (0.5, 1] meets the Robbins-Monro conditions.
    gamma : float
    epsilon : float
        Exploration probability of the epsilon-greedy policy, which both acts and is learned.
    rng : numpy.random.Generator
    alpha_decay : float
    Q0 : ndarray, shape (S, A), optional
        Initial action values (zeros if None).

    Returns
    -------
    Q : ndarray, shape (S, A)
    episode_returns : ndarray, shape (N,)
        Undiscounted return collected in each episode while learning.
    episode_lengths : ndarray of int, shape (N,)

    Notes
    -----
    After each step (s, a, r, s') and the choice of the next action a' [1]:

    .. math:: Q(s, a) \leftarrow Q(s, a) + \alpha \left[ r + \gamma Q(s', a') - Q(s, a) \right]

    Because a' comes from the exploring policy, SARSA learns the values of that policy, including
    the cost of its random moves.
    """
    return _td_control(env, n_episodes, alpha, gamma, epsilon, rng, alpha_decay, Q0, off_policy=False)


def q_learning(
    env,
    n_episodes: int,
    alpha: float,
    gamma: float,
    epsilon: float,
    rng: np.random.Generator,
    *,
    alpha_decay: float = 0.0,
    Q0: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Learn the optimal Q off-policy with Q-learning while acting epsilon-greedily.

    Parameters and returns are those of `sarsa`.

    Notes
    -----
    After each step (s, a, r, s') [1; 3]:

    .. math:: Q(s, a) \leftarrow Q(s, a) + \alpha \left[ r + \gamma \max_{a'} Q(s', a') - Q(s, a) \right]

    The target uses the greedy action whatever the agent does next, so Q converges to the optimal
    action values as long as every pair keeps being visited and the step sizes decay suitably [3].
    """
    return _td_control(env, n_episodes, alpha, gamma, epsilon, rng, alpha_decay, Q0, off_policy=True)
