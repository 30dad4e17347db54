"""Toy tasks of the tabular RL session: dynamic programming, cliff walking, the random walk, growing grids."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

rl = load_sibling(__file__, "tabular_rl")

DPI = 100
ARROWS = {rl.UP: (0.0, 0.35), rl.RIGHT: (0.35, 0.0), rl.DOWN: (0.0, -0.35), rl.LEFT: (-0.35, 0.0)}


def _grid_image(env, values: np.ndarray) -> np.ndarray:
    """Place state values on the grid, with NaN on walls, shape (rows, cols)."""
    image = np.full(env.shape, np.nan)
    for s, (row, col) in enumerate(env.cells):
        if row >= 0:
            image[row, col] = values[s]
    return image


def _draw_policy(ax, env, policy: np.ndarray, color: str = "black") -> None:
    """Draw one arrow per non-terminal cell; the image's row 0 is at the top."""
    for s, (row, col) in enumerate(env.cells):
        if row < 0 or env.terminal[s] or env.codes[s] in ("G", "X", "C"):
            continue
        dx, dy = ARROWS[int(policy[s])]
        ax.arrow(col - dx / 2, row + dy / 2, dx, -dy, head_width=0.15, head_length=0.12, color=color,
                 length_includes_head=True)  # fmt: skip


def _draw_path(ax, env, path: list[int], color: str, label: str, offset: float) -> None:
    rows = [env.cells[s][0] + offset for s in path]
    cols = [env.cells[s][1] + offset for s in path]
    ax.plot(cols, rows, "-o", color=color, markersize=3, linewidth=2, label=label)


def task_value_iteration(figures_dir: Path) -> dict:
    """Value iteration on a walled gridworld: values, greedy policy, and sweeps against the discount."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    tol = 1e-8

    # Optimal values and policy at gamma = 0.9.
    env = rl.make_gridworld()
    gamma = 0.9
    V, policy, n_sweeps = rl.value_iteration(env.P, env.R, gamma, tol=tol)
    path = rl.greedy_path(env, policy)

    # Sweeps to converge against gamma on three versions of the layout: the deterministic grid, the
    # grid with slip 0.2, and a continuing task. In the continuing task the goal pays 1 and sends
    # the agent back to the start instead of ending the episode.
    slippery = rl.GridWorld(env.layout, slip=0.2, step_reward=0.0, goal_reward=1.0)
    goal, start = env.codes.index("G"), env.codes.index("S")
    P_continuing = env.P.copy()
    P_continuing[goal] = 0.0
    P_continuing[goal, :, start] = 1.0
    models = {
        "continuing (goal returns to start)": (P_continuing, env.R),
        "episodic, slip 0.2": (slippery.P, slippery.R),
        "episodic, deterministic": (env.P, env.R),
    }
    gammas = np.array([0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999])
    sweeps = {name: [rl.value_iteration(P, R, g, tol=tol)[2] for g in gammas] for name, (P, R) in models.items()}
    # Rewards lie in [0, 1], so |V* - V_0| <= 1 / (1 - gamma) and the gamma-contraction guarantees
    # convergence within log(tol (1 - gamma)) / log(gamma) sweeps.
    bound = np.log(tol * (1 - gammas)) / np.log(gammas)

    fig, (ax_map, ax_sweeps) = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.3, 1]})
    # The goal is terminal (value 0 by convention), so it is masked and drawn as a gold cell.
    values_on_grid = np.where(env.terminal, np.nan, V)
    cmap = matplotlib.colormaps["viridis"].copy()
    cmap.set_bad("dimgray")
    image = ax_map.imshow(_grid_image(env, values_on_grid), cmap=cmap)
    fig.colorbar(image, ax=ax_map, label="V*(s)")
    _draw_policy(ax_map, env, policy, color="white")
    goal_row, goal_col = env.cells[env.codes.index("G")]
    start_row, start_col = env.cells[env.codes.index("S")]
    ax_map.add_patch(plt.Rectangle((goal_col - 0.5, goal_row - 0.5), 1, 1, color="gold"))
    ax_map.text(goal_col, goal_row, "G", ha="center", va="center", color="black", fontweight="bold")
    # a small "S" in the top-left corner of the start cell leaves the cell's policy arrow clear
    ax_map.text(start_col - 0.45, start_row - 0.45, "S", ha="left", va="top", fontsize=9, color="red", fontweight="bold")
    ax_map.set_xticks(range(env.shape[1]))
    ax_map.set_yticks(range(env.shape[0]))
    ax_map.set_xlabel("column")
    ax_map.set_ylabel("row")
    ax_map.set_title(f"Optimal values and greedy policy, gamma = {gamma} (walls grey)")

    for (name, counts), marker in zip(sweeps.items(), "o^s"):
        ax_sweeps.plot(1 / (1 - gammas), counts, marker + "-", label=name)
    ax_sweeps.plot(1 / (1 - gammas), bound, "k--", label="contraction bound")
    ax_sweeps.set_xscale("log")
    ax_sweeps.set_yscale("log")
    ax_sweeps.set_xlabel(r"effective horizon $1 / (1 - \gamma)$")
    ax_sweeps.set_ylabel(f"sweeps until max change < {tol:g}")
    ax_sweeps.set_title("Value iteration sweeps against the discount")
    ax_sweeps.legend()
    fig.tight_layout()
    fig.savefig(figures_dir / "value_iteration.png", dpi=DPI)
    plt.close(fig)

    return {
        "gamma": gamma,
        "sweeps_at_gamma": int(n_sweeps),
        "value_at_start": float(V[start]),
        "greedy_path_length": len(path) - 1,
        "gammas": gammas.tolist(),
        "sweeps_continuing": [int(n) for n in sweeps["continuing (goal returns to start)"]],
        "sweeps_slippery": [int(n) for n in sweeps["episodic, slip 0.2"]],
        "sweeps_deterministic": [int(n) for n in sweeps["episodic, deterministic"]],
    }


def _moving_average(x: np.ndarray, width: int) -> np.ndarray:
    return np.convolve(x, np.ones(width) / width, mode="valid")


def task_cliff_walking(figures_dir: Path) -> dict:
    """SARSA against Q-learning on the cliff: online return per episode and the learned greedy paths."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2019)
    env = rl.make_cliff_walking()
    # Step sizes 0.5 / sqrt(n(s, a)) settle Q enough for clean greedy paths. A constant step size
    # leaves Q noisy, and some greedy paths then wander or loop.
    n_runs, n_episodes, alpha, alpha_decay, epsilon = 6, 1000, 0.5, 0.5, 0.1

    returns = {"SARSA": np.empty((n_runs, n_episodes)), "Q-learning": np.empty((n_runs, n_episodes))}
    paths = {"SARSA": [], "Q-learning": []}
    for run in range(n_runs):
        for name, learner in (("SARSA", rl.sarsa), ("Q-learning", rl.q_learning)):
            Q, episode_returns, _ = learner(env, n_episodes, alpha, 1.0, epsilon, rng, alpha_decay=alpha_decay)
            returns[name][run] = episode_returns
            paths[name].append(rl.greedy_path(env, rl.greedy_policy(Q)))
        print(f"cliff walking: run {run + 1}/{n_runs} done", flush=True)

    def touches_edge(path: list[int]) -> bool:
        return any(row == 2 and 1 <= col <= 10 for row, col in (env.cells[s] for s in path))

    fig, (ax_returns, ax_paths) = plt.subplots(1, 2, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1, 1.2]})
    width = 10
    for name, color in (("SARSA", "tab:blue"), ("Q-learning", "tab:red")):
        curve = _moving_average(returns[name].mean(axis=0), width)
        ax_returns.plot(np.arange(width, n_episodes + 1), curve, color=color, label=name)
    ax_returns.set_ylim(-110, 0)
    ax_returns.set_xlabel("episode")
    ax_returns.set_ylabel("return per episode")
    ax_returns.set_title(f"Online return, epsilon = {epsilon} (mean of {n_runs} runs, {width}-episode average)")
    ax_returns.legend(loc="lower right")

    grid = np.zeros(env.shape)
    grid[3, 1:11] = 1.0
    ax_paths.imshow(grid, cmap="Greys", vmin=0, vmax=2)
    _draw_path(ax_paths, env, paths["SARSA"][0], "tab:blue", f"SARSA ({len(paths['SARSA'][0]) - 1} steps)", -0.08)
    _draw_path(ax_paths, env, paths["Q-learning"][0], "tab:red",
               f"Q-learning ({len(paths['Q-learning'][0]) - 1} steps)", 0.08)  # fmt: skip
    ax_paths.text(5.5, 3, "cliff", ha="center", va="center")
    ax_paths.text(-0.3, 3.3, "S", ha="center", va="center", fontweight="bold")
    ax_paths.text(11.3, 3.3, "G", ha="center", va="center", fontweight="bold")
    ax_paths.set_xticks(range(env.shape[1]))
    ax_paths.set_yticks(range(env.shape[0]))
    ax_paths.set_xlabel("column")
    ax_paths.set_ylabel("row")
    ax_paths.set_title("Greedy paths after learning (run 1)")
    ax_paths.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    fig.tight_layout()
    fig.savefig(figures_dir / "cliff_walking.png", dpi=DPI)
    plt.close(fig)

    return {
        "mean_return_last_100_sarsa": float(returns["SARSA"][:, -100:].mean()),
        "mean_return_last_100_q_learning": float(returns["Q-learning"][:, -100:].mean()),
        "greedy_path_lengths_sarsa": [len(p) - 1 for p in paths["SARSA"]],
        "greedy_path_lengths_q_learning": [len(p) - 1 for p in paths["Q-learning"]],
        "sarsa_paths_touching_edge": int(sum(touches_edge(p) for p in paths["SARSA"])),
        "q_learning_paths_touching_edge": int(sum(touches_edge(p) for p in paths["Q-learning"])),
    }


def task_random_walk(figures_dir: Path) -> dict:
    """TD(0) against constant-alpha Monte Carlo on the 5-state random walk: RMS error per episode."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1988)
    env = rl.RandomWalk()
    pi = np.full((env.n_states, env.n_actions), 0.5)
    true_values = np.arange(1, 6) / 6
    V0 = np.array([0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0])
    n_runs, n_episodes = 50, 100
    settings = [("TD(0)", 0.05), ("TD(0)", 0.1), ("TD(0)", 0.15), ("MC", 0.01), ("MC", 0.02), ("MC", 0.04)]

    rms = {}
    td_history = None
    for method, alpha in settings:
        learner = rl.td0_prediction if method == "TD(0)" else rl.mc_prediction
        errors = np.empty((n_runs, n_episodes + 1))
        for run in range(n_runs):
            history = learner(env, pi, n_episodes, alpha, 1.0, rng, V0=V0)  # (N + 1, S)
            errors[run] = np.sqrt(np.mean((history[:, 1:-1] - true_values) ** 2, axis=1))
            if method == "TD(0)" and alpha == 0.1 and run == 0:
                td_history = history
        rms[(method, alpha)] = errors.mean(axis=0)  # (N + 1,)

    fig, (ax_values, ax_rms) = plt.subplots(1, 2, figsize=(12, 4.4))
    states = np.arange(1, 6)
    for episodes in (0, 1, 10, 100):
        ax_values.plot(states, td_history[episodes, 1:-1], "o-", label=f"after {episodes} episode" + "s" * (episodes != 1))
    ax_values.plot(states, true_values, "k--", label="true values")
    ax_values.set_xticks(states, ["A", "B", "C", "D", "E"])
    ax_values.set_xlabel("state")
    ax_values.set_ylabel("estimated value")
    ax_values.set_title("TD(0) estimates, alpha = 0.1, one run")
    ax_values.legend()

    for (method, alpha), curve in rms.items():
        style = "-" if method == "TD(0)" else "--"
        ax_rms.plot(curve, style, label=f"{method}, alpha = {alpha}")
    ax_rms.set_xlabel("episodes")
    ax_rms.set_ylabel(f"RMS error over states (mean of {n_runs} runs)")
    ax_rms.set_title("TD(0) against Monte Carlo")
    ax_rms.legend(ncol=2)
    fig.tight_layout()
    fig.savefig(figures_dir / "random_walk.png", dpi=DPI)
    plt.close(fig)

    return {f"rms_after_{n_episodes}_{method}_alpha_{alpha}": float(curve[-1]) for (method, alpha), curve in rms.items()}


class VisitRecorder:
    """Wrap an environment and mark every state it returns from `reset` and `step`."""

    def __init__(self, env):
        self.env = env
        self.n_states, self.n_actions = env.n_states, env.n_actions
        self.visited = np.zeros(env.n_states, dtype=bool)

    def reset(self, seed=None, options=None):
        state, info = self.env.reset(seed=seed, options=options)
        self.visited[state] = True
        return state, info

    def step(self, action):
        outcome = self.env.step(action)
        self.visited[outcome[0]] = True
        return outcome


def task_growing_grid(figures_dir: Path) -> dict:
    """Count the experience Q-learning needs on open grids of growing size, a limitation of tables."""
    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    sizes = [4, 6, 8, 10, 12, 14, 16, 18]
    n_seeds, max_episodes, batch = 5, 3000, 5
    alpha, gamma, epsilon = 0.5, 0.95, 0.1

    n_states, episodes_needed, steps_needed, states_visited = [], [], [], []
    for size in sizes:
        grid = rl.make_open_grid(size, max_steps=50 * size * size)
        shortest = 2 * (size - 1)
        results = []
        for _ in range(n_seeds):
            # Train in batches of episodes from the last Q, until the greedy path from the start is shortest.
            env = VisitRecorder(grid)
            Q, episodes, steps = None, 0, 0
            while episodes < max_episodes:
                Q, _, lengths = rl.q_learning(env, batch, alpha, gamma, epsilon, rng, Q0=Q)
                episodes += batch
                steps += int(lengths.sum())
                path = rl.greedy_path(grid, rl.greedy_policy(Q), max_steps=4 * shortest)
                if len(path) - 1 == shortest:
                    break
            results.append((episodes, steps, int(env.visited.sum())))
        # Medians, because a seed that settles on a detour now and then needs many more episodes.
        results = np.array(results, dtype=float)  # (seeds, 3)
        n_states.append(grid.n_states)
        episodes_needed.append(float(np.median(results[:, 0])))
        steps_needed.append(float(np.median(results[:, 1])))
        states_visited.append(float(np.median(results[:, 2])))
        print(f"growing grid: size {size} done", flush=True)

    # Growth exponent of the steps needed: the slope of a straight-line fit on log-log axes.
    n_states_array = np.array(n_states, dtype=float)
    slope, intercept = np.polyfit(np.log(n_states_array), np.log(steps_needed), 1)

    fig, (ax_cost, ax_visited) = plt.subplots(1, 2, figsize=(12, 4.4))
    ax_cost.loglog(n_states_array, steps_needed, "o-", label="environment steps")
    ax_cost.loglog(n_states_array, np.exp(intercept) * n_states_array**slope, "k:",
                   label=f"fit: steps proportional to S^{slope:.2f}")  # fmt: skip
    ax_cost.loglog(n_states_array, episodes_needed, "s-", label="episodes")
    ax_cost.set_xticks(n_states_array, [str(n) for n in n_states], minor=False)
    ax_cost.minorticks_off()
    ax_cost.set_xlabel("number of states S (grid size squared)")
    ax_cost.set_ylabel(f"needed until the greedy path is shortest (median of {n_seeds})")
    ax_cost.set_title("Experience needed grows with the table")
    ax_cost.legend()

    ax_visited.plot(n_states_array, states_visited, "o-", label="states visited while learning")
    ax_visited.plot(n_states_array, n_states_array, "k--", label="all states")
    ax_visited.plot(n_states_array, [2 * np.sqrt(n) - 1 for n in n_states_array], "g:", label="states on a shortest path")
    ax_visited.set_xlabel("number of states S")
    ax_visited.set_ylabel("states")
    ax_visited.set_title("Tabular values must be learned state by state")
    ax_visited.legend()
    fig.tight_layout()
    fig.savefig(figures_dir / "growing_grid.png", dpi=DPI)
    plt.close(fig)

    return {
        "sizes": sizes,
        "n_states": [int(n) for n in n_states],
        "episodes_needed": episodes_needed,
        "steps_needed": steps_needed,
        "states_visited": states_visited,
        "steps_growth_exponent": float(slope),
    }
