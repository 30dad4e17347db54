"""Tests for the exact GP regression in gp.py.

References: scikit-learn's GaussianProcessRegressor with its optimiser switched off, finite
differences from mlseminar.testing, closed-form posteriors for repeated and single inputs, and
the asymptotic standard error of the maximum-likelihood estimate for the recovery test.
"""

import warnings

import numpy as np
import pytest

from mlseminar.testing import check_gradient, load_sibling

gp = load_sibling(__file__, "gp")

LOG = np.log

# Each case: a kernel, log-hyperparameters away from 0 so that a swapped pair shows up, and the
# same kernel in scikit-learn's terms (built lazily because scikit-learn is a test extra).
KERNEL_CASES = {
    "se": (lambda: gp.SquaredExponential(), [LOG(1.3), LOG(0.7)]),
    "matern52": (lambda: gp.Matern52(), [LOG(0.8), LOG(1.4)]),
    "periodic": (lambda: gp.Periodic(), [LOG(1.1), LOG(0.9), LOG(1.7)]),
    "se+periodic": (lambda: gp.SquaredExponential() + gp.Periodic(), [LOG(1.3), LOG(2.5), LOG(0.6), LOG(1.2), LOG(1.1)]),
    "se*periodic": (lambda: gp.SquaredExponential() * gp.Periodic(), [LOG(1.3), LOG(3.0), LOG(0.6), LOG(1.2), LOG(1.1)]),
    "matern52+se": (lambda: gp.Matern52() + gp.SquaredExponential(), [LOG(0.5), LOG(0.3), LOG(1.2), LOG(2.0)]),
    "(se+periodic)*matern52": (
        lambda: (gp.SquaredExponential() + gp.Periodic()) * gp.Matern52(),
        [LOG(1.3), LOG(2.5), LOG(0.6), LOG(1.2), LOG(1.1), LOG(0.9), LOG(4.0)],
    ),
}


def sklearn_kernel(name, theta):
    """Build the scikit-learn kernel equal to KERNEL_CASES[name] at `theta`."""
    kernels = pytest.importorskip("sklearn.gaussian_process.kernels")
    values = list(np.exp(theta))

    def se():
        return kernels.ConstantKernel(values.pop(0)) * kernels.RBF(values.pop(0))

    def matern52():
        return kernels.ConstantKernel(values.pop(0)) * kernels.Matern(values.pop(0), nu=2.5)

    def periodic():
        return kernels.ConstantKernel(values.pop(0)) * kernels.ExpSineSquared(values.pop(0), values.pop(0))

    # Builders pop values left to right, in the same order as gp's concatenated theta.
    builders = {
        "se": lambda: se(),
        "matern52": lambda: matern52(),
        "periodic": lambda: periodic(),
        "se+periodic": lambda: se() + periodic(),
        "se*periodic": lambda: se() * periodic(),
        "matern52+se": lambda: matern52() + se(),
        "(se+periodic)*matern52": lambda: (se() + periodic()) * matern52(),
    }
    return builders[name]()


def make_case(name, rng, n_train=12, n_test=9):
    kernel_factory, theta = KERNEL_CASES[name]
    X = rng.uniform(0.0, 5.0, size=(n_train, 1))
    X_star = np.vstack([rng.uniform(-1.0, 6.0, size=(n_test - 1, 1)), X[:1]])  # one test input on the data
    y = np.sin(2.0 * X[:, 0]) + 0.1 * rng.standard_normal(n_train)
    return kernel_factory(), np.array(theta), X, y, X_star


def fitted_sklearn(name, theta, noise_variance, X, y):
    gaussian_process = pytest.importorskip("sklearn.gaussian_process")
    model = gaussian_process.GaussianProcessRegressor(
        kernel=sklearn_kernel(name, theta), alpha=noise_variance, optimizer=None, normalize_y=False
    )
    return model.fit(X, y)


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KERNEL_CASES))
def test_kernel_matrix_matches_sklearn(name, rng):
    kernel, theta, X, _, X_star = make_case(name, rng)
    reference = sklearn_kernel(name, theta)
    np.testing.assert_allclose(kernel(theta, X, X_star), reference(X, X_star), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(kernel.diag(theta, X_star), reference.diag(X_star), rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", list(KERNEL_CASES))
def test_kernel_gradient_finite_differences(name, rng):
    kernel, theta, X, _, _ = make_case(name, rng, n_train=6)
    K, dK = kernel.matrix_and_gradient(theta, X)
    np.testing.assert_allclose(K, kernel(theta, X), rtol=1e-14, atol=0)

    # A random projection of K checks every slice dK[p] against finite differences at once.
    weights = rng.standard_normal(K.shape)
    analytic = np.einsum("pij,ij->p", dK, weights)  # (P,)
    check_gradient(lambda t: np.sum(kernel(t, X) * weights), theta, analytic, rtol=1e-6, atol=1e-8, name="theta")


def test_kernel_two_dimensional_inputs_match_sklearn(rng):
    X = rng.standard_normal((7, 2))
    theta = np.array([LOG(1.5), LOG(0.8)])
    for name, kernel in [("se", gp.SquaredExponential()), ("matern52", gp.Matern52())]:
        np.testing.assert_allclose(kernel(theta, X), sklearn_kernel(name, theta)(X), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Posterior and marginal likelihood against scikit-learn
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(KERNEL_CASES))
def test_posterior_matches_sklearn(name, rng):
    kernel, theta, X, y, X_star = make_case(name, rng)
    noise_variance = 0.05
    reference = fitted_sklearn(name, theta, noise_variance, X, y)
    mean_ref, cov_ref = reference.predict(X_star, return_cov=True)

    mean, cov = gp.posterior(kernel, theta, noise_variance, X, y, X_star, full_cov=True)
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(cov, cov_ref, rtol=1e-8, atol=1e-10)

    _, variance = gp.posterior(kernel, theta, noise_variance, X, y, X_star)
    np.testing.assert_allclose(variance, np.diag(cov_ref), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", list(KERNEL_CASES))
def test_log_marginal_likelihood_matches_sklearn(name, rng):
    kernel, theta, X, y, _ = make_case(name, rng)
    noise_variance = 0.05
    reference = fitted_sklearn(name, theta, noise_variance, X, y)
    value_ref, gradient_ref = reference.log_marginal_likelihood(reference.kernel_.theta, eval_gradient=True)

    value = gp.log_marginal_likelihood(kernel, theta, noise_variance, X, y)
    np.testing.assert_allclose(value, reference.log_marginal_likelihood_value_, rtol=1e-8, atol=0)
    value_with_gradient, gradient = gp.log_marginal_likelihood_and_gradient(kernel, theta, noise_variance, X, y)
    np.testing.assert_allclose(value_with_gradient, value_ref, rtol=1e-8, atol=0)

    # scikit-learn keeps the noise in `alpha`, outside the kernel, so only the kernel part compares.
    np.testing.assert_allclose(gradient[:-1], gradient_ref, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", list(KERNEL_CASES))
def test_log_marginal_likelihood_gradient_finite_differences(name, rng):
    kernel, theta, X, y, _ = make_case(name, rng)
    params = np.append(theta, LOG(0.05))  # (P + 1,), noise last

    def value(p):
        return gp.log_marginal_likelihood(kernel, p[:-1], np.exp(p[-1]), X, y)

    _, analytic = gp.log_marginal_likelihood_and_gradient(kernel, theta, 0.05, X, y)
    check_gradient(value, params, analytic, rtol=1e-5, atol=1e-7, name="log_params")


# ---------------------------------------------------------------------------------------------
# Closed-form cases
# ---------------------------------------------------------------------------------------------


def test_repeated_input_exact_posterior():
    # Four observations of one latent value f ~ N(0, 1) with noise 0.1: posterior precision
    # 1 + 4 / 0.1 = 41, so the variance is 1/41 = 0.1/4.1 and the mean is (10 / 0.1) / 41 = 10/4.1.
    X = np.full((4, 1), 0.3)
    y = np.array([1.0, 2.0, 3.0, 4.0])
    theta = np.array([0.0, LOG(1.0)])  # kernel variance 1
    mean, variance = gp.posterior(gp.SquaredExponential(), theta, 0.1, X, y, np.array([[0.3]]))
    np.testing.assert_allclose(mean, [10 / 4.1], rtol=1e-12, atol=0)
    np.testing.assert_allclose(variance, [0.1 / 4.1], rtol=1e-10, atol=0)
    np.testing.assert_allclose(mean, [2.4390244], rtol=0, atol=1e-7)
    np.testing.assert_allclose(variance, [0.0243902], rtol=0, atol=1e-7)


def test_repeated_input_exact_log_marginal_likelihood():
    # K_y = 1 1^T + 0.1 I has eigenvalues 4.1 (along 1) and 0.1 (three times), so
    # log|K_y| = log 4.1 + 3 log 0.1 and y^T K_y^{-1} y = (y.1)^2 / (4 * 4.1) + |y - mean(y)|^2 / 0.1.
    X = np.full((4, 1), 0.3)
    y = np.array([1.0, 2.0, 3.0, 4.0])
    quadratic = 10.0**2 / (4 * 4.1) + np.sum((y - 2.5) ** 2) / 0.1
    expected = -0.5 * quadratic - 0.5 * (np.log(4.1) + 3 * np.log(0.1)) - 2.0 * np.log(2 * np.pi)
    value = gp.log_marginal_likelihood(gp.SquaredExponential(), np.array([0.0, 0.0]), 0.1, X, y)
    np.testing.assert_allclose(value, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("name", ["se", "matern52", "periodic"])
def test_single_point_closed_form(name, rng):
    kernel, theta, _, _, _ = make_case(name, rng)
    x, x_star, target, noise_variance = np.array([[0.4]]), np.array([[1.1], [0.4]]), 1.7, 0.2
    k_xx = kernel(theta, x)[0, 0]
    k_star = kernel(theta, x, x_star)[0]  # (M,)

    mean, variance = gp.posterior(kernel, theta, noise_variance, x, np.array([target]), x_star)
    np.testing.assert_allclose(mean, k_star * target / (k_xx + noise_variance), rtol=1e-12, atol=0)
    np.testing.assert_allclose(variance, k_xx - k_star**2 / (k_xx + noise_variance), rtol=1e-12, atol=0)


# ---------------------------------------------------------------------------------------------
# Jitter and non-negative variances
# ---------------------------------------------------------------------------------------------


def test_duplicate_inputs_zero_noise_warns():
    X = np.array([[0.0], [1.0], [1.0], [2.0], [2.0], [2.0]])
    y = np.array([0.5, -0.2, -0.2, 0.3, 0.3, 0.3])
    X_star = np.linspace(-1.0, 3.0, 9)[:, None]
    theta = np.array([0.0, 0.0])
    with pytest.warns(RuntimeWarning, match="jitter"):
        mean, cov = gp.posterior(gp.SquaredExponential(), theta, 0.0, X, y, X_star, full_cov=True)
    assert np.all(np.isfinite(mean))
    assert np.all(np.isfinite(cov))
    assert np.all(np.diag(cov) >= 0.0)

    # With consistent duplicate targets, the jittered posterior still interpolates the data.
    with pytest.warns(RuntimeWarning, match="jitter"):
        mean_at_data, _ = gp.posterior(gp.SquaredExponential(), theta, 0.0, X, y, X)
    np.testing.assert_allclose(mean_at_data, y, rtol=0, atol=1e-4)


def test_cholesky_without_jitter_when_positive_definite(rng):
    A = rng.standard_normal((5, 5))
    A = A @ A.T + np.eye(5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L, jitter = gp.cholesky_with_jitter(A)
    assert jitter == 0.0
    np.testing.assert_allclose(L @ L.T, A, rtol=1e-12, atol=1e-12)


def test_cholesky_jitter_reports_amount():
    ones = np.ones((3, 3))  # rank one
    with pytest.warns(RuntimeWarning, match=r"added jitter \d"):
        L, jitter = gp.cholesky_with_jitter(ones)
    assert 0.0 < jitter <= 1e-2
    np.testing.assert_allclose(L @ L.T, ones + jitter * np.eye(3), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", list(KERNEL_CASES))
def test_variances_never_negative(name, rng):
    # Tiny noise and test inputs on and near the data make V^T V round to just above K_**.
    kernel, theta, X, y, _ = make_case(name, rng, n_train=30)
    X_star = np.vstack([X, X + 1e-9, np.linspace(-1.0, 6.0, 50)[:, None]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, variance = gp.posterior(kernel, theta, 1e-12, X, y, X_star)
        _, cov = gp.posterior(kernel, theta, 1e-12, X, y, X_star, full_cov=True)
    assert np.all(variance >= 0.0)
    assert np.all(np.diag(cov) >= 0.0)


def test_variance_at_noise_free_data_is_zero(rng):
    # Without noise the posterior variance at a training input is exactly 0. Far-apart inputs keep K
    # well conditioned (no jitter), and K_** - V^T V then rounds to about +-1e-16, often below zero.
    X = np.sort(rng.uniform(0.0, 40.0, (8, 1)), axis=0) + 5.0 * np.arange(8)[:, None]
    y = rng.standard_normal(8)
    for kernel in (gp.SquaredExponential(), gp.Matern52()):
        theta = np.array([LOG(1.7), 0.0])
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            _, variance = gp.posterior(kernel, theta, 0.0, X, y, X)
            _, cov = gp.posterior(kernel, theta, 0.0, X, y, X, full_cov=True)
        assert np.all(variance >= 0.0)
        assert np.all(np.diag(cov) >= 0.0)
        np.testing.assert_allclose(variance, 0.0, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


def test_sample_prior_covariance(rng):
    kernel, theta = gp.Matern52(), np.array([LOG(2.0), LOG(0.7)])
    X = np.linspace(0.0, 2.0, 5)[:, None]
    n_samples = 40_000
    samples = gp.sample_prior(kernel, theta, X, n_samples, rng)
    assert samples.shape == (n_samples, 5)

    # The sample covariance of entry (i, j) has standard deviation sqrt((K_ii K_jj + K_ij^2) / S)
    # <= sqrt(2 / S) * 2.0 = 0.014 here, so 5 standard errors is 0.07.
    np.testing.assert_allclose(np.cov(samples.T), kernel(theta, X), rtol=0, atol=0.07)
    np.testing.assert_allclose(samples.mean(axis=0), 0.0, rtol=0, atol=5 * np.sqrt(2.0 / n_samples))


def test_sample_posterior_moments(rng):
    kernel, theta, X, y, X_star = make_case("se", rng)
    n_samples = 40_000
    samples = gp.sample_posterior(kernel, theta, 0.05, X, y, X_star, n_samples, rng)
    mean, cov = gp.posterior(kernel, theta, 0.05, X, y, X_star, full_cov=True)

    # Posterior variances are at most the prior variance 1.3, so the sample mean's standard error is
    # at most sqrt(1.3 / S) = 0.0057 and the covariance's at most 1.3 sqrt(2 / S) = 0.0092; 5 of each.
    np.testing.assert_allclose(samples.mean(axis=0), mean, rtol=0, atol=5 * np.sqrt(1.3 / n_samples))
    np.testing.assert_allclose(np.cov(samples.T), cov, rtol=0, atol=5 * 1.3 * np.sqrt(2.0 / n_samples))


# ---------------------------------------------------------------------------------------------
# Hyperparameter fitting
# ---------------------------------------------------------------------------------------------


def fisher_standard_errors(kernel, theta, noise_variance, X):
    """Asymptotic standard errors of the ML estimate of (theta, log sigma_n^2): sqrt(diag(I^{-1}))."""
    K, dK = kernel.matrix_and_gradient(theta, X)
    K_y = K + noise_variance * np.eye(len(X))
    derivatives = np.concatenate([dK, noise_variance * np.eye(len(X))[None]])  # (P + 1, N, N)
    solved = np.array([np.linalg.solve(K_y, d) for d in derivatives])  # (P + 1, N, N), K_y^{-1} dK_p

    # I_pq = tr(K_y^{-1} dK_p K_y^{-1} dK_q) / 2 for a Gaussian with parameter-dependent covariance.
    information = 0.5 * np.einsum("pij,qji->pq", solved, solved)  # (P + 1, P + 1)
    return np.sqrt(np.diag(np.linalg.solve(information, np.eye(len(information)))))


def test_fit_recovers_hyperparameters(rng):
    kernel = gp.SquaredExponential()
    theta_true, noise_true = np.array([0.0, LOG(0.6)]), 0.04
    X = np.sort(rng.uniform(0.0, 15.0, size=(250, 1)), axis=0)
    K_y = kernel(theta_true, X) + noise_true * np.eye(len(X))
    y = np.linalg.cholesky(K_y) @ rng.standard_normal(len(X))  # y ~ N(0, K + sigma_n^2 I)

    result = gp.fit_hyperparameters(kernel, X, y, rng, n_restarts=3)

    # The optimiser must do at least as well as the true hyperparameters.
    assert result.log_marginal_likelihood >= gp.log_marginal_likelihood(kernel, theta_true, noise_true, X, y) - 1e-6

    # The ML estimate is asymptotically normal around the truth with covariance I^{-1}; at
    # N = 250, 4 standard errors leave a chance of about 6e-5 per parameter to fail by bad luck.
    # The signal variance is poorly identified from one sample path, so only ell and sigma_n^2 are checked.
    errors = fisher_standard_errors(kernel, theta_true, noise_true, X)
    assert abs(result.theta[1] - theta_true[1]) < 4 * errors[1], (result.theta, errors)
    assert abs(np.log(result.noise_variance) - np.log(noise_true)) < 4 * errors[2], (result.noise_variance, errors)
    assert errors[1] < 0.1  # the check above is meaningful: ell is pinned to within about 10 %


def test_fit_gradient_is_zero_at_optimum(rng):
    kernel, theta, X, y, _ = make_case("matern52", rng, n_train=40)
    bounds = np.log([[1e-2, 1e2], [1e-2, 1e2], [1e-6, 1e1]])
    result = gp.fit_hyperparameters(kernel, X, y, rng, n_restarts=2, bounds=bounds)
    _, gradient = gp.log_marginal_likelihood_and_gradient(kernel, result.theta, result.noise_variance, X, y)
    params = np.append(result.theta, np.log(result.noise_variance))
    interior = (params > bounds[:, 0] + 1e-3) & (params < bounds[:, 1] - 1e-3)
    np.testing.assert_allclose(gradient[interior], 0.0, rtol=0, atol=1e-3)
    assert len(result.restarts) == 3


def test_fit_keeps_best_restart():
    # Eight points from a GP with ell = 1 whose marginal likelihood (signal variance fixed at 1)
    # has a wiggly optimum near ell = 1.3 and a smooth, noisier one near ell = 12 that is 0.6 nats lower.
    data_rng = np.random.default_rng(0)
    X = data_rng.uniform(-5.0, 5.0, (8, 1))
    K_y = gp.SquaredExponential()(np.zeros(2), X) + 0.01 * np.eye(8)
    y = np.linalg.cholesky(K_y) @ data_rng.standard_normal(8)
    bounds = np.array([[0.0, 0.0], LOG([0.05, 100.0]), LOG([1e-3, 3.0])])

    result = gp.fit_hyperparameters(
        gp.SquaredExponential(),
        X,
        y,
        np.random.default_rng(5),
        n_restarts=6,
        bounds=bounds,
        theta_init=LOG([1.0, 10.0]),
        noise_variance_init=0.5,
    )
    values = [record["log_marginal_likelihood"] for record in result.restarts]
    assert result.log_marginal_likelihood == max(values)
    assert values[0] < max(values) - 0.5, values  # the first start stays in the smooth basin
    assert np.exp(result.theta[1]) < 3.0, result.theta


# ---------------------------------------------------------------------------------------------
# Regressor class, purity and input checks
# ---------------------------------------------------------------------------------------------


def test_regressor_fit_twice_same_result(rng):
    kernel, theta, X, y, X_star = make_case("se", rng, n_train=30)
    model = gp.GPRegressor(kernel, theta, 0.1)
    model.fit(X, y + 3.0, rng=np.random.default_rng(0), n_restarts=1)
    first = model.predict(X_star)
    model.fit(X, y + 3.0, rng=np.random.default_rng(0), n_restarts=1)
    second = model.predict(X_star)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])


def test_regressor_constant_mean_shift(rng):
    # Shifting every target by c shifts the prediction by c, because the mean is the targets' average.
    kernel, theta, X, y, X_star = make_case("matern52", rng)
    model = gp.GPRegressor(kernel, theta, 0.05)
    model.fit(X, y, optimise=False)
    mean, variance = model.predict(X_star)
    model.fit(X, y + 7.0, optimise=False)
    shifted_mean, shifted_variance = model.predict(X_star)
    np.testing.assert_allclose(shifted_mean, mean + 7.0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(shifted_variance, variance, rtol=1e-12, atol=0)


def test_inputs_not_modified(rng):
    kernel, theta, X, y, X_star = make_case("se+periodic", rng)
    copies = [a.copy() for a in (theta, X, y, X_star)]
    gp.posterior(kernel, theta, 0.05, X, y, X_star, full_cov=True)
    gp.log_marginal_likelihood_and_gradient(kernel, theta, 0.05, X, y)
    for original, copy in zip((theta, X, y, X_star), copies):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"theta": np.zeros(3)}, "theta must have shape"),
        ({"noise_variance": -1.0}, "noise_variance"),
        ({"y": np.zeros(4)}, "y must have shape"),
        ({"X_star": np.zeros((2, 2))}, "X_star must have input dimension"),
        ({"X": np.zeros((2, 2, 2))}, "X must be a 1-D or 2-D array"),
    ],
)
def test_posterior_invalid_input_raises(arguments, message):
    defaults = {
        "kernel": gp.SquaredExponential(),
        "theta": np.zeros(2),
        "noise_variance": 0.1,
        "X": np.zeros((3, 1)),
        "y": np.zeros(3),
        "X_star": np.zeros((2, 1)),
    }
    if "X" in arguments:
        defaults["y"] = np.zeros(2)
    with pytest.raises(ValueError, match=message):
        gp.posterior(**{**defaults, **arguments})
