"""Toy tasks for the VAE session, on scikit-learn's bundled 8x8 handwritten digits, binarised."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.stats import norm  # noqa: E402
from scipy.special import logsumexp  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

vae = load_sibling(__file__, "vae")

# grey levels run from 0 to 16, so a pixel is "on" when it is at least half dark
THRESHOLD = 8
N_TEST = 360
SPLIT_SEED = 0
DPI = 100


def single_blas_thread(task: Callable[..., dict]) -> Callable[..., dict]:
    """Run a task with one BLAS thread.

    The matrices here are at most a few hundred wide, too small to gain from threads. Measured on a
    shared 2-core AMD EPYC under load, OpenBLAS threads that waited for each other made 5 epochs with
    128 hidden units take 4 to 14 s instead of 0.4 s with one thread.
    """

    @functools.wraps(task)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1):
            return task(*args, **kwargs)

    return wrapper


def load_binary_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the binarised digits split into train and test: X_train, X_test, y_train, y_test.

    The 1797 images (64 pixels each) ship with scikit-learn. A fixed permutation puts 360 of them
    (20 %) in the test set.
    """
    digits = load_digits()
    X = (digits.data >= THRESHOLD).astype(float)
    order = np.random.default_rng(SPLIT_SEED).permutation(X.shape[0])
    test, train = order[:N_TEST], order[N_TEST:]
    return X[train], X[test], digits.target[train], digits.target[test]


def independent_pixel_log_lik(X_train: np.ndarray, X_test: np.ndarray) -> float:
    """Return the mean test log-likelihood of independent pixels with the training frequencies.

    A VAE whose decoder ignores z can do no better than this, so it is the level a collapsed
    posterior falls back to.
    """
    frequencies = np.clip(X_train.mean(axis=0), 1e-3, 1.0 - 1e-3)
    return float(vae.log_bernoulli(X_test, np.log(frequencies / (1.0 - frequencies))).mean())


def _image_grid(images: np.ndarray, n_rows: int, n_cols: int, pad: int = 1) -> np.ndarray:
    """Tile (n_rows * n_cols, 64) images into one array, with NaN in the gaps between them.

    Plot the result with `_show_grid`, which draws the NaN gaps in a colour that no pixel value has.
    """
    side = 8 + pad
    canvas = np.full((n_rows * side + pad, n_cols * side + pad), np.nan)
    for k, image in enumerate(images):
        row, col = divmod(k, n_cols)
        canvas[pad + row * side : pad + row * side + 8, pad + col * side : pad + col * side + 8] = image.reshape(8, 8)
    return canvas


def _show_grid(ax: plt.Axes, canvas: np.ndarray) -> None:
    """Draw a tiled image grid: white for probability 0, black for 1, light blue between tiles."""
    cmap = plt.get_cmap("gray_r").copy()
    cmap.set_bad("lightsteelblue")
    ax.imshow(canvas, cmap=cmap, vmin=0.0, vmax=1.0)


def _one_per_class(y: np.ndarray) -> np.ndarray:
    """Return the index of the first example of each digit 0..9."""
    return np.array([np.flatnonzero(y == digit)[0] for digit in range(10)])


@single_blas_thread
def task_latent_plane(figures_dir: Path) -> dict:
    """Train a VAE with a 2-D latent space and show its training curves, latent plane and reconstructions."""
    rng = np.random.default_rng(1)
    X_train, X_test, _, y_test = load_binary_digits()
    n_epochs = 150
    params = vae.init_params(X_train.shape[1], 2, [128], rng)

    # the test ELBO of each epoch is averaged over 5 noise draws per image
    test_curve: list[float] = []
    eval_rng = np.random.default_rng(2)
    untrained = float(vae.estimate_elbo(params, X_test, rng=eval_rng, n_samples=5).mean())

    def on_epoch(epoch: int, current: dict, train_value: float) -> None:
        test_curve.append(float(vae.estimate_elbo(current, X_test, rng=eval_rng, n_samples=5).mean()))
        if epoch % 30 == 0:
            print(f"epoch {epoch:3d}/{n_epochs}: train ELBO {train_value:7.2f}, test ELBO {test_curve[-1]:7.2f}")

    params, train_curve = vae.train(
        params, X_train, n_epochs=n_epochs, batch_size=64, learning_rate=2e-3, rng=rng, on_epoch=on_epoch
    )
    mu_test, _ = vae.encode(params, X_test)
    baseline = independent_pixel_log_lik(X_train, X_test)

    # The reconstructions get the lower-right cell as two stacked 2 x 5 strips (digits 0-4, then
    # 5-9). One 2 x 10 strip there would leave most of the cell's height empty.
    fig, axes = plt.subplots(2, 2, figsize=(12, 10.5))
    reconstruction_cell = axes[1, 1].get_subplotspec()
    axes[1, 1].remove()
    reconstruction_axes = [fig.add_subplot(cell) for cell in reconstruction_cell.subgridspec(2, 1)]
    epochs = np.arange(1, n_epochs + 1)

    # training curves, with the factorised-pixel model as the level a latent-free model reaches
    ax = axes[0, 0]
    ax.plot(epochs, train_curve, label="train (minibatch mean, 1 sample)")
    ax.plot(epochs, test_curve, label="test (5 samples per image)")
    ax.axhline(baseline, color="grey", linestyle="--", label="independent pixels, test log-lik")
    ax.set_ylim(min(baseline, min(test_curve[5:])) - 3.0, max(train_curve) + 2.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("ELBO per image (nats)")
    ax.set_title("ELBO during training")
    ax.legend(loc="lower right")

    # encoder means of the test set, coloured by the label the model never saw
    ax = axes[0, 1]
    scatter = ax.scatter(mu_test[:, 0], mu_test[:, 1], c=y_test, cmap="tab10", s=12, vmin=-0.5, vmax=9.5)
    fig.colorbar(scatter, ax=ax, ticks=range(10), label="digit class")
    ax.set_xlabel("$\\mu_1$")
    ax.set_ylabel("$\\mu_2$")
    ax.set_title("Test set: encoder means $\\mu(x)$")

    # decode a grid of latents at prior quantiles, so equal areas carry equal prior mass
    n_grid = 15
    quantiles = norm.ppf(np.linspace(0.03, 0.97, n_grid))
    z1, z2 = np.meshgrid(quantiles, quantiles[::-1])
    Z = np.stack([z1.ravel(), z2.ravel()], axis=1)  # (n_grid**2, 2), top row has the largest z2
    probabilities = 1.0 / (1.0 + np.exp(-vae.decode_logits(params, Z)))
    ax = axes[1, 0]
    _show_grid(ax, _image_grid(probabilities, n_grid, n_grid))
    ticks = 4.5 + 9 * np.arange(0, n_grid, 2)
    ax.set_xticks(ticks, [f"{q:.1f}" for q in quantiles[::2]])
    ax.set_yticks(ticks, [f"{q:.1f}" for q in quantiles[::-1][::2]])
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title("Decoder means $p(x = 1 \\mid z)$ over the latent plane")

    # one test image per class above its reconstruction from the posterior mean
    chosen = _one_per_class(y_test)
    reconstructions = vae.reconstruct(params, X_test[chosen])
    for ax, digits in zip(reconstruction_axes, [range(0, 5), range(5, 10)]):
        _show_grid(ax, _image_grid(np.concatenate([X_test[chosen][digits], reconstructions[digits]]), 2, len(digits)))
        ax.set_yticks([4.5, 13.5], ["original", "reconstruction"])
        ax.set_xticks(4.5 + 9 * np.arange(len(digits)), [str(d) for d in digits])
    reconstruction_axes[1].set_xlabel("digit class")
    reconstruction_axes[0].set_title("Test images and their reconstructions $p(x = 1 \\mid \\mu(x))$")

    fig.tight_layout()
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures_dir / "latent_plane.png", dpi=DPI)
    plt.close(fig)

    return {
        "final_train_elbo": round(train_curve[-1], 3),
        "final_test_elbo": round(test_curve[-1], 3),
        "best_test_elbo": round(max(test_curve), 3),
        "independent_pixel_test_log_lik": round(baseline, 3),
        "untrained_test_elbo": round(untrained, 3),
    }


@single_blas_thread
def task_bound_gap(figures_dir: Path) -> dict:
    """Track the gap between the ELBO and an importance-sampled log p(x) while training."""
    rng = np.random.default_rng(3)
    X_train, X_test, _, _ = load_binary_digits()
    X_eval = X_test[:200]
    n_epochs = 100
    eval_every = 5
    n_importance = 200
    params = vae.init_params(X_train.shape[1], 4, [128], rng)

    eval_rng = np.random.default_rng(4)
    eval_epochs: list[int] = []
    elbo_curve: list[float] = []
    log_px_curve: list[float] = []

    def evaluate(epoch: int, current: dict) -> None:
        eval_epochs.append(epoch)
        elbo_curve.append(float(vae.estimate_elbo(current, X_eval, rng=eval_rng, n_samples=20).mean()))
        log_px_curve.append(
            float(vae.log_marginal_estimate(current, X_eval, n_samples=n_importance, rng=eval_rng).mean())
        )

    def on_epoch(epoch: int, current: dict, train_value: float) -> None:
        if epoch % eval_every == 0:
            evaluate(epoch, current)
        if epoch % 25 == 0:
            print(f"epoch {epoch:3d}/{n_epochs}: test ELBO {elbo_curve[-1]:7.2f}, log p(x) {log_px_curve[-1]:7.2f}")

    evaluate(0, params)
    params, _ = vae.train(
        params, X_train, n_epochs=n_epochs, batch_size=64, learning_rate=2e-3, rng=rng, on_epoch=on_epoch
    )

    # after training: nested estimates from the first S of one set of weights, on all test images
    sample_counts = [1, 3, 10, 30, 100, 300, 1000, 2000]
    log_w = np.concatenate(
        [
            vae.log_importance_weights(params, X_test, eval_rng.standard_normal((100, X_test.shape[0], 4)))
            for _ in range(sample_counts[-1] // 100)
        ]
    )  # (2000, N)
    by_samples = [float(np.mean(logsumexp(log_w[:S], axis=0) - np.log(S))) for S in sample_counts]
    # E_q[log w] is the ELBO, so the mean of all the log-weights estimates it from the same draws
    final_elbo_all = float(log_w.mean())
    gap = np.array(log_px_curve) - np.array(elbo_curve)

    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    ax = axes[0]
    label = f"log p(x), importance sampled (S = {n_importance})"
    ax.plot(eval_epochs, log_px_curve, marker="o", markersize=3, label=label)
    ax.plot(eval_epochs, elbo_curve, marker="o", markersize=3, label="ELBO (20 samples)")
    ax.set_ylim(min(elbo_curve[1:]) - 1.0, max(log_px_curve) + 1.0)
    ax.text(
        0.97,
        0.3,
        f"untrained (epoch 0, below the axis):\nELBO {elbo_curve[0]:.1f}, log p(x) {log_px_curve[0]:.1f}",
        transform=ax.transAxes,
        ha="right",
        fontsize=9,
    )
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per test image")
    ax.set_title(f"ELBO and log p(x) on {X_eval.shape[0]} test images")
    ax.legend(loc="lower right")

    ax = axes[1]
    ax.plot(eval_epochs, gap, marker="o", markersize=3, color="C3")
    ax.set_ylim(0.0, 1.1 * max(gap))
    ax.set_xlabel("epoch")
    ax.set_ylabel("log p(x) - ELBO (nats)")
    ax.set_title("Gap: an estimate of KL(q(z|x) || p(z|x))")

    ax = axes[2]
    ax.semilogx(sample_counts, by_samples, marker="o", label="importance-sampled log p(x), first S weights")
    ax.axhline(final_elbo_all, color="C1", linestyle="--", label=f"ELBO (mean of all {sample_counts[-1]} log w)")
    ax.set_xlabel("number of importance samples S")
    ax.set_ylabel("nats per test image")
    ax.set_title(f"After training, all {X_test.shape[0]} test images: estimate vs S")
    ax.legend(loc="center right")

    fig.tight_layout()
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures_dir / "bound_gap.png", dpi=DPI)
    plt.close(fig)

    return {
        "final_test_elbo": round(elbo_curve[-1], 3),
        "final_log_px": round(log_px_curve[-1], 3),
        "untrained_gap": round(float(gap[0]), 3),
        "final_gap": round(float(gap[-1]), 3),
        "mean_gap_last_50_epochs": round(float(np.mean(gap[-10:])), 3),
        "all_test_elbo": round(final_elbo_all, 3),
        "log_px_by_samples": {str(S): round(value, 3) for S, value in zip(sample_counts, by_samples)},
    }


@single_blas_thread
def task_beta_collapse(figures_dir: Path) -> dict:
    """Weight the KL term by beta and watch the posterior collapse and the reconstructions blur."""
    rng = np.random.default_rng(5)
    X_train, X_test, _, y_test = load_binary_digits()
    betas = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    n_epochs = 40
    L = 4
    baseline = independent_pixel_log_lik(X_train, X_test)
    chosen = _one_per_class(y_test)

    kls, errors, active_units, reconstructions = [], [], [], []
    for beta in betas:
        params = vae.init_params(X_train.shape[1], L, [64], rng)
        params, _ = vae.train(
            params, X_train, n_epochs=n_epochs, batch_size=64, learning_rate=2e-3, beta=beta, rng=rng
        )

        # reconstruction error is -E_q[log p(x|z)], averaged over 5 draws of z per test image
        log_lik = np.mean(
            [vae.elbo_terms(params, X_test, rng.standard_normal((X_test.shape[0], L)))[0] for _ in range(5)], axis=0
        )
        mu, log_var = vae.encode(params, X_test)
        kls.append(float(vae.gaussian_kl(mu, log_var).mean()))
        errors.append(float(-log_lik.mean()))

        # a latent dimension is active when its posterior mean varies across images (Burda et al. 2016)
        active_units.append(int(np.sum(mu.var(axis=0) > 0.01)))
        reconstructions.append(vae.reconstruct(params, X_test[chosen]))
        print(
            f"beta {beta:5.2f}: KL {kls[-1]:6.2f}, reconstruction error {errors[-1]:6.2f}, "
            f"active units {active_units[-1]}"
        )

    fig, axes = plt.subplots(1, 2, figsize=(14, 5.6), gridspec_kw={"width_ratios": [1.0, 1.1]})
    ax = axes[0]
    ax.semilogx(betas, kls, marker="o", label="KL(q(z|x) || p(z))")
    ax.semilogx(betas, errors, marker="s", label="reconstruction error $-E_q \\log p(x|z)$")
    ax.axhline(-baseline, color="grey", linestyle="--", label="independent pixels (z ignored)")
    for beta, kl, units in zip(betas, kls, active_units):
        ax.annotate(f"{units} active", (beta, kl), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=8)
    ax.set_xlabel("KL weight beta")
    ax.set_ylabel("nats per test image")
    ax.set_title(f"Posterior collapse as beta grows (L = {L})")
    ax.legend(loc="center left")

    ax = axes[1]
    rows = np.concatenate([X_test[chosen], *reconstructions])
    _show_grid(ax, _image_grid(rows, len(betas) + 1, 10))
    ax.set_yticks(4.5 + 9 * np.arange(len(betas) + 1), ["original"] + [f"beta = {b:g}" for b in betas])
    ax.set_xticks(4.5 + 9 * np.arange(10), [str(d) for d in range(10)])
    ax.set_xlabel("digit class")
    ax.set_title("Reconstructions $p(x = 1 \\mid \\mu(x))$ blur towards the mean digit")

    fig.tight_layout()
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures_dir / "beta_collapse.png", dpi=DPI)
    plt.close(fig)

    return {
        "betas": betas,
        "kl": [round(v, 3) for v in kls],
        "reconstruction_error": [round(v, 3) for v in errors],
        "active_units": active_units,
        "independent_pixel_error": round(-baseline, 3),
    }
