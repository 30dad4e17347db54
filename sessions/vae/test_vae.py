"""Tests for the numpy VAE: hand-derived gradients, the closed-form KL, the bound itself and training."""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import logsumexp
from threadpoolctl import threadpool_limits

from mlseminar.testing import check_gradients, load_sibling

vae = load_sibling(__file__, "vae")


def perturbed_params(D, L, hidden, rng, scale=0.5):
    """Draw initial parameters and move every entry off its start, so no bias is exactly zero."""
    params = vae.init_params(D, L, hidden, rng)
    return {key: value + scale * rng.normal(size=value.shape) for key, value in params.items()}


##### gradients


@pytest.mark.parametrize("hidden", [[4], [4, 3]])
@pytest.mark.parametrize("beta", [1.0, 0.3])
def test_elbo_gradients_finite_differences(rng, hidden, beta):
    N, D, L = 3, 5, 2
    params = perturbed_params(D, L, hidden, rng)
    X = (rng.random((N, D)) > 0.5).astype(float)
    eps = rng.normal(size=(N, L))

    _, grads = vae.elbo_and_gradients(params, X, eps, beta)

    assert set(grads) == set(params)
    check_gradients(lambda p: vae.elbo_and_gradients(p, X, eps, beta)[0], params, grads, rtol=1e-5, atol=1e-8)


def test_elbo_gradients_grey_level_pixels(rng):
    # the Bernoulli term is the cross-entropy for fractional pixels, and the gradient x - sigmoid is still exact
    N, D, L = 4, 6, 3
    params = perturbed_params(D, L, [5], rng)
    X = rng.random((N, D))
    eps = rng.normal(size=(N, L))

    _, grads = vae.elbo_and_gradients(params, X, eps)

    check_gradients(lambda p: vae.elbo_and_gradients(p, X, eps)[0], params, grads, rtol=1e-5, atol=1e-8)


def test_elbo_value_matches_terms(rng):
    N, D, L = 4, 6, 2
    params = perturbed_params(D, L, [5], rng)
    X = (rng.random((N, D)) > 0.5).astype(float)
    eps = rng.normal(size=(N, L))

    value, _ = vae.elbo_and_gradients(params, X, eps, beta=2.5)
    log_lik, kl = vae.elbo_terms(params, X, eps)

    np.testing.assert_allclose(value, np.mean(log_lik - 2.5 * kl), rtol=1e-12, atol=0)


##### helpers against scipy


def test_log_bernoulli_matches_scipy(rng):
    stats = pytest.importorskip("scipy.stats")
    X = (rng.random((7, 5)) > 0.5).astype(float)
    logits = 3.0 * rng.normal(size=(7, 5))

    expected = stats.bernoulli.logpmf(X, 1.0 / (1.0 + np.exp(-logits))).sum(axis=1)

    np.testing.assert_allclose(vae.log_bernoulli(X, logits), expected, rtol=1e-10, atol=1e-12)


def test_log_bernoulli_extreme_logits():
    # probabilities of exp(-800) underflow to zero, but the log-probability must stay exact
    X = np.array([[1.0, 0.0]])
    logits = np.array([[-800.0, 800.0]])

    np.testing.assert_allclose(vae.log_bernoulli(X, logits), [-1600.0], rtol=1e-12, atol=0)


def test_log_normal_diag_matches_scipy(rng):
    stats = pytest.importorskip("scipy.stats")
    mu = rng.normal(size=3)
    log_var = rng.normal(size=3)
    Z = rng.normal(size=(10, 3))

    expected = stats.multivariate_normal(mu, np.diag(np.exp(log_var))).logpdf(Z)

    np.testing.assert_allclose(vae.log_normal_diag(Z, mu, log_var), expected, rtol=1e-10, atol=1e-12)


##### the KL term


def test_gaussian_kl_zero_at_prior():
    np.testing.assert_allclose(vae.gaussian_kl(np.zeros((2, 4)), np.zeros((2, 4))), [0.0, 0.0], rtol=0, atol=1e-15)


def test_gaussian_kl_monte_carlo(rng):
    mu = np.array([[0.0, 0.0], [1.5, -0.5], [-2.0, 0.3]])
    log_var = np.array([[0.0, 0.0], [-1.0, 0.5], [1.2, -2.0]])
    n_draws = 200_000

    # KL = E_q[log q(z) - log p(z)], estimated from draws of q
    Z = mu + np.exp(0.5 * log_var) * rng.standard_normal((n_draws, *mu.shape))  # (n_draws, N, L)
    log_ratio = vae.log_normal_diag(Z, mu, log_var) - vae.log_normal_diag(Z, 0.0, 0.0)  # (n_draws, N)
    estimate = log_ratio.mean(axis=0)
    standard_error = log_ratio.std(axis=0, ddof=1) / np.sqrt(n_draws)

    exact = vae.gaussian_kl(mu, log_var)

    # the first row is the prior itself, where every log-ratio is exactly zero
    np.testing.assert_allclose(exact[0], 0.0, atol=1e-15)
    # a correct closed form lies within 4 standard errors of the mean with probability 0.99994 per row
    assert np.all(np.abs(exact[1:] - estimate[1:]) <= 4.0 * standard_error[1:]), (exact, estimate, standard_error)


##### the bound against an exact log p(x)


def grid_log_joint(params, X, n_grid, z_max):
    """Return a grid over a 1-D latent, its spacing, and log p(x, z) at every grid point (N, n_grid)."""
    z = np.linspace(-z_max, z_max, n_grid)
    log_lik = vae.log_bernoulli(X[:, None, :], vae.decode_logits(params, z[:, None])[None])  # (N, n_grid)
    return z, z[1] - z[0], log_lik + vae.log_normal_diag(z[:, None], 0.0, 0.0)


# The integrands below are smooth and decay like Gaussians well inside [-12, 12]. For such
# integrands the trapezoid rule converges faster than any power of the spacing, and
# test_quadrature_oracle_refines confirms that 4001 points agree with 16001.


def exact_log_marginal(params, X, n_grid=4001, z_max=12.0):
    """Integrate p(x | z) N(z; 0, 1) over a 1-D latent on a fine grid, in log space."""
    _, dz, log_joint = grid_log_joint(params, X, n_grid, z_max)
    return logsumexp(log_joint, axis=1) + np.log(dz)


def exact_elbo(params, X, n_grid=4001, z_max=12.0):
    """Integrate q(z | x) log(p(x, z) / q(z | x)) over a 1-D latent on a fine grid."""
    z, dz, log_joint = grid_log_joint(params, X, n_grid, z_max)
    mu, log_var = vae.encode(params, X)
    log_q = vae.log_normal_diag(z[None, :, None], mu[:, None, :], log_var[:, None, :])  # (N, n_grid)
    return np.sum(np.exp(log_q) * (log_joint - log_q), axis=1) * dz


def exact_log_mean_square_weight(params, X, n_grid=4001, z_max=12.0):
    """Return log E_q[w^2], integrating p(x, z)^2 / q(z | x) over a 1-D latent on a fine grid."""
    z, dz, log_joint = grid_log_joint(params, X, n_grid, z_max)
    mu, log_var = vae.encode(params, X)
    log_q = vae.log_normal_diag(z[None, :, None], mu[:, None, :], log_var[:, None, :])  # (N, n_grid)
    return logsumexp(2.0 * log_joint - log_q, axis=1) + np.log(dz)


@pytest.fixture
def tiny_model(rng):
    """A 1-D latent VAE whose decoder is far from linear, so its true posterior is not Gaussian.

    The encoder's log-variance is held near 0.5, above log(1/2): for a narrower proposal the
    importance weights p(x, z) / q(z | x) have infinite variance under a standard normal prior.
    """
    D = 6
    params = perturbed_params(D, 1, [5], rng, scale=1.0)
    params["enc_W1"] = params["enc_W1"] * np.array([1.0, 0.2])  # (5, 2), shrinks the log-variance column
    params["enc_b1"] = np.array([params["enc_b1"][0], 0.5])
    X = (rng.random((8, D)) > 0.5).astype(float)
    _, log_var = vae.encode(params, X)
    assert np.all(log_var > np.log(0.5) + 0.1)
    return params, X


def test_quadrature_oracle_refines(tiny_model):
    params, X = tiny_model

    # an adaptive quadrature of the first row's marginal, independent of the grid
    def joint_density(z):
        logits = vae.decode_logits(params, np.array([[z]]))[0]
        return np.exp(vae.log_bernoulli(X[0], logits) + vae.log_normal_diag(np.array([z]), 0.0, 0.0))

    adaptive = np.log(integrate.quad(joint_density, -np.inf, np.inf, epsabs=0.0, epsrel=1e-12)[0])
    np.testing.assert_allclose(exact_log_marginal(params, X)[0], adaptive, rtol=0, atol=1e-9)

    # refining the grid changes nothing at the tolerance the other tests rely on
    np.testing.assert_allclose(exact_log_marginal(params, X), exact_log_marginal(params, X, n_grid=16001), atol=1e-9)
    np.testing.assert_allclose(exact_elbo(params, X), exact_elbo(params, X, n_grid=16001), atol=1e-9)
    np.testing.assert_allclose(
        exact_log_mean_square_weight(params, X), exact_log_mean_square_weight(params, X, n_grid=16001), atol=1e-9
    )


def test_elbo_below_exact_log_marginal(tiny_model):
    params, X = tiny_model

    log_px = exact_log_marginal(params, X)
    bound = exact_elbo(params, X)

    assert np.all(bound <= log_px), (bound, log_px)
    # Jensen's gap is KL(q(z|x) || p(z|x)), which is positive here because the encoder is untrained
    assert np.all(log_px - bound > 1e-3)


def test_elbo_terms_unbiased(tiny_model, rng):
    params, X = tiny_model
    n_draws = 20_000
    N = X.shape[0]

    # one call on n_draws stacked copies of X gives n_draws independent one-sample estimates per row
    log_lik, kl = vae.elbo_terms(params, np.tile(X, (n_draws, 1)), rng.standard_normal((n_draws * N, 1)))
    one_sample = (log_lik - kl).reshape(n_draws, N)  # (n_draws, N), row n of X in column n
    standard_error = one_sample.std(axis=0, ddof=1) / np.sqrt(n_draws)

    # the reparameterised estimate is unbiased for the ELBO, and a 4-standard-error check fails with
    # probability 6e-5 per row
    assert np.all(np.abs(one_sample.mean(axis=0) - exact_elbo(params, X)) <= 4.0 * standard_error)


def test_one_sample_weight_mean_is_elbo(tiny_model, rng):
    params, X = tiny_model
    n_draws = 100_000

    log_w = vae.log_importance_weights(params, X, rng.standard_normal((n_draws, X.shape[0], 1)))
    standard_error = log_w.std(axis=0, ddof=1) / np.sqrt(n_draws)

    # E_q[log w] is the ELBO, and a 4-standard-error check fails with probability 6e-5 per row
    assert np.all(np.abs(log_w.mean(axis=0) - exact_elbo(params, X)) <= 4.0 * standard_error)


def test_importance_estimate_approaches_exact(tiny_model, rng):
    params, X = tiny_model
    log_px = exact_log_marginal(params, X)
    sample_counts = [1, 10, 100, 1000, 10_000]

    errors = []
    for S in sample_counts:
        estimates = np.stack([vae.log_marginal_estimate(params, X, n_samples=S, rng=rng) for _ in range(5)])
        errors.append(np.mean(np.abs(estimates - log_px)))

    # each tenfold increase in S must shrink the mean absolute error
    assert all(later < earlier for earlier, later in zip(errors, errors[1:])), errors

    # for large S, log p_S - log p(x) has standard deviation about sqrt(r / S), where the weights'
    # relative variance r = E_q[w^2] / p(x)^2 - 1 comes from the grid. Allow 4 of those plus the
    # delta-method bias r / (2 S).
    relative_variance = np.exp(exact_log_mean_square_weight(params, X) - 2.0 * log_px) - 1.0
    final = vae.log_marginal_estimate(params, X, n_samples=10_000, rng=rng)
    tolerance = 4.0 * np.sqrt(relative_variance / 10_000) + relative_variance / 20_000
    assert np.all(np.abs(final - log_px) <= tolerance), (final - log_px, tolerance)


def test_importance_estimate_chunking(rng):
    params = perturbed_params(5, 2, [4], rng)
    X = (rng.random((3, 5)) > 0.5).astype(float)
    seed = 11

    chunked = vae.log_marginal_estimate(params, X, n_samples=23, rng=np.random.default_rng(seed), chunk_size=5)
    eps = np.random.default_rng(seed).standard_normal((23, 3, 2))
    direct = logsumexp(vae.log_importance_weights(params, X, eps), axis=0) - np.log(23)

    np.testing.assert_allclose(chunked, direct, rtol=1e-12, atol=1e-12)


##### Adam


def test_adam_first_step_is_signed_learning_rate(rng):
    params = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    grads = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=4)}
    saved = {key: value.copy() for key, value in params.items()}
    state = vae.adam_init(params)

    new_params, new_state = vae.adam_step(params, grads, state, learning_rate=0.01, epsilon=0.0)

    # after bias correction m = g and v = g^2, so the first step is -learning_rate * sign(g)
    for key in params:
        np.testing.assert_allclose(new_params[key], saved[key] - 0.01 * np.sign(grads[key]), rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(params[key], saved[key])
    assert new_state["step"] == 1
    assert state["step"] == 0


def test_adam_second_step_by_hand():
    params = {"w": np.array([1.0])}
    g1, g2 = 2.0, -1.0
    params_1, state_1 = vae.adam_step(params, {"w": np.array([g1])}, vae.adam_init(params), learning_rate=0.1)
    params_2, _ = vae.adam_step(params_1, {"w": np.array([g2])}, state_1, learning_rate=0.1)

    m = 0.9 * 0.1 * g1 + 0.1 * g2
    v = 0.999 * 0.001 * g1**2 + 0.001 * g2**2
    step = 0.1 * (m / (1 - 0.9**2)) / (np.sqrt(v / (1 - 0.999**2)) + 1e-8)

    np.testing.assert_allclose(params_2["w"], params_1["w"] - step, rtol=1e-12, atol=0)


##### training on the digits


def test_training_raises_test_elbo():
    tasks = load_sibling(__file__, "tasks")
    X_train, X_test, _, _ = tasks.load_binary_digits()
    params = vae.init_params(X_train.shape[1], 2, [64], np.random.default_rng(0))

    untrained = vae.estimate_elbo(params, X_test, rng=np.random.default_rng(1), n_samples=5).mean()
    # one BLAS thread: these small products only slow down when threads compete for a busy CPU
    with threadpool_limits(limits=1):
        trained_params, _ = vae.train(
            params, X_train, n_epochs=30, batch_size=64, learning_rate=2e-3, rng=np.random.default_rng(2)
        )
    trained = vae.estimate_elbo(trained_params, X_test, rng=np.random.default_rng(1), n_samples=5).mean()

    # reference: the exact test log-likelihood of independent pixels with the training set's
    # frequencies, which is the best a VAE can do when its decoder ignores z
    frequencies = np.clip(X_train.mean(axis=0), 1e-3, 1 - 1e-3)
    independent = vae.log_bernoulli(X_test, np.log(frequencies / (1 - frequencies))).mean()

    # untrained, the decoder's logits are near zero, so the ELBO is close to D log(1/2) = -44.4 nats
    # and about 23 nats below the reference. Training must end 1 nat above the reference, which a
    # model can only reach by storing information about each digit in z (30 epochs reach about 2.3).
    assert untrained < independent - 10.0, (untrained, independent)
    assert trained > independent + 1.0, (trained, independent)


def test_train_leaves_input_unchanged(rng):
    params = perturbed_params(5, 2, [4], rng)
    saved = {key: value.copy() for key, value in params.items()}
    X = (rng.random((10, 5)) > 0.5).astype(float)

    first, history = vae.train(params, X, n_epochs=3, batch_size=4, rng=np.random.default_rng(5))
    second, _ = vae.train(params, X, n_epochs=3, batch_size=4, rng=np.random.default_rng(5))

    for key in params:
        np.testing.assert_array_equal(params[key], saved[key])
        np.testing.assert_array_equal(first[key], second[key])
    assert len(history) == 3


##### input checks


def test_invalid_inputs_raise(rng):
    params = perturbed_params(5, 2, [4], rng)
    X = (rng.random((3, 5)) > 0.5).astype(float)
    eps = rng.normal(size=(3, 2))

    with pytest.raises(ValueError, match="X must"):
        vae.elbo_and_gradients(params, 2.0 * X + 0.5, eps)
    with pytest.raises(ValueError, match="D = 5"):
        vae.elbo_and_gradients(params, X[:, :4], eps)
    with pytest.raises(ValueError, match="eps must"):
        vae.elbo_and_gradients(params, X, eps[:, :1])
    with pytest.raises(ValueError, match="beta must"):
        vae.elbo_and_gradients(params, X, eps, beta=-1.0)
    with pytest.raises(ValueError, match="n_samples"):
        vae.log_marginal_estimate(params, X, n_samples=0, rng=rng)
