"""Toy tasks for the HMM session: what forward-backward, Viterbi and EM get right, and where an HMM fails."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

hmm = load_sibling(__file__, "hmm")

DPI = 100


def _casino_model() -> "hmm.CategoricalHMM":
    """Return the casino HMM: state 0 is a fair die, state 1 a loaded die that shows a six half the time."""
    fair = np.full(6, 1 / 6)
    loaded = np.array([0.1, 0.1, 0.1, 0.1, 0.1, 0.5])
    return hmm.CategoricalHMM(
        pi=np.array([1.0, 0.0]), A=np.array([[0.95, 0.05], [0.10, 0.90]]), B=np.stack([fair, loaded])
    )


def task_casino(figures_dir: Path) -> dict:
    """Decode the loaded periods of an occasionally dishonest casino by posterior and Viterbi decoding."""
    rng = np.random.default_rng(6)
    model = _casino_model()
    T = 300
    z, x = model.sample(T, rng)

    # Posterior decoding picks the most probable state at each roll; Viterbi the most probable path.
    log_likelihood, gamma, _ = model.posteriors(x)
    posterior_loaded = gamma[:, 1]
    posterior_path = (posterior_loaded > 0.5).astype(int)
    viterbi_path, _ = model.viterbi(x)

    # Baum-Welch on 5,000 fresh rolls, starting from random emission rows and symmetric switching rates.
    _, x_long = model.sample(5000, rng)
    start = hmm.CategoricalHMM(
        pi=np.array([0.5, 0.5]),
        A=np.array([[0.8, 0.2], [0.2, 0.8]]),
        B=rng.dirichlet(np.full(6, 10.0), size=2),
    )
    fitted, history = hmm.fit_em(start, [x_long], n_iter=300, tol=1e-6, method="chunked")
    loaded_state = int(np.argmax(fitted.B[:, 5]))

    fig, (ax_rolls, ax_states) = plt.subplots(2, 1, figsize=(11, 5.5), sharex=True, height_ratios=[1, 2])
    steps = np.arange(T)
    for ax in (ax_rolls, ax_states):
        ax.fill_between(steps, 0, 1, where=z == 1, step="mid", color="tab:red", alpha=0.15,
                        transform=ax.get_xaxis_transform(), label="true loaded period")
    ax_rolls.scatter(steps, x + 1, s=6, c=np.where(x == 5, "tab:red", "0.3"))
    ax_rolls.set_ylabel("roll")
    ax_rolls.set_yticks(range(1, 7))
    ax_rolls.set_title("Occasionally dishonest casino: true loaded periods (shaded) and two decodings")
    ax_states.plot(steps, posterior_loaded, color="tab:blue", label="posterior p(loaded | all rolls)")
    ax_states.step(steps, 1.08 * viterbi_path - 0.04, where="mid", color="black", lw=1.2,
                   label="Viterbi path (1 = loaded)")
    ax_states.axhline(0.5, color="tab:blue", ls=":", lw=0.8)
    ax_states.set_ylim(-0.1, 1.1)
    ax_states.set_xlabel("roll number t")
    ax_states.set_ylabel("p(loaded) / decoded state")
    ax_states.legend(loc="upper right", fontsize=8, framealpha=0.9)
    fig.tight_layout()
    fig.savefig(figures_dir / "casino.png", dpi=DPI)
    plt.close(fig)

    return {
        "log_likelihood": round(float(log_likelihood), 4),
        "fraction_loaded": round(float(np.mean(z == 1)), 4),
        "posterior_decoding_accuracy": round(float(np.mean(posterior_path == z)), 4),
        "viterbi_accuracy": round(float(np.mean(viterbi_path == z)), 4),
        "viterbi_switches": int(np.sum(np.diff(viterbi_path) != 0)),
        "posterior_decoding_switches": int(np.sum(np.diff(posterior_path) != 0)),
        "true_switches": int(np.sum(np.diff(z) != 0)),
        "em_iterations": len(history) - 1,
        "em_p_six_given_loaded": round(float(fitted.B[loaded_state, 5]), 4),
        "em_stay_loaded": round(float(fitted.A[loaded_state, loaded_state]), 4),
        "em_stay_fair": round(float(fitted.A[1 - loaded_state, 1 - loaded_state]), 4),
    }


def task_em_restarts(figures_dir: Path) -> dict:
    """Run EM on a 3-state Gaussian HMM from several random starts: monotone log-likelihood, local optima, permuted states."""
    rng = np.random.default_rng(2019)
    true_model = hmm.GaussianHMM(
        pi=np.full(3, 1 / 3),
        A=np.array([[0.90, 0.05, 0.05], [0.05, 0.90, 0.05], [0.05, 0.05, 0.90]]),
        mu=np.array([[-3.0], [0.0], [3.0]]),
        Sigma=np.array([[[1.0]], [[0.09]], [[1.0]]]),
    )
    _, X = true_model.sample(500, rng)
    X = X[:, 0]
    true_log_likelihood = true_model.log_likelihood(X)

    # Random starts: means at random data points, the data variance everywhere, random sticky transitions.
    n_starts = 10
    histories, fits = [], []
    for _ in range(n_starts):
        A_start = 0.5 * np.eye(3) + 0.5 * rng.dirichlet(np.ones(3), size=3)
        start = hmm.GaussianHMM(
            pi=np.full(3, 1 / 3), A=A_start, mu=rng.choice(X, size=(3, 1), replace=False),
            Sigma=np.full((3, 1, 1), X.var()),
        )
        fitted, history = hmm.fit_em(start, [X], n_iter=300, tol=1e-7, method="chunked")
        histories.append(history)
        fits.append(fitted)

    final = np.array([h[-1] for h in histories])
    smallest_change = min(float(np.min(np.diff(h))) for h in histories)
    best = int(np.argmax(final))

    # A state's label is arbitrary: report which fitted state ends up nearest each true mean.
    permutations = [[int(np.argmin(np.abs(f.mu[:, 0] - m))) for m in true_model.mu[:, 0]] for f in fits]

    # Final values within 1 nat of each other count as the same optimum.
    n_distinct_optima = 1 + int(np.sum(np.diff(np.sort(final)) > 1.0))

    fig, (ax_history, ax_means) = plt.subplots(1, 2, figsize=(13, 4.8))
    colors = plt.cm.tab10(np.arange(n_starts))
    for i, history in enumerate(histories):
        # Iteration 0 (the start) sits at x = 1 so that the log-scaled axis shows both fast and slow runs.
        ax_history.plot(np.arange(1, len(history) + 1), history, color=colors[i], lw=1.4, label=f"start {i}")
    ax_history.axhline(true_log_likelihood, color="black", ls="--", lw=1, label="true parameters")
    ax_history.set_ylim(final.min() - 80, final.max() + 40)
    ax_history.set_xscale("log")
    ax_history.set_xlabel("EM iteration + 1 (log scale)")
    ax_history.set_ylabel("log-likelihood")
    ax_history.set_title("Log-likelihood per EM iteration, 10 random starts")
    ax_history.legend(fontsize=7, ncol=2, loc="center right")

    markers = ["o", "s", "^"]
    for i, fitted in enumerate(fits):
        for k in range(3):
            ax_means.scatter(i, fitted.mu[k, 0], marker=markers[k], color=colors[i], s=60, edgecolor="black")
    for k in range(3):
        ax_means.scatter([], [], marker=markers[k], color="0.8", edgecolor="black", label=f"fitted state {k}")
    for m in true_model.mu[:, 0]:
        ax_means.axhline(m, color="0.5", ls="--", lw=1)
    ax_means.set_xticks(range(n_starts))
    ax_means.set_xticklabels([f"{i}\n{final[i]:.0f}" for i in range(n_starts)], fontsize=8)
    ax_means.set_xlabel("start (and its final log-likelihood)")
    ax_means.set_ylabel("fitted mean $\\mu_k$")
    ax_means.set_title("Fitted means per start (dashed: true means)")
    ax_means.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    fig.savefig(figures_dir / "em_restarts.png", dpi=DPI)
    plt.close(fig)

    return {
        "true_log_likelihood": round(float(true_log_likelihood), 3),
        "final_log_likelihoods": [round(float(v), 3) for v in final],
        "best_start": best,
        "n_distinct_optima": int(n_distinct_optima),
        "iterations": [len(h) - 1 for h in histories],
        "smallest_log_likelihood_change": smallest_change,
        "state_for_each_true_mean": permutations,
        "best_means": [round(float(v), 3) for v in fits[best].mu[:, 0]],
    }


def _run_lengths(z: np.ndarray) -> np.ndarray:
    """Return the lengths of the runs of equal consecutive values in z, dropping the last (censored) run."""
    change = np.flatnonzero(np.diff(z) != 0) + 1
    boundaries = np.concatenate([[0], change])
    return np.diff(boundaries)


def task_durations(figures_dir: Path) -> dict:
    """Fit an HMM to regimes that each last exactly 20 steps, and compare its geometric duration law with the truth."""
    rng = np.random.default_rng(20)
    duration = 20
    n_regimes = 150
    means = np.array([-3.0, 0.0, 3.0])

    # Regimes cycle 0 -> 1 -> 2 -> 0, each for exactly 20 steps, with unit-variance Gaussian noise.
    z = np.repeat(np.arange(n_regimes) % 3, duration)
    X = means[z] + rng.standard_normal(len(z))

    start = hmm.GaussianHMM(
        pi=np.full(3, 1 / 3), A=np.full((3, 3), 0.1) + 0.7 * np.eye(3),
        mu=np.array([[-1.0], [0.5], [1.0]]), Sigma=np.full((3, 1, 1), 2.0),
    )
    fitted, history = hmm.fit_em(start, [X], n_iter=200, tol=1e-8, method="chunked")
    self_transition = np.diag(fitted.A)

    # The HMM's duration law in state k: P(d) = (1 - a_kk) a_kk^(d - 1), a geometric distribution.
    d = np.arange(1, 81)
    a = float(self_transition.mean())
    geometric = (1 - a) * a ** (d - 1)

    # Durations in a long sample from the fitted model, for comparison with the data's constant 20.
    z_sampled, _ = fitted.sample(60_000, rng)
    sampled_durations = _run_lengths(z_sampled)[1:]
    decoded, _ = fitted.viterbi(X)
    decoded_durations = _run_lengths(decoded)

    fig, (ax_pmf, ax_trace) = plt.subplots(1, 2, figsize=(12, 4.5), width_ratios=[1.2, 1])
    ax_pmf.hist(sampled_durations, bins=np.arange(0.5, 81.5), density=True, color="tab:orange", alpha=0.5,
                label="durations sampled from the fitted HMM")
    ax_pmf.plot(d, geometric, color="tab:red", lw=2, label=f"geometric law, $a_{{kk}}$ = {a:.3f}")
    ax_pmf.bar([duration], [1.0], width=0.8, color="tab:blue", alpha=0.8, label="data: every regime lasts 20 steps")
    ax_pmf.set_yscale("log")
    ax_pmf.set_ylim(1e-4, 1.5)
    ax_pmf.set_xlabel("regime duration d (steps)")
    ax_pmf.set_ylabel("probability P(d)")
    ax_pmf.set_title("Implied duration distribution versus the data")
    ax_pmf.legend(fontsize=8, loc="upper right")

    window = 300
    _, X_sampled = fitted.sample(window, np.random.default_rng(21))
    ax_trace.plot(np.arange(window), X[:window], color="tab:blue", lw=0.9, label="data (20-step regimes)")
    ax_trace.plot(np.arange(window), X_sampled[:, 0] - 9, color="tab:orange", lw=0.9,
                  label="sample from fitted HMM (shifted by -9)")
    ax_trace.set_ylim(-16, 10)
    ax_trace.set_xlabel("time step t")
    ax_trace.set_ylabel("observation x_t")
    ax_trace.set_title("Regular regimes in the data, irregular ones in the fit")
    ax_trace.legend(fontsize=8, loc="upper right", ncol=2)
    fig.tight_layout()
    fig.savefig(figures_dir / "durations.png", dpi=DPI)
    plt.close(fig)

    return {
        "em_iterations": len(history) - 1,
        "fitted_self_transitions": [round(float(v), 4) for v in self_transition],
        "implied_mean_duration": round(1 / (1 - a), 2),
        "implied_p_duration_20": round(float(geometric[duration - 1]), 4),
        "implied_p_duration_18_to_22": round(float(geometric[17:22].sum()), 4),
        "implied_p_duration_below_10": round(float(geometric[:9].sum()), 4),
        "sampled_duration_std": round(float(sampled_durations.std()), 2),
        "viterbi_fraction_duration_20": round(float(np.mean(decoded_durations == duration)), 4),
    }
