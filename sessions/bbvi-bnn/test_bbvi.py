"""Tests of the BBVI estimators, the log joints and the fitted posteriors against exact references."""

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import expit

from mlseminar.testing import check_gradient, load_sibling

bbvi = load_sibling(__file__, "bbvi")


# ---------------------------------------------------------------------------------------------
# shared problems
# ---------------------------------------------------------------------------------------------


def orthogonal_regression(rng, N=30, scales=(3.0, 2.0, 1.0), noise_var=0.25):
    """Make a regression problem whose design has orthogonal columns, so the posterior is diagonal."""
    Q, _ = np.linalg.qr(rng.standard_normal((N, len(scales))))
    X = Q * np.asarray(scales)  # (N, D), X^T X = diag(scales^2)
    w = rng.standard_normal(len(scales))
    y = X @ w + np.sqrt(noise_var) * rng.standard_normal(N)
    return X, y, noise_var


def logistic_problem(rng, N=40, D=3):
    X = np.column_stack([np.ones(N), rng.standard_normal((N, D - 1))])
    y = (rng.uniform(size=N) < expit(X @ rng.standard_normal(D))).astype(float)
    return X, y


def correlated_gaussian(rho=0.9):
    m = np.array([1.0, -0.5])
    Sigma = np.array([[1.0, rho], [rho, 1.0]])
    return m, np.linalg.solve(Sigma, np.eye(2)), Sigma


def exact_gaussian_elbo_grad(mu, log_sigma, m, Lambda):
    """Return the closed-form ELBO gradient of the mean-field Gaussian against a Gaussian target.

    E_q[log p] = -1/2 [(mu - m)^T Lambda (mu - m) + sum_d Lambda_dd sigma_d^2] + const, and the
    entropy adds sum_d log sigma_d.
    """
    sigma2 = np.exp(2 * log_sigma)
    return -Lambda @ (mu - m), -np.diag(Lambda) * sigma2 + 1.0


# ---------------------------------------------------------------------------------------------
# log joints: values and hand-derived gradients
# ---------------------------------------------------------------------------------------------


def summed(log_joint):
    """Turn a batched log joint into a scalar function of Z (S, D), whose gradient is the batch of gradients."""
    return lambda Z: float(np.sum(log_joint(Z)[0]))


def test_linreg_log_joint_value_and_gradient(rng):
    X, y, noise_var = orthogonal_regression(rng)
    Z = rng.standard_normal((4, X.shape[1]))
    log_p, grad = bbvi.log_joint_linreg(Z, X, y, noise_var, prior_var=2.0)

    reference = [
        stats.norm.logpdf(y, X @ z, np.sqrt(noise_var)).sum() + stats.norm.logpdf(z, 0.0, np.sqrt(2.0)).sum() for z in Z
    ]
    np.testing.assert_allclose(log_p, reference, rtol=1e-12, atol=1e-10)
    check_gradient(summed(lambda W: bbvi.log_joint_linreg(W, X, y, noise_var, 2.0)), Z, grad, atol=1e-6)


def test_logistic_log_joint_value_and_gradient(rng):
    X, y = logistic_problem(rng)
    Z = 2.0 * rng.standard_normal((4, X.shape[1]))
    log_p, grad = bbvi.log_joint_logistic(Z, X, y, prior_var=3.0)

    reference = [stats.bernoulli.logpmf(y, expit(X @ z)).sum() + stats.norm.logpdf(z, 0.0, np.sqrt(3.0)).sum() for z in Z]
    np.testing.assert_allclose(log_p, reference, rtol=1e-10, atol=1e-10)
    check_gradient(summed(lambda W: bbvi.log_joint_logistic(W, X, y, 3.0)), Z, grad, atol=1e-6)


def test_logistic_log_joint_large_logits_finite():
    X = np.array([[1.0], [-1.0]])
    y = np.array([1.0, 1.0])
    log_p, grad = bbvi.log_joint_logistic(np.array([[800.0]]), X, y, prior_var=1e6)

    # the second point has logit -800, so its log-likelihood is -800 up to e^-800
    expected = -800.0 + stats.norm.logpdf(800.0, 0.0, 1e3)
    np.testing.assert_allclose(log_p, [expected], rtol=1e-12)
    np.testing.assert_allclose(grad, [[-1.0 - 800.0 / 1e6]], rtol=1e-12)


def test_gaussian_log_joint_value_and_gradient(rng):
    m, Lambda, Sigma = correlated_gaussian()
    Z = rng.standard_normal((5, 2))
    log_p, grad = bbvi.log_joint_gaussian(Z, m, Lambda)

    np.testing.assert_allclose(log_p, stats.multivariate_normal(m, Sigma).logpdf(Z), rtol=1e-10)
    check_gradient(summed(lambda W: bbvi.log_joint_gaussian(W, m, Lambda)), Z, grad)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
@pytest.mark.parametrize("n_inputs", [1, 3])
def test_bnn_log_joint_gradient(rng, activation, n_inputs):
    N, H = 7, 5
    X = rng.standard_normal((N, n_inputs))
    y = rng.standard_normal(N)
    W = rng.standard_normal((3, bbvi.bnn_n_weights(n_inputs, H)))
    _, grad = bbvi.log_joint_bnn(W, X, y, H, noise_var=0.3, prior_var=1.5, activation=activation)

    def log_joint(V):
        return bbvi.log_joint_bnn(V, X, y, H, 0.3, 1.5, activation)

    check_gradient(summed(log_joint), W, grad, atol=1e-6)


def test_bnn_forward_matches_loop(rng):
    N, P, H = 6, 2, 4
    X = rng.standard_normal((N, P))
    W = rng.standard_normal((3, bbvi.bnn_n_weights(P, H)))
    F = bbvi.bnn_forward(W, X, H)

    for s in range(3):
        W1 = W[s, : P * H].reshape(P, H)
        b1 = W[s, P * H : P * H + H]
        w2 = W[s, P * H + H : P * H + 2 * H]
        for n in range(N):
            expected = sum(w2[h] * max(X[n] @ W1[:, h] + b1[h], 0.0) for h in range(H)) + W[s, -1]
            np.testing.assert_allclose(F[s, n], expected, rtol=1e-12, atol=1e-12)


def test_bnn_log_joint_value(rng):
    N, H = 8, 3
    X = rng.standard_normal((N, 1))
    y = rng.standard_normal(N)
    W = rng.standard_normal((2, bbvi.bnn_n_weights(1, H)))
    log_p, _ = bbvi.log_joint_bnn(W, X, y, H, noise_var=0.5, prior_var=2.0)

    F = bbvi.bnn_forward(W, X, H)
    reference = stats.norm.logpdf(y, F, np.sqrt(0.5)).sum(axis=1) + stats.norm.logpdf(W, 0.0, np.sqrt(2.0)).sum(axis=1)
    np.testing.assert_allclose(log_p, reference, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# estimators
# ---------------------------------------------------------------------------------------------


def test_reparam_grad_matches_finite_differences(rng):
    N, H = 10, 4
    X = rng.standard_normal((N, 1))
    y = np.sin(X[:, 0])
    D = bbvi.bnn_n_weights(1, H)
    eps = rng.standard_normal((5, D))
    mu = rng.standard_normal(D)
    log_sigma = -1.0 + 0.3 * rng.standard_normal(D)

    def log_joint(W):
        return bbvi.log_joint_bnn(W, X, y, H, 0.1, 1.0, "tanh")

    _, grad_mu, grad_log_sigma = bbvi.reparam_elbo_grad(log_joint, mu, log_sigma, eps)

    # for fixed noise the estimate is a deterministic function of the variational parameters
    check_gradient(lambda v: bbvi.reparam_elbo_grad(log_joint, v, log_sigma, eps)[0], mu, grad_mu, atol=1e-6, name="mu")
    check_gradient(
        lambda v: bbvi.reparam_elbo_grad(log_joint, mu, v, eps)[0], log_sigma, grad_log_sigma, atol=1e-6, name="log_sigma"
    )


def test_control_variate_scale_matches_loop(rng):
    S, K = 6, 3
    f = rng.standard_normal(S)
    h = rng.standard_normal((S, K))
    a = bbvi.control_variate_scale(f, h)

    for s in range(S):
        keep = np.arange(S) != s
        for k in range(K):
            u, v = f[keep] * h[keep, k], h[keep, k]
            expected = np.cov(u, v)[0, 1] / np.var(v, ddof=1)
            np.testing.assert_allclose(a[s, k], expected, rtol=1e-10)


def draw_gradients(estimator, log_joint, mu, log_sigma, n_samples, n_repeats, rng):
    """Return n_repeats independent gradient estimates, shape (n_repeats, 2D)."""
    grads = []
    for _ in range(n_repeats):
        eps = rng.standard_normal((n_samples, mu.size))
        _, g_mu, g_log_sigma = estimator(log_joint, mu, log_sigma, eps)
        grads.append(np.concatenate([g_mu, g_log_sigma]))
    return np.array(grads)


def test_estimators_unbiased_on_gaussian_target(rng):
    m, Lambda, _ = correlated_gaussian()
    mu = np.array([0.3, 0.2])
    log_sigma = np.array([-0.5, 0.1])

    def log_joint(Z):
        return bbvi.log_joint_gaussian(Z, m, Lambda)

    exact = np.concatenate(exact_gaussian_elbo_grad(mu, log_sigma, m, Lambda))
    for estimator in (bbvi.reparam_elbo_grad, bbvi.score_elbo_grad):
        grads = draw_gradients(estimator, log_joint, mu, log_sigma, 8, 3000, rng)
        standard_error = grads.std(axis=0, ddof=1) / np.sqrt(len(grads))
        # 4 standard errors: a correct estimator fails one of these 4 coordinates with probability below 3e-4
        np.testing.assert_array_less(np.abs(grads.mean(axis=0) - exact), 4 * standard_error + 1e-12)


def test_estimators_agree_on_logistic(rng):
    X, y = logistic_problem(rng)
    D = X.shape[1]
    mu = 0.5 * rng.standard_normal(D)
    log_sigma = np.full(D, -0.7)

    def log_joint(Z):
        return bbvi.log_joint_logistic(Z, X, y, 4.0)

    reparam = draw_gradients(bbvi.reparam_elbo_grad, log_joint, mu, log_sigma, 8, 2000, rng)
    score = draw_gradients(bbvi.score_elbo_grad, log_joint, mu, log_sigma, 8, 2000, rng)

    # No closed form exists here, so the two means are compared with each other. Independent draws
    # give the difference a standard error of sqrt(se_1^2 + se_2^2), and 4 of them bound it.
    difference = reparam.mean(axis=0) - score.mean(axis=0)
    standard_error = np.sqrt(reparam.var(axis=0, ddof=1) / len(reparam) + score.var(axis=0, ddof=1) / len(score))
    np.testing.assert_array_less(np.abs(difference), 4 * standard_error)


@pytest.mark.parametrize("problem", ["gaussian", "logistic"])
def test_reparam_lower_variance(rng, problem):
    if problem == "gaussian":
        m, Lambda, _ = correlated_gaussian()
        mu, log_sigma = np.array([0.3, 0.2]), np.array([-0.5, 0.1])

        def log_joint(Z):
            return bbvi.log_joint_gaussian(Z, m, Lambda)

    else:
        X, y = logistic_problem(rng)
        mu, log_sigma = np.zeros(X.shape[1]), np.full(X.shape[1], -0.7)

        def log_joint(Z):
            return bbvi.log_joint_logistic(Z, X, y, 4.0)

    reparam = draw_gradients(bbvi.reparam_elbo_grad, log_joint, mu, log_sigma, 8, 500, rng)
    score = draw_gradients(bbvi.score_elbo_grad, log_joint, mu, log_sigma, 8, 500, rng)
    plain = draw_gradients(
        lambda *args: bbvi.score_elbo_grad(*args, control_variate=False), log_joint, mu, log_sigma, 8, 500, rng
    )

    # Summed over coordinates, reparam is 11x (gaussian) and 14x (logistic) below the score estimator,
    # and the control variate cuts the plain score variance by 1.4x and 19x. A variance from 500
    # draws has a sampling error of roughly 10%, below each of these gaps.
    assert reparam.var(axis=0).sum() < score.var(axis=0).sum()
    assert score.var(axis=0).sum() < plain.var(axis=0).sum()


# ---------------------------------------------------------------------------------------------
# fitted posteriors against exact posteriors
# ---------------------------------------------------------------------------------------------


def test_linreg_posterior_matches_dense_solve(rng):
    X = rng.standard_normal((12, 3))
    y = rng.standard_normal(12)
    mean, cov = bbvi.linreg_posterior(X, y, noise_var=0.5, prior_var=2.0)

    precision = X.T @ X / 0.5 + np.eye(3) / 2.0
    np.testing.assert_allclose(cov @ precision, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(precision @ mean, X.T @ y / 0.5, rtol=1e-12)


@pytest.mark.parametrize(
    ("estimator", "mean_tol", "std_tol"),
    [
        # Over 20 seeds of this setting, the worst errors were 0.017 posterior std in the mean and
        # 1.1% in the std (reparam), and 0.032 std and 3.4% (score), so each bound has 3x headroom.
        ("reparam", 0.05, 0.03),
        ("score", 0.1, 0.1),
    ],
)
def test_fit_matches_conjugate_posterior(rng, estimator, mean_tol, std_tol):
    X, y, noise_var = orthogonal_regression(rng)
    mean, cov = bbvi.linreg_posterior(X, y, noise_var, prior_var=1.0)
    std = np.sqrt(np.diag(cov))

    def log_joint(Z):
        return bbvi.log_joint_linreg(Z, X, y, noise_var, 1.0)

    D = X.shape[1]
    fit = bbvi.fit_mean_field(
        log_joint, np.zeros(D), np.zeros(D), rng, n_iter=2000, n_samples=16, learning_rate=0.02, estimator=estimator, n_average=1000
    )

    np.testing.assert_array_less(np.abs(fit.mu - mean) / std, mean_tol)
    np.testing.assert_allclose(np.exp(fit.log_sigma), std, rtol=std_tol)


def test_elbo_at_exact_posterior_equals_log_evidence(rng):
    X, y, noise_var = orthogonal_regression(rng)
    mean, cov = bbvi.linreg_posterior(X, y, noise_var, prior_var=1.0)
    log_sigma = 0.5 * np.log(np.diag(cov))

    def log_joint(Z):
        return bbvi.log_joint_linreg(Z, X, y, noise_var, 1.0)

    # q is the exact posterior, so KL(q || p) = 0 and the ELBO is the log evidence
    eps = rng.standard_normal((20000, X.shape[1]))
    elbo, _, _ = bbvi.reparam_elbo_grad(log_joint, mean, log_sigma, eps)
    log_evidence = stats.multivariate_normal(np.zeros(len(y)), noise_var * np.eye(len(y)) + X @ X.T).logpdf(y)

    # the log joint varies over q with std sqrt(D / 2) = 1.2, so 20000 draws give a standard error of
    # 0.009, and 0.04 is more than 4 of them
    np.testing.assert_allclose(elbo, log_evidence, atol=0.04)


def test_mean_field_variances_are_reciprocal_precision_diagonal(rng):
    m, Lambda, Sigma = correlated_gaussian(rho=0.8)

    def log_joint(Z):
        return bbvi.log_joint_gaussian(Z, m, Lambda)

    fit = bbvi.fit_mean_field(
        log_joint, np.zeros(2), np.zeros(2), rng, n_iter=3000, n_samples=16, learning_rate=0.02, n_average=1500
    )

    # The ELBO optimum is mu = m and sigma_d^2 = 1 / Lambda_dd. Over 20 seeds the stochastic fit
    # came within 0.009 of m and 2.5% of these variances, so the bounds below have headroom.
    np.testing.assert_allclose(fit.mu, m, atol=0.03)
    np.testing.assert_allclose(np.exp(2 * fit.log_sigma), 1.0 / np.diag(Lambda), rtol=0.04)
    np.testing.assert_array_less(np.exp(2 * fit.log_sigma), 0.5 * np.diag(Sigma))


def test_logistic_predictive_matches_quadrature(rng):
    mu, log_sigma = np.array([0.8]), np.array([0.2])
    X = np.array([[1.5], [-0.4]])
    p = bbvi.logistic_predictive(mu, log_sigma, X, 40000, rng)

    sigma = np.exp(log_sigma[0])
    for n, x in enumerate(X[:, 0]):
        expected, _ = integrate.quad(lambda w: expit(w * x) * stats.norm.pdf(w, mu[0], sigma), -np.inf, np.inf)
        # sigmoid values lie in [0, 1], so the Monte Carlo standard error is below 0.5 / sqrt(40000) = 0.0025
        np.testing.assert_allclose(p[n], expected, atol=0.01)


def gap_data(rng):
    x = np.concatenate([rng.uniform(-3, -1, 20), rng.uniform(1, 3, 20)])
    y = np.sin(1.5 * x) + 0.3 * x + 0.1 * rng.standard_normal(x.size)
    return x[:, None], y


def test_bnn_predictive_widens_far_from_data(rng):
    X, y = gap_data(rng)
    H, noise_var = 20, 0.01
    D = bbvi.bnn_n_weights(1, H)

    def log_joint(W):
        return bbvi.log_joint_bnn(W, X, y, H, noise_var, 1.0)

    fit = bbvi.fit_mean_field(
        log_joint, 0.5 * rng.standard_normal(D), np.full(D, -4.0), rng, n_iter=6000, n_samples=8, learning_rate=0.01, n_average=500
    )
    _, std_inside, _ = bbvi.bnn_predictive(fit.mu, fit.log_sigma, X, H, noise_var, 2000, rng)
    _, std_far, _ = bbvi.bnn_predictive(fit.mu, fit.log_sigma, np.array([[-7.0], [7.0]]), H, noise_var, 2000, rng)

    # Over 8 seeds the ratio of the smallest far std to the largest std at the data was 3.0 to 4.0.
    # Each std comes from 2000 weight samples, so its relative Monte Carlo error is about 1.6%.
    assert std_far.min() > 2 * std_inside.max()


# ---------------------------------------------------------------------------------------------
# input checks and purity
# ---------------------------------------------------------------------------------------------


def test_fit_does_not_change_inputs(rng):
    m, Lambda, _ = correlated_gaussian()
    mu0, log_sigma0 = np.array([0.1, 0.2]), np.array([-1.0, -1.0])
    saved = mu0.copy(), log_sigma0.copy()
    bbvi.fit_mean_field(lambda Z: bbvi.log_joint_gaussian(Z, m, Lambda), mu0, log_sigma0, rng, n_iter=20)

    np.testing.assert_array_equal(mu0, saved[0])
    np.testing.assert_array_equal(log_sigma0, saved[1])


def test_invalid_arguments_raise(rng):
    m, Lambda, _ = correlated_gaussian()

    def log_joint(Z):
        return bbvi.log_joint_gaussian(Z, m, Lambda)

    with pytest.raises(ValueError, match="estimator"):
        bbvi.fit_mean_field(log_joint, np.zeros(2), np.zeros(2), rng, estimator="natural")
    with pytest.raises(ValueError, match="log_sigma"):
        bbvi.fit_mean_field(log_joint, np.zeros(2), np.zeros(3), rng)
    with pytest.raises(ValueError, match="n_samples"):
        bbvi.fit_mean_field(log_joint, np.zeros(2), np.zeros(2), rng, estimator="score", n_samples=2)
    with pytest.raises(ValueError, match="y"):
        bbvi.log_joint_logistic(np.zeros(2), np.ones((3, 2)), np.array([0.0, 1.0, 2.0]), 1.0)
    with pytest.raises(ValueError, match="activation"):
        bbvi.bnn_forward(np.zeros(bbvi.bnn_n_weights(1, 2)), np.ones((3, 1)), 2, activation="sigmoid")
    with pytest.raises(ValueError, match="noise_var"):
        bbvi.log_joint_linreg(np.zeros(2), np.ones((3, 2)), np.ones(3), 0.0, 1.0)
