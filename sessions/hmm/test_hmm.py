"""Tests of the HMM reference implementation against brute-force enumeration, closed forms and hmmlearn."""

import itertools

import numpy as np
import pytest

from mlseminar.testing import check_gradient, load_sibling

hmm = load_sibling(__file__, "hmm")


# ---------------------------------------------------------------------------------------------
# Helpers: small random models and brute-force enumeration over all K^T state paths
# ---------------------------------------------------------------------------------------------


def random_stochastic(rng, shape, concentration=1.0):
    """Return an array of Dirichlet draws along the last axis, so every row sums to one."""
    return rng.dirichlet(np.full(shape[-1], concentration), size=shape[:-1])


def random_categorical_model(rng, K=3, M=4):
    return hmm.CategoricalHMM(
        pi=random_stochastic(rng, (K,)), A=random_stochastic(rng, (K, K)), B=random_stochastic(rng, (K, M))
    )


def random_gaussian_model(rng, K=3, D=2):
    factors = rng.normal(size=(K, D, D))
    Sigma = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(D)  # (K, D, D)
    return hmm.GaussianHMM(
        pi=random_stochastic(rng, (K,)), A=random_stochastic(rng, (K, K)), mu=rng.normal(size=(K, D)), Sigma=Sigma
    )


def model_and_data(kind, rng, T):
    """Return a small random model of the given emission kind and a sequence of length T drawn from it."""
    if kind == "categorical":
        model = random_categorical_model(rng)
    elif kind == "gaussian-1d":
        model = random_gaussian_model(rng, D=1)
    else:
        model = random_gaussian_model(rng, D=2)
    _, X = model.sample(T, rng)
    return model, X


def brute_force(model, X):
    """Enumerate every state path: return the paths (P, T) and their log joint probabilities (P,)."""
    log_B = model.log_emissions(X)  # (T, K)
    T, K = log_B.shape
    paths = np.array(list(itertools.product(range(K), repeat=T)))  # (K^T, T)
    with np.errstate(divide="ignore"):
        log_pi, log_A = np.log(model.pi), np.log(model.A)
    log_joint = log_pi[paths[:, 0]] + log_B[0, paths[:, 0]]
    for t in range(1, T):
        log_joint = log_joint + log_A[paths[:, t - 1], paths[:, t]] + log_B[t, paths[:, t]]
    return paths, log_joint


KINDS = ["categorical", "gaussian-1d", "gaussian-2d"]


# ---------------------------------------------------------------------------------------------
# Forward-backward and Viterbi against brute force
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 6])
@pytest.mark.parametrize("kind", KINDS)
def test_log_likelihood_matches_brute_force(kind, T, rng):
    model, X = model_and_data(kind, rng, T)
    _, log_joint = brute_force(model, X)
    expected = np.log(np.sum(np.exp(log_joint)))

    np.testing.assert_allclose(model.log_likelihood(X), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.log_likelihood(X, method="chunked"), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("T", [2, 4, 6])
@pytest.mark.parametrize("kind", KINDS)
def test_posteriors_match_brute_force(kind, T, rng):
    model, X = model_and_data(kind, rng, T)
    paths, log_joint = brute_force(model, X)
    weights = np.exp(log_joint - np.log(np.sum(np.exp(log_joint))))  # (K^T,)
    K = model.n_states

    gamma_expected = np.zeros((T, K))
    xi_expected = np.zeros((T - 1, K, K))
    for path, weight in zip(paths, weights):
        gamma_expected[np.arange(T), path] += weight
        xi_expected[np.arange(T - 1), path[:-1], path[1:]] += weight

    for method in ["loop", "chunked"]:
        _, gamma, xi = model.posteriors(X, method=method)
        np.testing.assert_allclose(gamma, gamma_expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(xi, xi_expected, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gamma.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(xi.sum(axis=(1, 2)), 1.0, rtol=0, atol=1e-12)

        # Summing xi over the next state gives gamma at t, and over the previous state gamma at t + 1.
        np.testing.assert_allclose(xi.sum(axis=2), gamma[:-1], rtol=0, atol=1e-12)
        np.testing.assert_allclose(xi.sum(axis=1), gamma[1:], rtol=0, atol=1e-12)


@pytest.mark.parametrize("T", [1, 3, 5, 6])
@pytest.mark.parametrize("kind", KINDS)
def test_viterbi_matches_brute_force(kind, T, rng):
    model, X = model_and_data(kind, rng, T)
    paths, log_joint = brute_force(model, X)
    z, log_best = model.viterbi(X)

    np.testing.assert_array_equal(z, paths[np.argmax(log_joint)])
    np.testing.assert_allclose(log_best, np.max(log_joint), rtol=1e-12, atol=1e-12)


def test_log_likelihood_gradient_gives_posteriors(rng):
    # d log p(x) / d log b_k(x_t) = gamma_t(k) and d log p(x) / d log A_ij = sum_t xi_t(i, j), where the
    # log-parameters are treated as free (unnormalised) inputs of the forward recursion.
    model, X = model_and_data("gaussian-2d", rng, 7)
    log_pi, log_A, log_B = np.log(model.pi), np.log(model.A), model.log_emissions(X)
    _, gamma, xi = hmm.forward_backward(log_pi, log_A, log_B)

    def log_likelihood(log_pi, log_A, log_B):
        return hmm.logsumexp(hmm.forward(log_pi, log_A, log_B)[-1])

    check_gradient(lambda v: log_likelihood(log_pi, log_A, v), log_B, gamma, name="log_B")
    check_gradient(lambda v: log_likelihood(log_pi, v, log_B), log_A, xi.sum(axis=0), name="log_A")
    check_gradient(lambda v: log_likelihood(v, log_A, log_B), log_pi, gamma[0], name="log_pi")


# ---------------------------------------------------------------------------------------------
# Exact values and numerical robustness
# ---------------------------------------------------------------------------------------------


def test_uninformative_emissions_exact_values(rng):
    # Both states emit 0 or 1 with probability 1/2, so every sequence has probability 2^-T. The
    # observations carry no information about the states, so the posterior is the prior marginal pi A^t.
    T = 5000
    pi = np.array([0.5, 0.5])
    A = np.array([[0.9, 0.1], [0.2, 0.8]])
    model = hmm.CategoricalHMM(pi=pi, A=A, B=np.full((2, 2), 0.5))
    x = rng.integers(0, 2, size=T)

    prior = np.empty((T, 2))
    prior[0] = pi
    for t in range(1, T):
        prior[t] = prior[t - 1] @ A

    for method in ["loop", "chunked"]:
        log_likelihood, gamma, _ = model.posteriors(x, method=method)
        # 5,000 rounded additions of numbers near ln(1/2) leave an error of order 1e-13 relative.
        np.testing.assert_allclose(log_likelihood, -3465.7359027997, rtol=0, atol=1e-9)
        np.testing.assert_allclose(log_likelihood, T * np.log(0.5), rtol=1e-12, atol=0)
        np.testing.assert_allclose(gamma, prior, rtol=1e-10, atol=1e-12)


def test_long_sequence_log_likelihood_finite(rng):
    # 100,000 steps: a product of probabilities this long underflows to zero outside log space.
    model = random_gaussian_model(rng, K=3, D=1)
    _, X = model.sample(100_000, rng)
    log_likelihood_loop, gamma, _ = model.posteriors(X)
    log_likelihood_chunked, gamma_chunked, _ = model.posteriors(X, method="chunked")

    assert np.isfinite(log_likelihood_loop)
    assert np.all(np.isfinite(gamma))
    # Both sum about 10^5 rounded terms of size about 1, so they agree to about 1e-10 relative.
    np.testing.assert_allclose(log_likelihood_chunked, log_likelihood_loop, rtol=1e-10, atol=0)
    np.testing.assert_allclose(gamma_chunked, gamma, rtol=0, atol=1e-6)


def test_zero_transitions_give_no_nan(rng):
    # A left-to-right chain: exact zeros below the diagonal and a forbidden jump from state 0 to state 2.
    A = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])
    model = hmm.GaussianHMM(
        pi=np.array([1.0, 0.0, 0.0]), A=A, mu=np.array([[-3.0], [0.0], [3.0]]), Sigma=np.ones((3, 1, 1))
    )
    _, X = model.sample(500, rng)

    for method in ["loop", "chunked"]:
        log_likelihood, gamma, xi = model.posteriors(X, method=method)
        assert np.isfinite(log_likelihood)
        assert not np.any(np.isnan(gamma))
        assert not np.any(np.isnan(xi))
        np.testing.assert_array_equal(xi[:, 1, 0], 0.0)
        np.testing.assert_array_equal(xi[:, 0, 2], 0.0)

    z, _ = model.viterbi(X)
    assert np.all(np.diff(z) >= 0)
    assert np.all(np.diff(z) <= 1)
    fitted, history = hmm.fit_em(model, [X], n_iter=5, tol=-np.inf)
    assert np.all(np.isfinite(history))
    np.testing.assert_array_equal(fitted.A[np.tril_indices(3, -1)], 0.0)


@pytest.mark.parametrize("chunk_length", [1, 2, 7, 50])
def test_chunked_matches_loop(chunk_length, rng):
    model, X = model_and_data("gaussian-2d", rng, 203)
    log_pi, log_A, log_B = np.log(model.pi), np.log(model.A), model.log_emissions(X)
    expected = hmm.forward_backward(log_pi, log_A, log_B)
    result = hmm.forward_backward_chunked(log_pi, log_A, log_B, chunk_length=chunk_length)

    np.testing.assert_allclose(result[0], expected[0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(result[1], expected[1], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result[2], expected[2], rtol=1e-9, atol=1e-12)


def test_impossible_sequence_raises():
    model = hmm.CategoricalHMM(pi=np.array([1.0, 0.0]), A=np.eye(2), B=np.array([[1.0, 0.0], [0.0, 1.0]]))
    x = np.array([0, 1])
    for method in ["loop", "chunked"]:
        with pytest.raises(ValueError, match="probability zero"):
            model.posteriors(x, method=method)


# ---------------------------------------------------------------------------------------------
# Emission densities and sampling
# ---------------------------------------------------------------------------------------------


def test_gaussian_log_density_matches_scipy(rng):
    stats = pytest.importorskip("scipy.stats")
    model = random_gaussian_model(rng, K=3, D=3)
    X = rng.normal(size=(20, 3))
    log_B = hmm.log_gaussian_emissions(X, model.mu, model.Sigma)
    for k in range(3):
        expected = stats.multivariate_normal(model.mu[k], model.Sigma[k]).logpdf(X)
        np.testing.assert_allclose(log_B[:, k], expected, rtol=1e-12, atol=1e-12)


def test_sample_transition_frequencies(rng):
    A = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    z = hmm.sample_states(np.array([1.0, 0.0, 0.0]), A, 60_000, rng)
    counts = np.zeros((3, 3))
    np.add.at(counts, (z[:-1], z[1:]), 1)
    # Each row has at least 8,000 transitions, so the standard error of each frequency is at most
    # sqrt(0.25 / 8000) = 0.0056; 0.025 is more than four standard errors.
    np.testing.assert_allclose(counts / counts.sum(axis=1, keepdims=True), A, rtol=0, atol=0.025)
    assert z[0] == 0


# ---------------------------------------------------------------------------------------------
# Baum-Welch EM
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, method", [("categorical", "loop"), ("categorical", "chunked"), ("gaussian-1d", "chunked"), ("gaussian-2d", "chunked")]
)
def test_em_never_decreases_log_likelihood(kind, method, rng):
    true_model, _ = model_and_data(kind, rng, 1)
    sequences = [true_model.sample(100, rng)[1] for _ in range(3)]
    start, _ = model_and_data(kind, rng, 1)
    _, history = hmm.fit_em(start, sequences, n_iter=50, tol=-np.inf, method=method)

    assert len(history) == 51
    assert np.all(np.diff(history) >= -1e-9), f"largest decrease {-np.min(np.diff(history)):.3g}"


def test_em_recovers_well_separated_model():
    rng = np.random.default_rng(0)
    true_model = hmm.GaussianHMM(
        pi=np.array([1.0, 0.0, 0.0]),
        A=np.array([[0.90, 0.05, 0.05], [0.10, 0.80, 0.10], [0.05, 0.15, 0.80]]),
        mu=np.array([[-5.0, 0.0], [0.0, 5.0], [5.0, 0.0]]),
        Sigma=np.array([np.eye(2), [[1.0, 0.5], [0.5, 1.0]], [[2.0, -0.3], [-0.3, 0.5]]]),
    )
    _, X = true_model.sample(5000, rng)

    # Start from three random data points as means, so the states come back in some permutation.
    start = hmm.GaussianHMM(
        pi=np.full(3, 1 / 3), A=np.full((3, 3), 1 / 3), mu=X[rng.choice(5000, 3, replace=False)],
        Sigma=np.array([np.cov(X.T)] * 3),
    )
    fitted, _ = hmm.fit_em(start, [X], n_iter=200, tol=1e-8, method="chunked")

    # Match fitted states to true states by their means.
    order = np.array([np.argmin(np.linalg.norm(fitted.mu - m, axis=1)) for m in true_model.mu])
    assert sorted(order) == [0, 1, 2]

    # pi is not compared: one sequence carries a single draw of the first state.
    # Standard errors with about 1,000-2,000 visits per state: means about 0.03, covariance entries
    # about 0.05, transition probabilities about 0.01. The tolerances are four to five of those.
    np.testing.assert_allclose(fitted.mu[order], true_model.mu, rtol=0, atol=0.15)
    np.testing.assert_allclose(fitted.Sigma[order], true_model.Sigma, rtol=0, atol=0.25)
    np.testing.assert_allclose(fitted.A[np.ix_(order, order)], true_model.A, rtol=0, atol=0.05)


def test_covariance_floor_keeps_collapsed_state_finite(rng):
    floor = 1e-3
    X = np.concatenate([np.zeros(50), rng.normal(5.0, 1.0, size=50)])
    start = hmm.GaussianHMM(
        pi=np.array([0.5, 0.5]), A=np.array([[0.9, 0.1], [0.1, 0.9]]),
        mu=np.array([[0.5], [4.0]]), Sigma=np.array([[[1.0]], [[1.0]]]),
    )
    fitted, history = hmm.fit_em(start, [X], n_iter=20, tol=-np.inf, covariance_floor=floor)

    assert len(history) == 21
    assert np.all(np.isfinite(history))
    assert np.all(np.diff(history) >= -1e-9)
    np.testing.assert_allclose(fitted.mu[0, 0], 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(fitted.Sigma[0, 0, 0], floor, rtol=1e-10, atol=0)
    assert fitted.Sigma[1, 0, 0] > 0.2


def test_covariance_floor_clips_eigenvalues():
    # One sequence whose points lie on the line y = x: the weighted covariance has eigenvalues 2 and 0.
    X = np.array([[-1.0, -1.0], [1.0, 1.0], [-1.0, -1.0], [1.0, 1.0]])
    gamma = np.ones((4, 1))
    mu, Sigma = hmm.m_step_gaussian([X], [gamma], np.zeros((1, 2)), np.eye(2)[None], covariance_floor=0.1)

    np.testing.assert_allclose(mu, [[0.0, 0.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.linalg.eigvalsh(Sigma[0]), [0.1, 2.0], rtol=1e-12, atol=0)


def test_categorical_m_step_counts():
    # With one-hot posteriors EM's update is the empirical frequency of each symbol in each state.
    x = np.array([0, 1, 1, 2, 2, 2])
    gamma = np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1]], dtype=float)
    B = hmm.m_step_categorical([x], [gamma], np.full((2, 3), 1 / 3))
    np.testing.assert_allclose(B, [[1 / 3, 2 / 3, 0.0], [0.0, 0.0, 1.0]], rtol=0, atol=1e-15)


def test_fit_em_leaves_inputs_unchanged(rng):
    model, _ = model_and_data("gaussian-2d", rng, 1)
    X = model.sample(50, rng)[1]
    X_copy, mu_copy, A_copy = X.copy(), model.mu.copy(), model.A.copy()
    hmm.fit_em(model, [X], n_iter=3)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(model.mu, mu_copy)
    np.testing.assert_array_equal(model.A, A_copy)


# ---------------------------------------------------------------------------------------------
# Input validation
# ---------------------------------------------------------------------------------------------


def test_invalid_inputs_raise():
    with pytest.raises(ValueError, match="A: each row must sum to 1"):
        hmm.CategoricalHMM(pi=np.array([0.5, 0.5]), A=np.array([[0.5, 0.6], [0.5, 0.5]]), B=np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="x: symbols must lie in"):
        hmm.log_categorical_emissions(np.array([0, 3]), np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="Sigma\\[0\\]: not positive definite"):
        hmm.log_gaussian_emissions(np.zeros((2, 1)), np.zeros((1, 1)), -np.ones((1, 1, 1)))
    with pytest.raises(ValueError, match="method: expected 'loop' or 'chunked'"):
        hmm.fit_em(random_categorical_model(np.random.default_rng(0)), [np.array([0, 1])], method="fast")
    with pytest.raises(ValueError, match="log_A: expected shape"):
        hmm.forward(np.zeros(2), np.zeros((3, 3)), np.zeros((4, 2)))


# ---------------------------------------------------------------------------------------------
# Agreement with hmmlearn
# ---------------------------------------------------------------------------------------------


def test_matches_hmmlearn_gaussian(rng):
    hmmlearn_hmm = pytest.importorskip("hmmlearn.hmm")
    model = random_gaussian_model(rng, K=3, D=2)
    _, X = model.sample(500, rng)

    reference = hmmlearn_hmm.GaussianHMM(n_components=3, covariance_type="full", init_params="", params="")
    reference.startprob_ = model.pi
    reference.transmat_ = model.A
    reference.means_ = model.mu
    reference.covars_ = model.Sigma
    expected_log_likelihood, expected_gamma = reference.score_samples(X)

    for method in ["loop", "chunked"]:
        log_likelihood, gamma, _ = model.posteriors(X, method=method)
        np.testing.assert_allclose(log_likelihood, expected_log_likelihood, rtol=1e-10, atol=1e-6)
        np.testing.assert_allclose(gamma, expected_gamma, rtol=0, atol=1e-6)

    _, expected_path = reference.decode(X, algorithm="viterbi")
    np.testing.assert_array_equal(model.viterbi(X)[0], expected_path)
