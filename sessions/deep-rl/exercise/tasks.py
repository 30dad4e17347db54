"""Toy tasks for the deep reinforcement learning session: REINFORCE and DQN on cart-pole."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

deep_rl = load_sibling(__file__, "deep_rl")

SOLVED_RETURN = 195.0
SOLVED_WINDOW = 100
GAMMA = 0.99


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Average each value with up to `window - 1` predecessors (shorter windows at the start)."""
    values = np.asarray(values, dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def first_solved_episode(returns: list[float]) -> int | None:
    """Return the 1-based episode at which the mean of the last 100 returns first reaches 195."""
    returns = np.asarray(returns, dtype=float)
    if len(returns) < SOLVED_WINDOW:
        return None
    window_means = np.convolve(returns, np.ones(SOLVED_WINDOW) / SOLVED_WINDOW, mode="valid")
    hits = np.flatnonzero(window_means >= SOLVED_RETURN)
    return int(hits[0] + SOLVED_WINDOW) if hits.size else None


def task_reinforce(figures_dir: Path) -> dict:
    """REINFORCE with a learned baseline trains until the last 100 episodes average at least 195."""
    rng = np.random.default_rng(0)
    figures_dir.mkdir(parents=True, exist_ok=True)

    # Train until the criterion is met; the stopping rule is inside train_reinforce.
    params, history = deep_rl.train_reinforce(rng, max_episodes=3000, solved_return=SOLVED_RETURN)
    returns = np.array(history["episode_returns"])
    average = moving_average(returns, SOLVED_WINDOW)

    # Check the final policy on fresh episodes, still sampling its actions.
    evaluation = deep_rl.run_episodes(deep_rl.stochastic_policy(params), 100, rng)
    evaluation_returns = np.array([len(episode["rewards"]) for episode in evaluation], dtype=float)

    episodes = np.arange(1, len(returns) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(episodes, returns, color="tab:blue", alpha=0.35, linewidth=0.8, label="return of each episode")
    ax.plot(episodes, average, color="tab:blue", linewidth=2.0, label="mean of the last 100 episodes")
    ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1.0, label="criterion: 195")
    ax.axhline(500, color="grey", linestyle=":", linewidth=1.0, label="step cap: 500")
    if history["solved_episode"] is not None:
        ax.axvline(history["solved_episode"], color="tab:red", linewidth=1.0, label=f"solved at episode {history['solved_episode']}")
    ax.set_xlabel("episode")
    ax.set_ylabel("return (steps balanced)")
    ax.set_title("REINFORCE with a learned baseline on cart-pole (seed 0)")
    ax.set_ylim(0, 520)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(figures_dir / "reinforce_learning_curve.png", dpi=100)
    plt.close(fig)

    return {
        "solved_episode": history["solved_episode"],
        "episodes_trained": int(len(returns)),
        "environment_steps": int(returns.sum()),
        "final_mean_return_last_100": float(average[-1]),
        "evaluation_mean_return": float(evaluation_returns.mean()),
    }


def task_dqn(figures_dir: Path) -> dict:
    """DQN learns to balance, while its Q-values overestimate the returns its greedy policy obtains."""
    rng = np.random.default_rng(1)
    figures_dir.mkdir(parents=True, exist_ok=True)
    n_steps = 16000

    # One Adam step every second environment step halves the cost and still learns within the budget.
    params, history = deep_rl.train_dqn(
        rng, n_steps=n_steps, gamma=GAMMA, train_every=2, eval_every=1000, n_eval_episodes=5
    )
    returns = np.array(history["episode_returns"])
    end_steps = np.array(history["episode_end_steps"])
    q_estimates, realised = deep_rl.evaluate_q_estimates(params, 10, GAMMA, rng)

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))

    # Learning curve against environment steps, since episodes have very different lengths.
    ax = axes[0]
    ax.plot(end_steps, returns, color="tab:green", alpha=0.35, linewidth=0.8, label="return of each episode")
    ax.plot(end_steps, moving_average(returns, 20), color="tab:green", linewidth=2.0, label="mean of the last 20 episodes")
    ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1.0, label="195, the REINFORCE criterion")
    ax.set_xlabel("environment step")
    ax.set_ylabel("return (epsilon-greedy behaviour)")
    ax.set_title("DQN learning curve")
    ax.set_ylim(0, 520)
    ax.legend(loc="upper left", fontsize=8)

    # Mean estimate against mean realised value of the greedy policy, over training.
    ax = axes[1]
    ax.plot(history["eval_steps"], history["eval_mean_q"], "o-", color="tab:red", label="mean max_a Q(s_t, a)")
    ax.plot(history["eval_steps"], history["eval_mean_return"], "s-", color="tab:blue", label="mean realised G_t")
    ax.axhline(1 / (1 - GAMMA), color="grey", linestyle=":", label="upper bound 1/(1-gamma) = 100")
    ax.set_xlabel("environment step")
    ax.set_ylabel("discounted value")
    ax.set_title("Estimated vs realised value (greedy policy)")
    ax.legend(loc="lower right", fontsize=8)

    # Every state of the final evaluation: points above the diagonal are overestimates.
    ax = axes[2]
    ax.scatter(realised, q_estimates, s=4, alpha=0.3, color="tab:red", label="visited states")
    limit = 1 / (1 - GAMMA) * 1.05
    ax.plot([0, limit], [0, limit], color="black", linewidth=1.0, label="Q = G (no bias)")
    ax.set_xlim(0, limit)
    ax.set_ylim(0, limit)
    ax.set_xlabel("realised discounted return G_t")
    ax.set_ylabel("max_a Q(s_t, a)")
    ax.set_title(f"After {n_steps} steps: every state, 10 episodes")
    ax.legend(loc="lower right", fontsize=8)

    fig.tight_layout()
    fig.savefig(figures_dir / "dqn_overestimation.png", dpi=100)
    plt.close(fig)

    return {
        "episodes": int(len(returns)),
        "best_mean_return_20_episodes": float(moving_average(returns, 20).max()),
        "final_mean_q": float(q_estimates.mean()),
        "final_mean_realised_return": float(realised.mean()),
        "fraction_of_states_overestimated": float(np.mean(q_estimates > realised)),
        "q_over_realised_by_evaluation": [
            round(q - g, 2) for q, g in zip(history["eval_mean_q"], history["eval_mean_return"], strict=True)
        ],
    }


def task_seed_variability(figures_dir: Path) -> dict:
    """Five seeds of each method, same settings: the learning curves spread widely."""
    figures_dir.mkdir(parents=True, exist_ok=True)
    seeds = [10, 11, 12, 13, 14]
    reinforce_episodes = 300
    dqn_steps = 7000

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = plt.cm.viridis(np.linspace(0.0, 0.9, len(seeds)))
    reinforce_solved, reinforce_final, dqn_final, dqn_best = [], [], [], []
    for seed, colour in zip(seeds, colours, strict=True):
        # REINFORCE for a fixed number of episodes, so every seed gets the same budget.
        _, history = deep_rl.train_reinforce(
            np.random.default_rng(seed), max_episodes=reinforce_episodes, solved_return=None
        )
        returns = np.array(history["episode_returns"])
        average = moving_average(returns, SOLVED_WINDOW)
        reinforce_solved.append(first_solved_episode(returns))
        reinforce_final.append(float(average[-1]))
        axes[0].plot(np.arange(1, len(returns) + 1), average, color=colour, label=f"seed {seed}")

        # DQN for a fixed number of environment steps, with a smaller network to fit the time budget.
        _, history = deep_rl.train_dqn(
            np.random.default_rng(seed),
            n_steps=dqn_steps,
            gamma=GAMMA,
            hidden=32,
            train_every=2,
            epsilon_decay_steps=3000,
        )
        returns = np.array(history["episode_returns"])
        average = moving_average(returns, 20)
        dqn_final.append(float(average[-1]))
        dqn_best.append(float(average.max()))
        axes[1].plot(history["episode_end_steps"], average, color=colour, label=f"seed {seed}")

    axes[0].set_xlabel("episode")
    axes[0].set_ylabel("mean return of the last 100 episodes")
    axes[0].set_title("REINFORCE with baseline: five seeds")
    axes[1].set_xlabel("environment step")
    axes[1].set_ylabel("mean return of the last 20 episodes")
    axes[1].set_title("DQN: five seeds")
    for ax in axes:
        ax.axhline(SOLVED_RETURN, color="black", linestyle="--", linewidth=1.0)
        ax.set_ylim(0, 520)
        ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(figures_dir / "seed_variability.png", dpi=100)
    plt.close(fig)

    return {
        "seeds": seeds,
        "reinforce_solved_episode": reinforce_solved,
        "reinforce_final_mean_return_last_100": [round(value, 1) for value in reinforce_final],
        "dqn_final_mean_return_last_20": [round(value, 1) for value in dqn_final],
        "dqn_best_mean_return_last_20": [round(value, 1) for value in dqn_best],
    }
