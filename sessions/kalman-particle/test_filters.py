"""Tests of the Kalman filter, the RTS smoother, the extended Kalman filter and the bootstrap particle filter.

The main oracle is the dense joint Gaussian: for a short sequence, all states and observations form
one multivariate normal vector, and filtering and smoothing are ordinary Gaussian conditioning on it.
"""

import warnings

import numpy as np
import pytest
from scipy.linalg import solve_discrete_are
from scipy.stats import multivariate_normal

from mlseminar.testing import check_gradient, load_sibling

filters = load_sibling(__file__, "filters")


# ---------------------------------------------------------------------------------------------------
# Helpers: random models and the dense joint Gaussian
# ---------------------------------------------------------------------------------------------------


def random_spd(rng, size, scale=1.0):
    A = rng.normal(size=(size, size))
    return scale * (A @ A.T / size + 0.5 * np.eye(size))


def random_model(rng, M, D):
    """A stable random linear-Gaussian model: F with spectral radius 0.95, SPD Q, R and P0."""
    F = rng.normal(size=(M, M))
    F *= 0.95 / np.max(np.abs(np.linalg.eigvals(F)))
    H = rng.normal(size=(D, M))
    return F, H, random_spd(rng, M, 0.5), random_spd(rng, D, 0.3), rng.normal(size=M), random_spd(rng, M, 2.0)


def joint_gaussian(F, H, Q, R, m0, P0, T):
    """Return the mean (T(M+D),) and covariance of the stacked vector (x_1..x_T, y_1..y_T).

    X = B xi with xi = (x_1 - m0, w_2, ..., w_T) and block B[t, k] = F^(t-k) for k <= t.
    """
    M, D = F.shape[0], H.shape[0]
    B = np.zeros((T * M, T * M))
    for t in range(T):
        for k in range(t + 1):
            B[t * M : (t + 1) * M, k * M : (k + 1) * M] = np.linalg.matrix_power(F, t - k)
    noise = np.zeros((T * M, T * M))
    for t in range(T):
        noise[t * M : (t + 1) * M, t * M : (t + 1) * M] = P0 if t == 0 else Q
    mean_x = np.concatenate([np.linalg.matrix_power(F, t) @ m0 for t in range(T)])
    cov_x = B @ noise @ B.T
    C = np.kron(np.eye(T), H)  # (TD, TM)
    mean = np.concatenate([mean_x, C @ mean_x])
    cov = np.block([[cov_x, cov_x @ C.T], [C @ cov_x, C @ cov_x @ C.T + np.kron(np.eye(T), R)]])
    return mean, cov


def condition(mean, cov, T, M, Y, t, upto):
    """Mean (M,) and covariance (M, M) of x_t given the observed entries of y_1..y_upto."""
    D = Y.shape[1]
    state = np.arange(t * M, (t + 1) * M)
    flat_y = Y[:upto].reshape(-1)
    given = T * M + np.flatnonzero(~np.isnan(flat_y))
    if given.size == 0:
        return mean[state], cov[np.ix_(state, state)]
    cross = cov[np.ix_(state, given)]
    gain = np.linalg.solve(cov[np.ix_(given, given)], cross.T).T
    residual = flat_y[~np.isnan(flat_y)] - mean[given]
    assert given.max() < T * M + upto * D
    return mean[state] + gain @ residual, cov[np.ix_(state, state)] - gain @ cross.T


def exact_log_likelihood(mean, cov, T, M, Y):
    flat_y = Y.reshape(-1)
    given = T * M + np.flatnonzero(~np.isnan(flat_y))
    if given.size == 0:
        return 0.0
    return multivariate_normal(mean[given], cov[np.ix_(given, given)]).logpdf(flat_y[~np.isnan(flat_y)])


def check_against_joint(F, H, Q, R, m0, P0, Y):
    T, M = Y.shape[0], F.shape[0]
    mean, cov = joint_gaussian(F, H, Q, R, m0, P0, T)
    result = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    smoothed = filters.rts_smoother(result, F)
    for t in range(T):
        m_filtered, P_filtered = condition(mean, cov, T, M, Y, t, upto=t + 1)
        m_smoothed, P_smoothed = condition(mean, cov, T, M, Y, t, upto=T)
        np.testing.assert_allclose(result.means[t], m_filtered, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(result.covs[t], P_filtered, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(smoothed.means[t], m_smoothed, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(smoothed.covs[t], P_smoothed, rtol=1e-9, atol=1e-9)

    # lag-one smoothed cross-covariance Cov[x_{t+1}, x_t | y] = P^s_{t+1} G_t^T
    given = T * M + np.flatnonzero(~np.isnan(Y.reshape(-1)))
    posterior = cov - cov[:, given] @ np.linalg.solve(cov[np.ix_(given, given)], cov[given, :])
    for t in range(T - 1):
        block = posterior[(t + 1) * M : (t + 2) * M, t * M : (t + 1) * M]
        np.testing.assert_allclose(smoothed.covs[t + 1] @ smoothed.gains[t].T, block, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(result.log_likelihood, exact_log_likelihood(mean, cov, T, M, Y), rtol=1e-10, atol=1e-9)


# ---------------------------------------------------------------------------------------------------
# Kalman filter and smoother against exact Gaussian conditioning
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T, M, D", [(1, 2, 1), (3, 3, 2), (8, 2, 3), (8, 4, 2)])
def test_kalman_matches_joint_gaussian(rng, T, M, D):
    F, H, Q, R, m0, P0 = random_model(rng, M, D)
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, T, rng)
    check_against_joint(F, H, Q, R, m0, P0, Y)


@pytest.mark.parametrize("T, M, D", [(5, 2, 1), (8, 3, 3), (8, 4, 2)])
def test_kalman_missing_matches_joint_gaussian(rng, T, M, D):
    F, H, Q, R, m0, P0 = random_model(rng, M, D)
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, T, rng)
    Y = Y.copy()
    Y[rng.random(size=Y.shape) < 0.3] = np.nan  # scattered missing entries
    Y[1] = np.nan  # one whole row missing
    if T > 4:
        Y[-1] = np.nan  # the last row too, so smoothing must extrapolate
    check_against_joint(F, H, Q, R, m0, P0, Y)


def test_kalman_all_missing_is_prior(rng):
    F, H, Q, R, m0, P0 = random_model(rng, 3, 2)
    Y = np.full((6, 2), np.nan)
    result = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    mean, cov = joint_gaussian(F, H, Q, R, m0, P0, 6)
    np.testing.assert_allclose(result.means[-1], mean[15:18], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(result.covs[-1], cov[15:18, 15:18], rtol=1e-12, atol=1e-12)
    assert result.log_likelihood == 0.0


def test_kalman_fast_path_equals_plain_recursion(rng):
    # The filter reuses K, P and L once the predicted covariance has converged. For this model the
    # recursion cycles between values one rounding unit apart instead of settling, so the reuse needs
    # the tolerance. The plain loop below never reuses anything. A missing row and a missing entry
    # interrupt the reuse, so the filter must recompute the gains and converge again.
    F, H, Q, R = filters.constant_velocity_model(1.0, 0.05, 4.0)
    m0, P0 = np.zeros(4), np.diag([25.0, 25.0, 4.0, 4.0])
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 600, rng)
    Y = Y.copy()
    Y[250] = np.nan
    Y[400, 0] = np.nan
    result = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    smoothed = filters.rts_smoother(result, F)

    m, P, log_likelihood = m0, P0, 0.0
    for t in range(len(Y)):
        if t > 0:
            m, P = filters.kalman_predict(m, P, F, Q)
        mask = ~np.isnan(Y[t])
        if mask.any():
            m, P, step = filters.kalman_update(m, P, Y[t, mask] - H[mask] @ m, H[mask], R[np.ix_(mask, mask)])
            log_likelihood += step
        np.testing.assert_allclose(result.means[t], m, rtol=1e-12, atol=1e-11)
        np.testing.assert_allclose(result.covs[t], P, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.log_likelihood, log_likelihood, rtol=1e-12)

    # the smoother's own reuse against the smoother run on a filter that never reused anything
    plain = filters.rts_smoother(filters.kalman_filter(Y, F, H, Q, R, m0, P0, steady_state_rtol=None), F)
    np.testing.assert_allclose(smoothed.means, plain.means, rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(smoothed.covs, plain.covs, rtol=1e-12, atol=1e-14)


def test_kalman_inputs_unchanged(rng):
    F, H, Q, R, m0, P0 = random_model(rng, 3, 2)
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 5, rng)
    Y[2, 1] = np.nan
    arrays = [Y, F, H, Q, R, m0, P0]
    copies = [a.copy() for a in arrays]
    result = filters.kalman_filter(*arrays)
    filters.rts_smoother(result, F)
    for original, copy in zip(arrays, copies):
        np.testing.assert_array_equal(original, copy)


def test_kalman_ill_conditioned_stays_psd(rng):
    # Condition numbers of the covariances reach about 1e16, because positions are measured to 1e-5
    # while the prior variance is 1e6 and the process noise 1e-6.
    F, H, Q, R = filters.constant_velocity_model(1e-2, 1e-6, 1e-10)
    m0, P0 = np.zeros(4), 1e6 * np.eye(4)
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 10_000, rng)
    result = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    smoothed = filters.rts_smoother(result, F)
    for name, covs in [("filtered", result.covs), ("predicted", result.predicted_covs), ("smoothed", smoothed.covs)]:
        np.testing.assert_array_equal(covs, covs.transpose(0, 2, 1), err_msg=f"{name} covariance not symmetric")
        assert np.linalg.eigvalsh(covs).min() >= 0.0, f"{name} covariance has a negative eigenvalue"


# ---------------------------------------------------------------------------------------------------
# Closed-form values
# ---------------------------------------------------------------------------------------------------


def test_random_walk_steady_state():
    one = np.ones((1, 1))
    Y = np.random.default_rng(0).normal(size=(201, 1))
    result = filters.kalman_filter(Y, one, one, one, one, np.zeros(1), one)
    smoothed = filters.rts_smoother(result, one)

    # The predicted variance solves p = p/(p+1) + 1, the golden ratio. The filtered variance is p/(p+1)
    # and the smoothed variance in the interior is 1/sqrt(5).
    np.testing.assert_allclose(result.predicted_covs[-1, 0, 0], (1 + np.sqrt(5)) / 2, rtol=1e-12)
    np.testing.assert_allclose(result.covs[-1, 0, 0], (np.sqrt(5) - 1) / 2, rtol=1e-12)
    np.testing.assert_allclose(smoothed.covs[100, 0, 0], 1 / np.sqrt(5), rtol=1e-12)
    np.testing.assert_allclose(result.predicted_covs[-1, 0, 0], 1.6180340, atol=5e-8)
    np.testing.assert_allclose(result.covs[-1, 0, 0], 0.6180340, atol=5e-8)
    np.testing.assert_allclose(smoothed.covs[100, 0, 0], 0.4472136, atol=5e-8)


def test_random_walk_missing_step():
    one = np.ones((1, 1))
    Y = np.array([[1.0], [np.nan], [3.0]])
    result = filters.kalman_filter(Y, one, one, one, one, np.zeros(1), one)
    np.testing.assert_allclose(result.means[:, 0], [0.5, 0.5, 16 / 7], rtol=1e-14)
    np.testing.assert_allclose(result.covs[:, 0, 0], [0.5, 1.5, 5 / 7], rtol=1e-14)

    # the missing step adds nothing: log N(1; 0, 2) + log N(3; 0.5, 3.5)
    expected = multivariate_normal(0.0, 2.0).logpdf(1.0) + multivariate_normal(0.5, 3.5).logpdf(3.0)
    np.testing.assert_allclose(result.log_likelihood, expected, rtol=1e-14)
    two_steps = filters.kalman_filter(Y[:2], one, one, one, one, np.zeros(1), one)
    np.testing.assert_allclose(two_steps.log_likelihood, multivariate_normal(0.0, 2.0).logpdf(1.0), rtol=1e-14)


def test_steady_state_matches_riccati(rng):
    # the predicted covariance converges to the solution of the discrete algebraic Riccati equation
    F, H, Q, R = filters.constant_velocity_model(0.5, 0.2, 0.7)
    m0, P0 = np.zeros(4), np.eye(4)
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 300, rng)
    result = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    np.testing.assert_allclose(result.predicted_covs[-1], solve_discrete_are(F.T, H.T, Q, R), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------------------------------
# Extended Kalman filter and the growth model
# ---------------------------------------------------------------------------------------------------


def test_ekf_equals_kalman_on_linear_model(rng):
    F, H, Q, R, m0, P0 = random_model(rng, 3, 2)
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 12, rng)
    Y[4, 0] = np.nan
    exact = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    extended = filters.extended_kalman_filter(
        Y, lambda x, t: F @ x, lambda x, t: F, lambda x, t: H @ x, lambda x, t: H, Q, R, m0, P0
    )
    np.testing.assert_allclose(extended.means, exact.means, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(extended.covs, exact.covs, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(extended.log_likelihood, exact.log_likelihood, rtol=1e-12)


def test_ekf_growth_model_two_steps():
    # the scalar recursion written out by hand, with f, h and their derivatives from the growth model
    Y = np.array([[2.0], [5.0]])
    m, P, Q, R = 0.5, 2.0, 10.0, 1.0
    expected = []
    for t in range(2):
        if t > 0:
            m, P = filters.growth_transition(m, t), filters.growth_transition_derivative(m, t) ** 2 * P + Q
        slope = m / 10
        S = slope**2 * P + R
        gain = P * slope / S
        m, P = m + gain * (Y[t, 0] - m**2 / 20), (1 - gain * slope) ** 2 * P + gain**2 * R
        expected.append((m, P))

    result = filters.extended_kalman_filter(
        Y,
        lambda x, t: filters.growth_transition(x, t),
        lambda x, t: filters.growth_transition_derivative(x, t).reshape(1, 1),
        lambda x, t: filters.growth_observation(x),
        lambda x, t: filters.growth_observation_derivative(x).reshape(1, 1),
        np.array([[Q]]),
        np.array([[R]]),
        np.array([0.5]),
        np.array([[2.0]]),
    )
    np.testing.assert_allclose(result.means[:, 0], [e[0] for e in expected], rtol=1e-13)
    np.testing.assert_allclose(result.covs[:, 0, 0], [e[1] for e in expected], rtol=1e-13)


@pytest.mark.parametrize("x0", [-7.3, -1.0, 0.2, 0.9, 4.4])
def test_growth_derivatives(x0):
    x = np.array([x0])
    check_gradient(lambda v: filters.growth_transition(v, 3).sum(), x, filters.growth_transition_derivative(x, 3))
    check_gradient(lambda v: filters.growth_observation(v).sum(), x, filters.growth_observation_derivative(x))


# ---------------------------------------------------------------------------------------------------
# Particle filter
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("N", [1, 7, 100, 1000])
def test_systematic_resample_counts(rng, N):
    # systematic resampling copies particle i floor(N W_i) or ceil(N W_i) times
    for _ in range(20):
        weights = rng.dirichlet(0.3 * np.ones(N))
        indices = filters.systematic_resample(weights, rng)
        counts = np.bincount(indices, minlength=N)
        assert indices.shape == (N,)
        assert np.all(counts >= np.floor(N * weights) - 1e-9)
        assert np.all(counts <= np.ceil(N * weights) + 1e-9)


def test_systematic_resample_unbiased():
    # E[count_i] = N W_i because the offset is uniform; each count is floor or ceil of N W_i, so its
    # standard deviation is at most 1/2 and the mean of 4000 draws has standard error below 0.008
    weights = np.array([0.05, 0.3, 0.01, 0.24, 0.4])
    rng = np.random.default_rng(3)
    counts = np.array([np.bincount(filters.systematic_resample(weights, rng), minlength=5) for _ in range(4000)])
    np.testing.assert_allclose(counts.mean(axis=0), 5 * weights, atol=0.04)


def test_effective_sample_size_extremes():
    N = 50
    assert filters.effective_sample_size(np.full(N, -np.log(N))) == pytest.approx(N, rel=1e-12)
    one_hot = np.full(N, -np.inf)
    one_hot[3] = 0.0
    assert filters.effective_sample_size(one_hot) == pytest.approx(1.0, rel=1e-12)
    # two particles with weights 1/4 and 3/4: 1 / (1/16 + 9/16) = 1.6
    assert filters.effective_sample_size(np.log([0.25, 0.75])) == pytest.approx(1.6, rel=1e-12)


@pytest.fixture(scope="module")
def tracking_problem():
    F, H, Q, R = filters.constant_velocity_model(1.0, 0.5, 1.0)
    m0, P0 = np.zeros(4), np.diag([4.0, 4.0, 1.0, 1.0])
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, 20, np.random.default_rng(7))
    return F, H, Q, R, m0, P0, Y


@pytest.fixture(scope="module")
def particle_replicates(tracking_problem):
    """Twenty independent runs with 5,000 particles: their spread is the Monte Carlo error."""
    F, H, Q, R, m0, P0, Y = tracking_problem
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    runs = [filters.bootstrap_particle_filter(Y, *model, 5000, np.random.default_rng(1000 + i)) for i in range(20)]
    return np.array([run.means for run in runs]), np.array([run.log_likelihood for run in runs])


def test_particle_means_match_kalman(tracking_problem, particle_replicates):
    F, H, Q, R, m0, P0, Y = tracking_problem
    exact = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    result = filters.bootstrap_particle_filter(Y, *model, 5000, np.random.default_rng(0))

    # Tolerance: 5 Monte Carlo standard deviations of each mean, estimated as the spread of 20
    # independent runs. Such an estimate has a relative standard error of about 16%, so 5 estimated
    # deviations are about 4 true ones. In the 20 replicate runs themselves, no error of the 80 means
    # exceeded 3.1 estimated deviations.
    replicate_means, _ = particle_replicates
    monte_carlo_sd = replicate_means.std(axis=0, ddof=1)  # (T, M)
    assert np.all(np.abs(result.means - exact.means) <= 5 * monte_carlo_sd)

    # The Monte Carlo error is mostly a few percent of the posterior spread, so the check has teeth.
    # It is larger only after an outlying observation, where few particles carry the weight.
    posterior_sd = np.sqrt(np.diagonal(exact.covs, axis1=1, axis2=2))  # (T, M)
    assert np.median(monte_carlo_sd / posterior_sd) < 0.1


def test_particle_likelihood_unbiased(tracking_problem, particle_replicates):
    F, H, Q, R, m0, P0, Y = tracking_problem
    exact = filters.kalman_filter(Y, F, H, Q, R, m0, P0).log_likelihood
    _, log_likelihoods = particle_replicates

    # The estimate of p(y) is unbiased, so the ratios to the exact value average to one. For a Gaussian
    # mean, 3 standard errors leave a 0.3% chance of a false failure.
    ratios = np.exp(log_likelihoods - exact)
    assert abs(ratios.mean() - 1.0) <= 3 * ratios.std(ddof=1) / np.sqrt(len(ratios))

    # the log of the estimate is biased down by about half its variance (here about 0.05), which is
    # smaller than its standard error over 20 runs, so its mean is also within 3 standard errors
    standard_error = log_likelihoods.std(ddof=1) / np.sqrt(len(log_likelihoods))
    assert abs(log_likelihoods.mean() - exact) <= 3 * standard_error


def test_particle_missing_row_no_weight_change(rng):
    F, H, Q, R, m0, P0 = random_model(rng, 2, 1)
    Y = np.array([[0.3], [np.nan], [np.nan]])
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    result = filters.bootstrap_particle_filter(Y, *model, 200, rng, ess_threshold=0.0, keep_particles=True)
    np.testing.assert_array_equal(result.log_weights[1], result.log_weights[0])
    np.testing.assert_array_equal(result.log_weights[2], result.log_weights[0])
    assert result.ess[2] == pytest.approx(result.ess[0], rel=1e-12)


def test_particle_resampling_threshold(tracking_problem):
    F, H, Q, R, m0, P0, Y = tracking_problem
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    never = filters.bootstrap_particle_filter(Y, *model, 300, np.random.default_rng(1), ess_threshold=0.0)
    always = filters.bootstrap_particle_filter(Y, *model, 300, np.random.default_rng(1), ess_threshold=1.0)
    assert not never.resampled.any()
    assert always.resampled.all()
    # without resampling the weights only multiply up, and after 20 informative steps they have collapsed
    assert never.ess[-1] < 5


def test_particle_filter_reproducible(tracking_problem):
    F, H, Q, R, m0, P0, Y = tracking_problem
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    first = filters.bootstrap_particle_filter(Y, *model, 100, np.random.default_rng(5))
    second = filters.bootstrap_particle_filter(Y, *model, 100, np.random.default_rng(5))
    np.testing.assert_array_equal(first.means, second.means)
    assert first.log_likelihood == second.log_likelihood


# ---------------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------------


def test_kalman_rejects_bad_shapes(rng):
    F, H, Q, R, m0, P0 = random_model(rng, 3, 2)
    Y = np.zeros((4, 2))
    with pytest.raises(ValueError, match="H must have shape"):
        filters.kalman_filter(Y, F, H[:, :2], Q, R, m0, P0)
    with pytest.raises(ValueError, match="Y must have shape"):
        filters.kalman_filter(np.zeros((4, 3)), F, H, Q, R, m0, P0)
    with pytest.raises(ValueError, match="R must be a symmetric"):
        filters.kalman_filter(Y, F, H, Q, R + np.triu(np.ones((2, 2)), 1), m0, P0)
    with pytest.raises(ValueError, match="m0 must have shape"):
        filters.kalman_filter(Y, F, H, Q, R, m0[:2], P0)


def test_cholesky_rejects_indefinite():
    A = np.array([[4.0, 2.0], [2.0, 5.0]])
    np.testing.assert_allclose(filters.cholesky(A), np.linalg.cholesky(A), rtol=1e-15)
    np.testing.assert_allclose(filters.cholesky_solve(filters.cholesky(A), np.eye(2)) @ A, np.eye(2), atol=1e-15)
    with pytest.raises(np.linalg.LinAlgError, match="not positive definite"):
        filters.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))


def test_particle_filter_rejects_bad_arguments(tracking_problem):
    F, H, Q, R, m0, P0, Y = tracking_problem
    model = filters.linear_gaussian_particle_model(F, H, Q, R, m0, P0)
    with pytest.raises(ValueError, match="n_particles"):
        filters.bootstrap_particle_filter(Y, *model, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="ess_threshold"):
        filters.bootstrap_particle_filter(Y, *model, 10, np.random.default_rng(0), ess_threshold=1.5)
    with pytest.raises(ValueError, match="weights must be non-negative"):
        filters.systematic_resample(np.array([0.5, 0.6]), np.random.default_rng(0))


# ---------------------------------------------------------------------------------------------------
# Peer libraries
# ---------------------------------------------------------------------------------------------------


def test_matches_filterpy(tracking_problem):
    kalman = pytest.importorskip("filterpy.kalman")
    F, H, Q, R, m0, P0, Y = tracking_problem
    ours = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    ours_smoothed = filters.rts_smoother(ours, F)

    # filterpy's prior is on the state before the first predict, so update first to match ours
    peer = kalman.KalmanFilter(dim_x=4, dim_z=2)
    peer.F, peer.H, peer.Q, peer.R = F, H, Q, R
    peer.x, peer.P = m0.copy(), P0.copy()
    means, covs, _, _ = peer.batch_filter(Y, update_first=True)
    smoothed_means, smoothed_covs, _, _ = peer.rts_smoother(means, covs)
    np.testing.assert_allclose(ours.means, means, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.covs, covs, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours_smoothed.means, smoothed_means, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours_smoothed.covs, smoothed_covs, rtol=1e-9, atol=1e-10)

    log_likelihood = 0.0
    peer.x, peer.P = m0.copy(), P0.copy()
    for y in Y:
        peer.update(y)
        log_likelihood += peer.log_likelihood
        peer.predict()
    np.testing.assert_allclose(ours.log_likelihood, log_likelihood, rtol=1e-10)


def test_matches_pykalman(tracking_problem):
    pykalman = pytest.importorskip("pykalman")
    F, H, Q, R, m0, P0, Y = tracking_problem
    Y = Y.copy()
    Y[5] = np.nan  # pykalman skips masked rows
    ours = filters.kalman_filter(Y, F, H, Q, R, m0, P0)
    ours_smoothed = filters.rts_smoother(ours, F)

    peer = pykalman.KalmanFilter(
        transition_matrices=F,
        observation_matrices=H,
        transition_covariance=Q,
        observation_covariance=R,
        initial_state_mean=m0,
        initial_state_covariance=P0,
    )
    masked = np.ma.masked_invalid(Y)
    with warnings.catch_warnings():
        # pykalman 0.11 can emit numpy deprecation warnings; they do not affect the values
        warnings.simplefilter("ignore", DeprecationWarning)
        means, covs = peer.filter(masked)
        smoothed_means, smoothed_covs = peer.smooth(masked)
        log_likelihood = peer.loglikelihood(masked)
    np.testing.assert_allclose(ours.means, means, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.covs, covs, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours_smoothed.means, smoothed_means, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours_smoothed.covs, smoothed_covs, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(ours.log_likelihood, log_likelihood, rtol=1e-10)
