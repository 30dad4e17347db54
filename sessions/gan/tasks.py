"""Toy tasks for the GAN session: a 1-D Gaussian, a ring of eight Gaussians, the Dirac-GAN, and saturation.

Every task limits BLAS to one thread. The matrices are tiny, and on a shared 2-core machine
OpenBLAS's thread hand-offs made the training loops more than ten times slower than with one thread.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from mlseminar.testing import load_sibling  # noqa: E402

gan = load_sibling(__file__, "gan")

DPI = 100


def _save(fig: plt.Figure, figures_dir: Path, name: str) -> None:
    figures_dir.mkdir(parents=True, exist_ok=True)
    fig.savefig(figures_dir / name, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


# ---------------------------------------------------------------------------------------------
# 1. A 1-D Gaussian
# ---------------------------------------------------------------------------------------------


def task_gaussian_1d(figures_dir: Path) -> dict:
    """Show a generator learning the mean and spread of a 1-D Gaussian, with the discriminator's output."""
    rng = np.random.default_rng(1)
    snapshot_rng = np.random.default_rng(101)
    target_mean, target_std = 3.0, 0.5
    n_steps = 2000
    snapshot_steps = [0, 100, 300, 600, 1000, n_steps]

    theta = gan.init_mlp([1, 16, 1], rng)
    phi = gan.init_mlp([1, 32, 32, 1], rng)
    x_grid = np.linspace(-1.5, 5.0, 400)
    snapshots = {}
    moments = []

    def record(step, theta, phi):
        if step % 20 == 0:
            samples = gan.generate(theta, 2000, snapshot_rng)
            moments.append((step, samples.mean(), samples.std()))
        if step in snapshot_steps:
            snapshots[step] = (gan.generate(theta, 20000, snapshot_rng)[:, 0], gan.discriminate(phi, x_grid[:, None]))

    with threadpool_limits(limits=1, user_api="blas"):
        theta, phi, history = gan.train_gan(
            theta,
            phi,
            lambda rng, n: rng.normal(target_mean, target_std, size=(n, 1)),
            rng,
            n_steps=n_steps,
            batch_size=256,
            learning_rate_generator=1e-3,
            learning_rate_discriminator=1e-3,
            callback=record,
        )
        final = gan.generate(theta, 20000, snapshot_rng)[:, 0]

    # densities and discriminator at a few steps
    p_data = np.exp(gan.log_normal_pdf(x_grid, target_mean, target_std))
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True, sharey=True)
    for ax, step in zip(axes.flat, snapshot_steps):
        samples, D = snapshots[step]
        ax.plot(x_grid, p_data, color="k", label="data density")
        ax.hist(samples, bins=np.linspace(-1.5, 5.0, 131), density=True, color="tab:orange", alpha=0.6, label="generated density")
        ax.plot(x_grid, D, color="tab:blue", label="D(x)")
        ax.axhline(0.5, color="tab:blue", lw=0.8, ls=":")
        ax.set_title(f"step {step}")
        ax.set_ylim(0, 1.6)
    for ax in axes[1]:
        ax.set_xlabel("x")
    for ax in axes[:, 0]:
        ax.set_ylabel("density, or D(x)")
    axes[0, 0].legend(loc="upper right", fontsize=8)
    fig.suptitle("1-D Gaussian target N(3, 0.5^2): the generated density moves onto the data and D(x) flattens towards 1/2")
    _save(fig, figures_dir, "gaussian_1d.png")

    # moments and losses over training
    steps, means, stds = np.array(moments).T
    fig, (ax_moments, ax_loss) = plt.subplots(1, 2, figsize=(12, 4))
    ax_moments.plot(steps, means, label="generated mean")
    ax_moments.plot(steps, stds, label="generated std")
    ax_moments.axhline(target_mean, color="tab:blue", ls="--", lw=1, label="target mean")
    ax_moments.axhline(target_std, color="tab:orange", ls="--", lw=1, label="target std")
    ax_moments.set_xlabel("generator step")
    ax_moments.set_ylabel("value")
    ax_moments.set_title("Moments of 2000 generated samples")
    ax_moments.legend()
    ax_loss.plot(history["discriminator_loss"], lw=0.6, label="discriminator loss (real + fake BCE)")
    ax_loss.plot(history["generator_loss"], lw=0.6, label="generator loss (non-saturating)")
    ax_loss.axhline(2 * np.log(2), color="k", ls="--", lw=1, label="2 ln 2")
    ax_loss.axhline(np.log(2), color="gray", ls=":", lw=1, label="ln 2")
    ax_loss.set_xlabel("generator step")
    ax_loss.set_ylabel("batch loss")
    ax_loss.set_title("Losses settle at their equilibrium values")
    ax_loss.legend(fontsize=8)
    _save(fig, figures_dir, "gaussian_1d_training.png")

    return {
        "target_mean": target_mean,
        "target_std": target_std,
        "generated_mean": float(final.mean()),
        "generated_std": float(final.std()),
        "discriminator_loss_last_100": float(history["discriminator_loss"][-100:].mean()),
        "two_ln_2": float(2 * np.log(2)),
    }


# ---------------------------------------------------------------------------------------------
# 2. A ring of eight Gaussians
# ---------------------------------------------------------------------------------------------

RING_RADIUS = 2.0
RING_STD = 0.05
N_MODES = 8


def _ring_centres() -> np.ndarray:
    angles = 2 * np.pi * np.arange(N_MODES) / N_MODES
    return RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)  # (8, 2)


def _sample_ring(rng: np.random.Generator, n: int) -> np.ndarray:
    centres = _ring_centres()
    return centres[rng.integers(N_MODES, size=n)] + RING_STD * rng.standard_normal((n, 2))


def _mode_fractions(samples: np.ndarray) -> np.ndarray:
    """Fraction of samples within 4 standard deviations of each mode; returns (8,)."""
    centres = _ring_centres()
    distances = np.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=2)  # (M, 8)
    nearest = distances.argmin(axis=1)
    close = distances.min(axis=1) < 4 * RING_STD
    return np.bincount(nearest[close], minlength=N_MODES) / len(samples)


def task_ring_of_gaussians(figures_dir: Path) -> dict:
    """Show modes being dropped and regained during training on a ring of eight Gaussians."""
    rng = np.random.default_rng(7)
    snapshot_rng = np.random.default_rng(107)
    n_steps = 3000
    snapshot_steps = [0, 500, 1000, 1500, 2000, 2500, n_steps]
    occupancy_every = 50
    activation = "leaky_relu"

    theta = gan.init_mlp([2, 64, 64, 2], rng)
    phi = gan.init_mlp([2, 64, 64, 1], rng)
    snapshots = {}
    occupancy = []

    def record(step, theta, phi):
        if step % occupancy_every == 0:
            occupancy.append(_mode_fractions(gan.generate(theta, 1000, snapshot_rng, activation)))
        if step in snapshot_steps:
            snapshots[step] = gan.generate(theta, 1000, snapshot_rng, activation)
        if step % 1000 == 0 and step > 0:
            print(f"ring of Gaussians: step {step}/{n_steps}", flush=True)

    with threadpool_limits(limits=1, user_api="blas"):
        theta, phi, history = gan.train_gan(
            theta,
            phi,
            _sample_ring,
            rng,
            n_steps=n_steps,
            batch_size=128,
            learning_rate_generator=5e-3,
            learning_rate_discriminator=5e-3,
            activation=activation,
            callback=record,
        )

    # snapshots of generated samples over the eight modes
    centres = _ring_centres()
    fig, axes = plt.subplots(1, len(snapshot_steps), figsize=(3.0 * len(snapshot_steps), 3.4), sharex=True, sharey=True)
    for ax, step in zip(axes, snapshot_steps):
        samples = snapshots[step]
        ax.scatter(*_sample_ring(snapshot_rng, 1000).T, s=2, color="k", alpha=0.3, label="data")
        ax.scatter(*samples.T, s=2, color="tab:red", alpha=0.5, label="generated")
        ax.scatter(*centres.T, s=30, facecolors="none", edgecolors="tab:blue", label="mode centres")
        covered = int(np.sum(_mode_fractions(samples) > 0.02))
        ax.set_title(f"step {step}: {covered}/8 modes")
        ax.set_xlim(-3, 3)
        ax.set_ylim(-3, 3)
        ax.set_aspect("equal")
        ax.set_xlabel("x1")
    axes[0].set_ylabel("x2")
    # one legend below the row of panels, so that it hides no mode in any panel
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=9, markerscale=3)
    fig.suptitle("Ring of eight Gaussians: modes are dropped and regained during training")
    _save(fig, figures_dir, "ring_snapshots.png")

    # which modes hold the generated mass, over training
    occupancy = np.array(occupancy)  # (checkpoints, 8)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    image = ax.imshow(
        occupancy.T,
        aspect="auto",
        origin="lower",
        cmap="viridis",
        extent=(-occupancy_every / 2, n_steps + occupancy_every / 2, -0.5, N_MODES - 0.5),
        vmin=0,
        vmax=0.5,
    )
    fig.colorbar(image, ax=ax, label="fraction of generated samples")
    ax.set_xlabel("generator step")
    ax.set_ylabel("mode index (counter-clockwise)")
    ax.set_title("Mode occupancy: mass moves between modes, and some modes stay nearly empty for long stretches")
    _save(fig, figures_dir, "ring_mode_occupancy.png")

    covered_over_time = (occupancy > 0.02).sum(axis=1)
    final = _mode_fractions(gan.generate(theta, 5000, snapshot_rng, activation))
    return {
        "modes_covered_at_snapshots": {str(step): int(np.sum(_mode_fractions(snapshots[step]) > 0.02)) for step in snapshot_steps},
        "max_modes_covered": int(covered_over_time.max()),
        "final_modes_covered": int(np.sum(final > 0.02)),
        "final_fraction_near_a_mode": float(final.sum()),
        "final_mode_fractions": [round(float(f), 3) for f in final],
    }


# ---------------------------------------------------------------------------------------------
# 3. The Dirac-GAN
# ---------------------------------------------------------------------------------------------


def task_dirac_gan(figures_dir: Path) -> dict:
    """Show that plain gradient descent spirals away from the Dirac-GAN's equilibrium and the R1 penalty converges."""
    step_size, n_steps, start = 0.1, 600, (1.0, 1.0)
    gamma = 1.0
    runs = {
        "simultaneous, gamma = 0": gan.simulate_dirac_gan(*start, step_size=step_size, n_steps=n_steps),
        "alternating, gamma = 0": gan.simulate_dirac_gan(*start, step_size=step_size, n_steps=n_steps, update="alternating"),
        f"simultaneous, gamma = {gamma:g}": gan.simulate_dirac_gan(*start, step_size=step_size, n_steps=n_steps, gamma=gamma),
    }
    colours = dict(zip(runs, ["tab:red", "tab:purple", "tab:green"]))

    grid = np.linspace(-2.5, 2.5, 25)
    theta_grid, psi_grid = np.meshgrid(grid, grid)  # (25, 25) each
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    for ax, field_gamma in zip(axes[:2], [0.0, gamma]):
        theta_velocity, psi_velocity = gan.dirac_gan_vector_field(theta_grid, psi_grid, gamma=field_gamma)
        ax.streamplot(grid, grid, theta_velocity, psi_velocity, color="0.7", density=1.0, linewidth=0.7)
        for name, trajectory in runs.items():
            if ("gamma = 0" in name) == (field_gamma == 0.0):
                ax.plot(*trajectory.T, color=colours[name], lw=1.2, label=name)
        ax.plot(*start, "ko", ms=5, label="start")
        ax.plot(0, 0, "k*", ms=12, label="equilibrium")
        ax.set_xlim(-2.5, 2.5)
        ax.set_ylim(-2.5, 2.5)
        ax.set_aspect("equal")
        ax.set_xlabel("theta (generator's point mass)")
        ax.set_ylabel("psi (discriminator slope)")
        ax.set_title(f"gradient field, gamma = {field_gamma:g}")
        ax.legend(loc="lower left", fontsize=8)
    for name, trajectory in runs.items():
        axes[2].semilogy(np.linalg.norm(trajectory, axis=1), color=colours[name], label=name)
    axes[2].set_xlabel("step")
    axes[2].set_ylabel("distance from the equilibrium")
    axes[2].set_title(f"step size h = {step_size:g}")
    axes[2].legend(fontsize=8)
    fig.suptitle("Dirac-GAN: simultaneous steps spiral outward, alternating steps circle, the R1 penalty converges")
    _save(fig, figures_dir, "dirac_gan.png")

    # each eigenvalue as [real part, imaginary part]
    eigenvalues = {
        f"gamma_{g:g}": [[float(value.real), float(value.imag)] for value in np.linalg.eigvals(gan.dirac_gan_jacobian(0.0, 0.0, gamma=g))]
        for g in (0.0, gamma)
    }
    return {
        "start_distance": float(np.hypot(*start)),
        "final_distance": {name: float(np.linalg.norm(trajectory[-1])) for name, trajectory in runs.items()},
        "jacobian_eigenvalues_at_equilibrium": eigenvalues,
    }


# ---------------------------------------------------------------------------------------------
# 4. Saturating against non-saturating generator loss
# ---------------------------------------------------------------------------------------------


def task_saturation(figures_dir: Path) -> dict:
    """Compare the generator's gradient under the minimax and non-saturating losses when the discriminator wins."""
    rng = np.random.default_rng(4)
    target_mean, target_std = 3.0, 0.5
    sample_real = lambda rng, n: rng.normal(target_mean, target_std, size=(n, 1))  # noqa: E731
    n_steps = 600

    with threadpool_limits(limits=1, user_api="blas"):
        theta0 = gan.init_mlp([1, 16, 1], rng)
        phi0 = gan.init_mlp([1, 32, 32, 1], rng)

        # let the discriminator win against the untrained generator, whose samples sit near 0
        fixed_samples = lambda rng, n: gan.generate(theta0, n, rng)  # noqa: E731
        phi_trained, _ = gan.train_discriminator(phi0, sample_real, fixed_samples, rng, n_steps=300, batch_size=256, learning_rate=3e-3)
        Z = rng.standard_normal((2000, 1))
        d_fake = float(gan.discriminate(phi_trained, gan.mlp_forward(theta0, Z)[0]).mean())
        gradient_norms = {
            loss: gan.gradient_norm(gan.generator_loss(theta0, phi_trained, Z, loss)[1]) for loss in gan.GENERATOR_LOSSES
        }

        # train from that state with each loss and optimizer, with the same noise
        traces = {}
        for optimizer, learning_rates in [("sgd", (1e-2, 5e-2)), ("adam", (1e-3, 1e-3))]:
            for loss in gan.GENERATOR_LOSSES:
                means = []
                eval_rng = np.random.default_rng(41)
                record = lambda step, theta, phi: means.append(gan.generate(theta, 1000, eval_rng).mean())  # noqa: E731
                _, _, history = gan.train_gan(
                    theta0,
                    phi_trained,
                    sample_real,
                    np.random.default_rng(40),
                    n_steps=n_steps,
                    batch_size=256,
                    learning_rate_generator=learning_rates[0],
                    learning_rate_discriminator=learning_rates[1],
                    loss=loss,
                    optimizer=optimizer,
                    callback=record,
                )
                traces[optimizer, loss] = (np.array(means), history["generator_grad_norm"])

    # the gradient with respect to the logit, as a function of D(G(z))
    d_values = np.logspace(-6, 0, 200)[:-1]
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
    axes[0].loglog(d_values, d_values, label="minimax: |dL/da| = D")
    axes[0].loglog(d_values, 1 - d_values, label="non-saturating: |dL/da| = 1 - D")
    axes[0].axvline(d_fake, color="k", ls=":", lw=1, label=f"trained D on fakes: {d_fake:.1e}")
    axes[0].set_xlabel("D(G(z))")
    axes[0].set_ylabel("|dL_G / d logit|")
    axes[0].set_title("Per-sample gradient at the logit")
    axes[0].legend(fontsize=8)
    colours = {"minimax": "tab:blue", "non_saturating": "tab:orange"}
    for (optimizer, loss), (means, norms) in traces.items():
        style = "-" if optimizer == "sgd" else "--"
        if optimizer == "sgd":
            axes[1].semilogy(norms, lw=0.7, color=colours[loss], label=f"{loss}, SGD")
        axes[2].plot(means, ls=style, color=colours[loss], label=f"{loss}, {optimizer.upper()}")
    axes[1].set_xlabel("generator step")
    axes[1].set_ylabel("norm of the generator's gradient")
    axes[1].set_title("Generator gradient (SGD) from a winning D")
    axes[1].legend(fontsize=8)
    axes[2].axhline(target_mean, color="k", ls="--", lw=1, label="target mean")
    axes[2].set_xlabel("generator step")
    axes[2].set_ylabel("mean of generated samples")
    axes[2].set_title("Progress of the generator")
    axes[2].legend(fontsize=8)
    fig.suptitle("The minimax generator loss saturates when D wins; Adam rescales the small gradient and hides much of it")
    _save(fig, figures_dir, "saturation.png")

    return {
        "discriminator_on_fakes": d_fake,
        "generator_grad_norm_minimax": gradient_norms["minimax"],
        "generator_grad_norm_non_saturating": gradient_norms["non_saturating"],
        "grad_norm_ratio_non_saturating_to_minimax": gradient_norms["non_saturating"] / gradient_norms["minimax"],
        "steps_to_reach_mean_2": {
            f"{optimizer}, {loss}": int(np.argmax(means >= 2.0)) if np.any(means >= 2.0) else None
            for (optimizer, loss), (means, _) in traces.items()
        },
        "generated_mean_after_100_steps": {
            f"{optimizer}, {loss}": float(means[100]) for (optimizer, loss), (means, _) in traces.items()
        },
    }
