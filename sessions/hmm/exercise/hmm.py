"""Hidden Markov models with categorical or Gaussian emissions, in numpy.

A hidden Markov model (HMM) draws a chain of hidden states z_1, ..., z_T from an initial
distribution pi and a transition matrix A, and emits one observation x_t from each state. This
module implements sampling, the forward-backward algorithm in log space (log-likelihood, posterior
state marginals and pairwise marginals), Viterbi decoding and Baum-Welch EM for categorical
emissions and for Gaussian emissions with full covariance [1, 2]. A second formulation of
forward-backward, `forward_backward_chunked`, replaces most of the loop over time by batched
matrix products over chunks of time and gives the same numbers faster on long sequences.

References
----------
[1] L. R. Rabiner, "A Tutorial on Hidden Markov Models and Selected Applications in Speech
    Recognition", Proceedings of the IEEE 77(2):257-286, 1989. https://doi.org/10.1109/5.18626
[2] L. R. Rabiner and B.-H. Juang, "An Introduction to Hidden Markov Models", IEEE ASSP Magazine
    3(1):4-16, 1986. https://doi.org/10.1109/MASSP.1986.1165342
[3] Z. Ghahramani, "An Introduction to Hidden Markov Models and Bayesian Networks", International
    Journal of Pattern Recognition and Artificial Intelligence 15(1):9-42, 2001.
    https://doi.org/10.1142/S0218001401000836

Notation
--------
K       number of hidden states
T       number of time steps in one sequence
D       dimension of a Gaussian observation
M       number of symbols of a categorical observation
N       number of sequences
pi      (K,) initial state distribution, pi_k = p(z_1 = k)
A       (K, K) transition matrix, A_ij = p(z_{t+1} = j | z_t = i); each row sums to one
B       (K, M) categorical emission matrix, B_km = p(x_t = m | z_t = k)
mu      (K, D) Gaussian emission means
Sigma   (K, D, D) Gaussian emission covariances
x       (T,) categorical observations, integers in [0, M)
X       (T, D) Gaussian observations; (T,) is accepted when D = 1
z       (T,) hidden state sequence
log_B   (T, K) emission log-probabilities, log_B[t, k] = log p(x_t | z_t = k)
alpha   (T, K) forward messages, alpha_t(k) = p(x_1..x_t, z_t = k)
beta    (T, K) backward messages, beta_t(k) = p(x_{t+1}..x_T | z_t = k)
gamma   (T, K) posterior state marginals, gamma_t(k) = p(z_t = k | x_1..x_T)
xi      (T - 1, K, K) pairwise posterior marginals, xi_t(i, j) = p(z_t = i, z_{t+1} = j | x_1..x_T)
b       emission probabilities, b_k(x_t) = p(x_t | z_t = k); the chunked scan keeps them as a (T, K)
        array divided by the maximum of each row
M_t     (K, K) the matrix A diag(b_t) that advances the forward message by one step
C, L    number of chunks and steps per chunk of the chunked scan
R       (C, K, K) product of the L matrices M_t of each chunk
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "CategoricalHMM",
    "GaussianHMM",
    "backward",
    "fit_em",
    "forward",
    "forward_backward",
    "forward_backward_chunked",
    "log_categorical_emissions",
    "log_gaussian_emissions",
    "logsumexp",
    "m_step_categorical",
    "m_step_gaussian",
    "m_step_markov_chain",
    "posterior_marginals",
    "sample_states",
    "viterbi",
]

_STOCHASTIC_ATOL = 1e-8


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def logsumexp(a: np.ndarray, axis: int | None = None) -> np.ndarray:
    """Compute log(sum(exp(a))) along `axis` without overflow.

    Shifting by the maximum keeps every exponent at or below zero, and the largest term is exactly
    one, so the sum never underflows to zero either. Entries equal to -inf contribute zero, and a
    slice of only -inf entries gives -inf without a warning.
    """
    a = np.asarray(a, dtype=float)
    a_max = a.max(axis=axis, keepdims=True)

    # Shift finite slices by their maximum. A slice of only -inf is shifted by zero and its sum
    # replaced by one, so the result is log(1) + (-inf) = -inf with no NaN and no warning.
    finite = np.isfinite(a_max)
    summed = np.exp(a - np.where(finite, a_max, 0.0)).sum(axis=axis, keepdims=True)
    out = np.log(np.where(finite, summed, 1.0)) + a_max
    if axis is None:
        return out.reshape(())[()]
    return np.squeeze(out, axis=axis)


def _log(p: np.ndarray) -> np.ndarray:
    """Take the natural logarithm, mapping exact zeros to -inf without a warning."""
    with np.errstate(divide="ignore"):
        return np.log(p)


def _check_stochastic(p: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return `p` as a float copy after checking its shape, non-negativity and unit sums along the last axis."""
    p = np.array(p, dtype=float)
    if p.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {p.shape}")
    if np.any(~np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name}: entries must be finite and non-negative")
    sums = p.sum(axis=-1)
    if not np.allclose(sums, 1.0, rtol=0.0, atol=_STOCHASTIC_ATOL):
        raise ValueError(f"{name}: each row must sum to 1, got sums {np.round(sums, 10).tolist()}")
    return p


def _check_log_inputs(log_pi: np.ndarray, log_A: np.ndarray, log_B: np.ndarray) -> tuple[np.ndarray, ...]:
    """Return the three log-parameter arrays as float arrays after checking their shapes and NaNs."""
    log_pi = np.asarray(log_pi, dtype=float)
    log_A = np.asarray(log_A, dtype=float)
    log_B = np.asarray(log_B, dtype=float)
    if log_B.ndim != 2 or log_B.shape[0] < 1:
        raise ValueError(f"log_B: expected shape (T, K) with T >= 1, got {log_B.shape}")
    K = log_B.shape[1]
    if log_pi.shape != (K,):
        raise ValueError(f"log_pi: expected shape ({K},) to match log_B, got {log_pi.shape}")
    if log_A.shape != (K, K):
        raise ValueError(f"log_A: expected shape ({K}, {K}) to match log_B, got {log_A.shape}")
    if np.any(np.isnan(log_pi)) or np.any(np.isnan(log_A)) or np.any(np.isnan(log_B)):
        raise ValueError("log_pi, log_A and log_B must not contain NaN")
    return log_pi, log_A, log_B


# ---------------------------------------------------------------------------------------------
# Emission log-probabilities
# ---------------------------------------------------------------------------------------------


def log_categorical_emissions(x: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Look up log p(x_t | z_t = k) for categorical observations.

    Parameters
    ----------
    x : ndarray of int, shape (T,)
        Observed symbols in [0, M).
    B : ndarray, shape (K, M)
        Emission probabilities; row k is the distribution of symbols in state k.

    Returns
    -------
    log_B : ndarray, shape (T, K)
        Entry [t, k] is log B[k, x_t]; a zero probability gives -inf.
    """
    x = np.asarray(x)
    B = np.asarray(B, dtype=float)
    if B.ndim != 2:
        raise ValueError(f"B: expected shape (K, M), got {B.shape}")
    if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer):
        raise ValueError(f"x: expected a 1-D integer array, got shape {x.shape} and dtype {x.dtype}")
    M = B.shape[1]
    if x.size and (x.min() < 0 or x.max() >= M):
        raise ValueError(f"x: symbols must lie in [0, {M}), got range [{x.min()}, {x.max()}]")
    return _log(B[:, x].T)  # (T, K)


def log_gaussian_emissions(X: np.ndarray, mu: np.ndarray, Sigma: np.ndarray) -> np.ndarray:
    """Evaluate the log-density of every observation under every state's Gaussian.

    Parameters
    ----------
    X : ndarray, shape (T, D), or (T,) when D = 1
        Observations.
    mu : ndarray, shape (K, D)
        Means.
    Sigma : ndarray, shape (K, D, D)
        Covariances, each symmetric positive definite.

    Returns
    -------
    log_B : ndarray, shape (T, K)
        Entry [t, k] is log N(x_t; mu_k, Sigma_k).

    Raises
    ------
    ValueError
        If a covariance is not positive definite (its Cholesky factorisation fails).

    Notes
    -----
    With the Cholesky factor :math:`\\Sigma_k = L_k L_k^\\top` and :math:`u = L_k^{-1}(x - \\mu_k)`,

    .. math:: \\log \\mathcal N(x; \\mu_k, \\Sigma_k) = -\\tfrac12 u^\\top u - \\sum_d \\log (L_k)_{dd}
              - \\tfrac D2 \\log 2\\pi .

    A linear solve with L replaces the inverse, and the log-determinant comes from the diagonal of L.
    """
    mu = np.asarray(mu, dtype=float)
    Sigma = np.asarray(Sigma, dtype=float)
    if mu.ndim != 2:
        raise ValueError(f"mu: expected shape (K, D), got {mu.shape}")
    K, D = mu.shape
    if Sigma.shape != (K, D, D):
        raise ValueError(f"Sigma: expected shape ({K}, {D}, {D}) to match mu, got {Sigma.shape}")
    X = _as_gaussian_observations(X, D)

    log_B = np.empty((X.shape[0], K))
    for k in range(K):
        try:
            L = np.linalg.cholesky(Sigma[k])
        except np.linalg.LinAlgError as error:
            raise ValueError(f"Sigma[{k}]: not positive definite ({error})") from error

        # Whiten the residuals, so the Mahalanobis distance is a sum of squares. A general solve
        # with the triangular factor costs little more than a triangular one for small D.
        u = np.linalg.solve(L, (X - mu[k]).T)  # (D, T)
        log_det = 2.0 * np.sum(np.log(np.diag(L)))
        log_B[:, k] = -0.5 * np.sum(u**2, axis=0) - 0.5 * log_det - 0.5 * D * np.log(2.0 * np.pi)
    return log_B


def _as_gaussian_observations(X: np.ndarray, D: int) -> np.ndarray:
    """Return X as a float (T, D) array, turning a (T,) array into (T, 1) when D = 1."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1 and D == 1:
        X = X[:, None]  # (T, 1)
    if X.ndim != 2 or X.shape[1] != D:
        raise ValueError(f"X: expected shape (T, {D}), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X: observations must be finite")
    return X


# ---------------------------------------------------------------------------------------------
# Inference: forward-backward and Viterbi
# ---------------------------------------------------------------------------------------------


def forward(log_pi: np.ndarray, log_A: np.ndarray, log_B: np.ndarray) -> np.ndarray:
    """Run the forward recursion in log space.

    Parameters
    ----------
    log_pi : ndarray, shape (K,)
        Log initial distribution; -inf marks an impossible start.
    log_A : ndarray, shape (K, K)
        Log transition matrix; -inf marks a forbidden transition.
    log_B : ndarray, shape (T, K)
        Emission log-probabilities.

    Returns
    -------
    log_alpha : ndarray, shape (T, K)
        log alpha_t(k) = log p(x_1..x_t, z_t = k). The log-likelihood is logsumexp(log_alpha[-1]).

    Notes
    -----
    .. math:: \\alpha_1(k) = \\pi_k\\, b_k(x_1), \\qquad
              \\alpha_{t+1}(j) = b_j(x_{t+1}) \\sum_i \\alpha_t(i) A_{ij}

    The probability of the first t + 1 observations ending in state j sums over the state i one
    step earlier [1, eqs. 19-20]. In log space the sum becomes a log-sum-exp, so the products of
    thousands of probabilities below one never underflow.
    """
    log_pi, log_A, log_B = _check_log_inputs(log_pi, log_A, log_B)
    # HINT: log_alpha[t] needs a logsumexp over the previous state i of log_alpha[t - 1, i] + log_A[i, :].
    raise NotImplementedError("forward: write this part of the exercise")


def backward(log_A: np.ndarray, log_B: np.ndarray) -> np.ndarray:
    """Run the backward recursion in log space.

    Parameters
    ----------
    log_A : ndarray, shape (K, K)
        Log transition matrix.
    log_B : ndarray, shape (T, K)
        Emission log-probabilities.

    Returns
    -------
    log_beta : ndarray, shape (T, K)
        log beta_t(k) = log p(x_{t+1}..x_T | z_t = k); the last row is zero.

    Notes
    -----
    .. math:: \\beta_T(i) = 1, \\qquad \\beta_t(i) = \\sum_j A_{ij}\\, b_j(x_{t+1})\\, \\beta_{t+1}(j)

    The probability of the future observations given state i sums over the next state j [1, eqs.
    24-25].
    """
    K = np.shape(log_A)[0]
    _, log_A, log_B = _check_log_inputs(np.zeros(K), log_A, log_B)
    # HINT: start from log_beta[T - 1] = 0 and run t backwards; the sum is over the next state j.
    raise NotImplementedError("backward: write this part of the exercise")


def posterior_marginals(
    log_alpha: np.ndarray, log_beta: np.ndarray, log_A: np.ndarray, log_B: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Combine forward and backward messages into the log-likelihood and the posterior marginals.

    Parameters
    ----------
    log_alpha, log_beta : ndarray, shape (T, K)
        Forward and backward log-messages from `forward` and `backward`.
    log_A : ndarray, shape (K, K)
        Log transition matrix.
    log_B : ndarray, shape (T, K)
        Emission log-probabilities.

    Returns
    -------
    log_likelihood : float
        log p(x_1..x_T); -inf if the sequence is impossible under the model.
    gamma : ndarray, shape (T, K)
        Posterior state marginals; each row sums to one.
    xi : ndarray, shape (T - 1, K, K)
        Pairwise posterior marginals; each (K, K) slice sums to one.

    Raises
    ------
    ValueError
        If the log-likelihood is -inf, because the posteriors are then undefined.

    Notes
    -----
    .. math:: \\gamma_t(k) = \\frac{\\alpha_t(k)\\beta_t(k)}{p(x_{1:T})}, \\qquad
              \\xi_t(i,j) = \\frac{\\alpha_t(i) A_{ij}\\, b_j(x_{t+1})\\, \\beta_{t+1}(j)}{p(x_{1:T})}

    Both follow from splitting the joint probability of all observations at time t [1, eqs. 27 and 37].
    The code divides each time step by its own sum, which equals p(x_{1:T}) in exact arithmetic.
    """
    # HINT: the log-likelihood is logsumexp(log_alpha[-1]); normalise each time step in log space.
    raise NotImplementedError("posterior_marginals: write this part of the exercise")


def forward_backward(
    log_pi: np.ndarray, log_A: np.ndarray, log_B: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Compute the log-likelihood and posterior marginals with the step-by-step recursions.

    Parameters
    ----------
    log_pi : ndarray, shape (K,)
    log_A : ndarray, shape (K, K)
    log_B : ndarray, shape (T, K)

    Returns
    -------
    log_likelihood : float
    gamma : ndarray, shape (T, K)
    xi : ndarray, shape (T - 1, K, K)

    See Also
    --------
    forward_backward_chunked : the same quantities from a blocked scan, faster for long T.

    Notes
    -----
    .. math:: \\log p(x_{1:T}) = \\log \\sum_k \\alpha_T(k)

    This runs `forward`, `backward` and `posterior_marginals` in turn.
    """
    log_pi, log_A, log_B = _check_log_inputs(log_pi, log_A, log_B)
    log_alpha = forward(log_pi, log_A, log_B)
    log_beta = backward(log_A, log_B)
    return posterior_marginals(log_alpha, log_beta, log_A, log_B)


def _chunk_transfer_matrices(A: np.ndarray, b: np.ndarray, log_b_scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Multiply out A diag(b_s) over the L steps of every chunk, for all C chunks at once.

    Parameters
    ----------
    A : ndarray, shape (K, K)
    b : ndarray, shape (C, L, K)
        Emission probabilities divided by their per-step maximum.
    log_b_scale : ndarray, shape (C, L)
        The per-step maxima in log space.

    Returns
    -------
    R : ndarray, shape (C, K, K)
        Product of the chunk's matrices, divided by its largest entry.
    log_scale_R : ndarray, shape (C,)
        Log of the factor that restores the true product.
    """
    C, L, K = b.shape
    R = np.broadcast_to(np.eye(K), (C, K, K)).copy()
    log_scale_R = log_b_scale.sum(axis=1)  # (C,)
    for l in range(L):
        # One matrix product for all chunks: stack their rows, multiply by A, scale the columns by b.
        R = (R.reshape(C * K, K) @ A).reshape(C, K, K) * b[:, l, None, :]  # (C, K, K)

        # Products of non-negative matrices cannot cancel, so rescaling costs one rounding per entry.
        peak = R.max(axis=(1, 2))  # (C,)
        safe_peak = np.where(peak > 0, peak, 1.0)
        R = R / safe_peak[:, None, None]  # (C, K, K)
        log_scale_R = log_scale_R + _log(peak)
    return R, log_scale_R


def forward_backward_chunked(
    log_pi: np.ndarray, log_A: np.ndarray, log_B: np.ndarray, chunk_length: int | None = None
) -> tuple[float, np.ndarray, np.ndarray]:
    r"""Compute the same quantities as `forward_backward` with a blocked scan over chunks of time.

    Parameters
    ----------
    log_pi : ndarray, shape (K,)
    log_A : ndarray, shape (K, K)
    log_B : ndarray, shape (T, K)
    chunk_length : int, optional
        Steps per chunk, L. The default ceil(sqrt(T - 1)) makes the number of chunks C about
        equal to L, so the three passes below take about 3 sqrt(T) Python iterations in all.

    Returns
    -------
    log_likelihood : float
    gamma : ndarray, shape (T, K)
    xi : ndarray, shape (T - 1, K, K)

    Raises
    ------
    ValueError
        If the observations have probability zero under the model.

    Notes
    -----
    With :math:`M_t = A\,\mathrm{diag}(b(x_t))` the forward messages are prefix products and the
    backward messages suffix products of the same matrices:

    .. math:: \alpha_t^\top = \alpha_1^\top M_2 M_3 \cdots M_t, \qquad
              \beta_t = M_{t+1} \cdots M_T \mathbf 1 .

    Matrix products are associative, so the time axis can be cut into C chunks of L steps, as
    a parallel scan does. Pass 1 multiplies out the L matrices of every chunk, all chunks at
    once. Pass 2 is a short sequential loop over the C chunk products. It gives the forward
    message that enters each chunk and the backward message that leaves it. Pass 3 runs the
    recursions inside every chunk from those messages, again all chunks at once. Each step of passes (1) and (3) is one matrix
    product over all chunks, so Python loops over about 3 sqrt(T) steps instead of 2 T.
    Vectors and matrices are renormalised after every product and carry their log-scale, as in
    the scaled forward algorithm [1, Sec. V.A], so nothing underflows. Pass (1) costs
    O(T K^3) arithmetic against O(T K^2) for the loop, so the loop wins for large K.
    """
    log_pi, log_A, log_B = _check_log_inputs(log_pi, log_A, log_B)
    T, K = log_B.shape
    A = np.exp(log_A)
    zero_probability = "the observations have probability zero under the model, so posteriors are undefined"

    # Emissions relative to their per-step maximum, so every factor is at most one.
    log_b_scale = log_B.max(axis=1)  # (T,)
    if np.any(np.isneginf(log_b_scale)):
        raise ValueError(zero_probability)
    b = np.exp(log_B - log_b_scale[:, None])  # (T, K)
    alpha_1 = np.exp(log_pi) * b[0]  # (K,)
    if not alpha_1.sum() > 0:
        raise ValueError(zero_probability)
    if T == 1:
        log_likelihood = float(np.log(alpha_1.sum()) + log_b_scale[0])
        return log_likelihood, (alpha_1 / alpha_1.sum())[None, :], np.zeros((0, K, K))

    # Steps 2..T, padded at the end with neutral steps (b = 1, scale 0) to C full chunks of L.
    # A neutral step multiplies beta by A, and A 1 = 1, so the padding leaves every message unchanged.
    n_steps = T - 1
    L = int(chunk_length) if chunk_length is not None else int(np.ceil(np.sqrt(n_steps)))
    if L < 1:
        raise ValueError(f"chunk_length: expected a positive integer, got {chunk_length!r}")
    C = -(-n_steps // L)
    n_pad = C * L - n_steps
    b_steps = np.concatenate([b[1:], np.ones((n_pad, K))]).reshape(C, L, K)  # (C, L, K)
    scale_steps = np.concatenate([log_b_scale[1:], np.zeros(n_pad)]).reshape(C, L)  # (C, L)

    # Pass 1: the product of each chunk's matrices.
    R, log_scale_R = _chunk_transfer_matrices(A, b_steps, scale_steps)

    # Pass 2, forward: the message entering chunk c is alpha at the step before its first step.
    alpha_in = np.empty((C, K))
    log_scale_alpha_in = np.empty(C)
    vector, log_scale = alpha_1 / alpha_1.max(), np.log(alpha_1.max()) + log_b_scale[0]
    for c in range(C):
        alpha_in[c], log_scale_alpha_in[c] = vector, log_scale
        vector = vector @ R[c]  # (K,)
        peak = vector.max()
        if not peak > 0:
            raise ValueError(zero_probability)
        vector, log_scale = vector / peak, log_scale + np.log(peak) + log_scale_R[c]

    # Pass 2, backward: the message leaving chunk c is beta at its last step (ones after the end).
    beta_out = np.empty((C, K))
    vector = np.ones(K)
    for c in range(C - 1, -1, -1):
        beta_out[c] = vector
        vector = R[c] @ vector  # (K,)
        vector = vector / vector.max()
    beta_1 = vector

    # Pass 3: every chunk runs the recursions from its boundary messages, all chunks at once.
    # Forward messages are renormalised to a maximum of one and backward ones likewise, because
    # gamma and xi are normalised per step at the end, so per-step scales cancel.
    alpha_steps = np.empty((C, L, K))
    log_scale_alpha_steps = np.empty((C, L))
    vector = alpha_in  # (C, K)
    log_scale = log_scale_alpha_in  # (C,)
    for l in range(L):
        vector = (vector @ A) * b_steps[:, l]  # (C, K)
        peak = vector.max(axis=1)  # (C,)
        safe_peak = np.where(peak > 0, peak, 1.0)
        vector = vector / safe_peak[:, None]
        log_scale = log_scale + _log(peak) + scale_steps[:, l]
        alpha_steps[:, l] = vector
        log_scale_alpha_steps[:, l] = log_scale

    beta_steps = np.empty((C, L, K))
    vector = beta_out  # (C, K)
    for l in range(L - 1, -1, -1):
        beta_steps[:, l] = vector
        vector = (vector * b_steps[:, l]) @ A.T  # (C, K)
        vector = vector / vector.max(axis=1, keepdims=True)

    alpha = np.concatenate([(alpha_1 / alpha_1.max())[None, :], alpha_steps.reshape(C * L, K)[:n_steps]])  # (T, K)
    beta = np.concatenate([beta_1[None, :], beta_steps.reshape(C * L, K)[:n_steps]])  # (T, K)

    # The log-likelihood comes from the last real step, not from the padding after it.
    log_likelihood = float(np.log(alpha[-1].sum()) + log_scale_alpha_steps.reshape(C * L)[n_steps - 1])
    if not np.isfinite(log_likelihood):
        raise ValueError(zero_probability)

    # Posterior marginals: normalising each time step removes all scale factors at once.
    gamma = alpha * beta  # (T, K)
    gamma = gamma / gamma.sum(axis=1, keepdims=True)

    # xi_t is proportional to alpha_t(i) A_ij b_{t+1}(j) beta_{t+1}(j); its normaliser alpha_t^T A (b beta)_{t+1}
    # costs O(K^2) per step, so the (T - 1, K, K) array is written only twice.
    emitted_beta = b[1:] * beta[1:]  # (T - 1, K)
    normaliser = np.sum((alpha[:-1] @ A) * emitted_beta, axis=1)  # (T - 1,)
    xi = (alpha[:-1] / normaliser[:, None])[:, :, None] * A[None, :, :]  # (T - 1, K, K)
    xi *= emitted_beta[:, None, :]  # (T - 1, K, K)
    return log_likelihood, gamma, xi


def viterbi(log_pi: np.ndarray, log_A: np.ndarray, log_B: np.ndarray) -> tuple[np.ndarray, float]:
    """Find the most probable state sequence given the observations.

    Parameters
    ----------
    log_pi : ndarray, shape (K,)
    log_A : ndarray, shape (K, K)
    log_B : ndarray, shape (T, K)

    Returns
    -------
    z : ndarray of int, shape (T,)
        The most probable path; ties go to the lowest state index.
    log_joint : float
        log p(z, x_1..x_T) of that path.

    Notes
    -----
    .. math:: \\delta_1(k) = \\log\\pi_k + \\log b_k(x_1), \\qquad
              \\delta_{t+1}(j) = \\max_i\\, [\\delta_t(i) + \\log A_{ij}] + \\log b_j(x_{t+1})

    The forward recursion with the sum replaced by a maximum; back-pointers record the maximising
    i so the best path can be read backwards from the best final state [1, eqs. 32-35].
    """
    log_pi, log_A, log_B = _check_log_inputs(log_pi, log_A, log_B)
    # HINT: keep delta (T, K) and an integer back-pointer array; then backtrack from argmax of delta[-1].
    raise NotImplementedError("viterbi: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


def sample_states(pi: np.ndarray, A: np.ndarray, T: int, rng: np.random.Generator) -> np.ndarray:
    """Draw a hidden state sequence from the Markov chain (pi, A).

    Parameters
    ----------
    pi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
    T : int
        Number of time steps, at least 1.
    rng : numpy.random.Generator

    Returns
    -------
    z : ndarray of int, shape (T,)
    """
    pi = np.asarray(pi, dtype=float)
    A = np.asarray(A, dtype=float)
    if int(T) != T or T < 1:
        raise ValueError(f"T: expected a positive integer, got {T!r}")
    K = pi.shape[0]

    # Inverse-CDF sampling with one uniform per step; the cumulative rows are computed once.
    cumulative_A = np.cumsum(A, axis=1)  # (K, K)
    uniforms = rng.random(int(T))
    z = np.empty(int(T), dtype=int)
    z[0] = min(int(np.searchsorted(np.cumsum(pi), uniforms[0], side="right")), K - 1)
    for t in range(1, int(T)):
        z[t] = min(int(np.searchsorted(cumulative_A[z[t - 1]], uniforms[t], side="right")), K - 1)
    return z


# ---------------------------------------------------------------------------------------------
# M-step updates
# ---------------------------------------------------------------------------------------------


def m_step_markov_chain(
    gammas: list[np.ndarray], xis: list[np.ndarray], A_old: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Re-estimate the initial distribution and the transition matrix from posterior marginals.

    Parameters
    ----------
    gammas : list of N ndarrays, shapes (T_n, K)
        Posterior state marginals of each sequence.
    xis : list of N ndarrays, shapes (T_n - 1, K, K)
        Pairwise posterior marginals of each sequence.
    A_old : ndarray, shape (K, K)
        Current transition matrix. A state that is never left in the posterior (zero expected
        outgoing transitions) keeps its old row, because the data contain no information about it.

    Returns
    -------
    pi : ndarray, shape (K,)
    A : ndarray, shape (K, K)

    Notes
    -----
    .. math:: \\pi_k = \\frac1N \\sum_n \\gamma^{(n)}_1(k), \\qquad
              A_{ij} = \\frac{\\sum_n \\sum_t \\xi^{(n)}_t(i,j)}{\\sum_n \\sum_t \\sum_{j'} \\xi^{(n)}_t(i,j')}

    Expected counts of starts and of transitions, normalised [1, eqs. 40a-40b].
    """
    # HINT: pi averages the first posterior of each sequence; A normalises the expected transition counts by row.
    raise NotImplementedError("m_step_markov_chain: write this part of the exercise")


def m_step_categorical(
    sequences: list[np.ndarray], gammas: list[np.ndarray], B_old: np.ndarray
) -> np.ndarray:
    """Re-estimate categorical emission probabilities from posterior marginals.

    Parameters
    ----------
    sequences : list of N integer ndarrays, shapes (T_n,)
    gammas : list of N ndarrays, shapes (T_n, K)
    B_old : ndarray, shape (K, M)
        Current emission matrix; a state with zero posterior weight keeps its old row.

    Returns
    -------
    B : ndarray, shape (K, M)

    Notes
    -----
    .. math:: B_{km} = \\frac{\\sum_n \\sum_t \\gamma^{(n)}_t(k)\\, [x^{(n)}_t = m]}{\\sum_n \\sum_t \\gamma^{(n)}_t(k)}

    The expected number of times state k emits symbol m over the expected time spent in k [1, eq. 40c].
    """
    K, M = B_old.shape
    # HINT: np.add.at (or a one-hot matrix) accumulates gamma rows into the column of the observed symbol.
    raise NotImplementedError("m_step_categorical: write this part of the exercise")


def m_step_gaussian(
    sequences: list[np.ndarray],
    gammas: list[np.ndarray],
    mu_old: np.ndarray,
    Sigma_old: np.ndarray,
    covariance_floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Re-estimate Gaussian means and covariances, with every covariance eigenvalue kept at or above a floor.

    Parameters
    ----------
    sequences : list of N ndarrays, shapes (T_n, D)
    gammas : list of N ndarrays, shapes (T_n, K)
    mu_old : ndarray, shape (K, D)
    Sigma_old : ndarray, shape (K, D, D)
        Current parameters; a state with zero posterior weight keeps them.
    covariance_floor : float
        Smallest allowed eigenvalue of each covariance (a variance, in squared data units).

    Returns
    -------
    mu : ndarray, shape (K, D)
    Sigma : ndarray, shape (K, D, D)

    Notes
    -----
    .. math:: \\mu_k = \\frac{\\sum_t \\gamma_t(k)\\, x_t}{\\sum_t \\gamma_t(k)}, \\qquad
              S_k = \\frac{\\sum_t \\gamma_t(k) (x_t - \\mu_k)(x_t - \\mu_k)^\\top}{\\sum_t \\gamma_t(k)}, \\qquad
              \\Sigma_k = V \\max(\\Lambda, c)\\, V^\\top

    where :math:`S_k = V \\Lambda V^\\top` and c is the floor. Weighted means and covariances are
    the unconstrained maximisers [3]. Raising the eigenvalues of S_k that lie below c gives the
    maximiser of the expected log-likelihood over covariances whose eigenvalues are at least c, so
    EM still never decreases the likelihood. Without the floor a state that sits on a single
    repeated value gets a zero variance and an infinite likelihood.
    """
    K, D = mu_old.shape
    # HINT: accumulate the weight, the weighted sum and the weighted outer products over all sequences first.
    raise NotImplementedError("m_step_gaussian: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


class _HMMBase:
    """Shared inference methods; subclasses hold pi, A and the emission parameters and supply `log_emissions`."""

    pi: np.ndarray
    A: np.ndarray

    @property
    def n_states(self) -> int:
        return self.pi.shape[0]

    def log_emissions(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def log_likelihood(self, X: np.ndarray, method: str = "loop") -> float:
        """Return log p(X) for one sequence, X of shape (T,) or (T, D)."""
        return self.posteriors(X, method=method)[0]

    def posteriors(self, X: np.ndarray, method: str = "loop") -> tuple[float, np.ndarray, np.ndarray]:
        """Run forward-backward on one sequence and return (log_likelihood, gamma (T, K), xi (T - 1, K, K)).

        `method` is "loop" for the step-by-step recursions or "chunked" for the blocked scan.
        """
        return _inference(method)(_log(self.pi), _log(self.A), self.log_emissions(X))

    def viterbi(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        """Return the most probable state path (T,) and its log joint probability."""
        return viterbi(_log(self.pi), _log(self.A), self.log_emissions(X))


@dataclass(frozen=True, eq=False)
class CategoricalHMM(_HMMBase):
    """An HMM whose states emit symbols 0..M-1.

    Attributes
    ----------
    pi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
    B : ndarray, shape (K, M)

    The constructor stores float copies, so later changes to the caller's arrays do not reach the model.
    """

    pi: np.ndarray
    A: np.ndarray
    B: np.ndarray

    def __post_init__(self) -> None:
        B = np.asarray(self.B, dtype=float)
        if B.ndim != 2:
            raise ValueError(f"B: expected shape (K, M), got {B.shape}")
        K = B.shape[0]
        object.__setattr__(self, "pi", _check_stochastic(self.pi, "pi", (K,)))
        object.__setattr__(self, "A", _check_stochastic(self.A, "A", (K, K)))
        object.__setattr__(self, "B", _check_stochastic(B, "B", B.shape))

    def log_emissions(self, X: np.ndarray) -> np.ndarray:
        """Return log p(x_t | z_t = k), shape (T, K), for a (T,) integer sequence."""
        return log_categorical_emissions(X, self.B)

    def sample(self, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw hidden states z (T,) and symbols x (T,)."""
        z = sample_states(self.pi, self.A, T, rng)
        cumulative_B = np.cumsum(self.B, axis=1)  # (K, M)
        uniforms = rng.random(len(z))
        x = (uniforms[:, None] >= cumulative_B[z]).sum(axis=1)  # (T,)
        return z, np.minimum(x, self.B.shape[1] - 1)


@dataclass(frozen=True, eq=False)
class GaussianHMM(_HMMBase):
    """An HMM whose states emit Gaussian vectors with full covariance.

    Attributes
    ----------
    pi : ndarray, shape (K,)
    A : ndarray, shape (K, K)
    mu : ndarray, shape (K, D)
    Sigma : ndarray, shape (K, D, D)

    For 1-D data pass mu of shape (K, 1) and Sigma of shape (K, 1, 1); sequences may then be (T,).
    """

    pi: np.ndarray
    A: np.ndarray
    mu: np.ndarray
    Sigma: np.ndarray

    def __post_init__(self) -> None:
        mu = np.array(self.mu, dtype=float)
        if mu.ndim != 2:
            raise ValueError(f"mu: expected shape (K, D), got {mu.shape}")
        K, D = mu.shape
        Sigma = np.array(self.Sigma, dtype=float)
        if Sigma.shape != (K, D, D):
            raise ValueError(f"Sigma: expected shape ({K}, {D}, {D}), got {Sigma.shape}")
        if not np.allclose(Sigma, Sigma.transpose(0, 2, 1)):
            raise ValueError("Sigma: each covariance must be symmetric")
        object.__setattr__(self, "pi", _check_stochastic(self.pi, "pi", (K,)))
        object.__setattr__(self, "A", _check_stochastic(self.A, "A", (K, K)))
        object.__setattr__(self, "mu", mu)
        object.__setattr__(self, "Sigma", Sigma)

    def log_emissions(self, X: np.ndarray) -> np.ndarray:
        """Return log N(x_t; mu_k, Sigma_k), shape (T, K)."""
        return log_gaussian_emissions(X, self.mu, self.Sigma)

    def sample(self, T: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Draw hidden states z (T,) and observations X (T, D)."""
        z = sample_states(self.pi, self.A, T, rng)
        L = np.linalg.cholesky(self.Sigma)  # (K, D, D)
        noise = rng.standard_normal((len(z), self.mu.shape[1]))  # (T, D)
        X = self.mu[z] + np.einsum("tde,te->td", L[z], noise)  # (T, D)
        return z, X


def _inference(method: str):
    """Return the forward-backward implementation named by `method`."""
    if method == "loop":
        return forward_backward
    if method == "chunked":
        return forward_backward_chunked
    raise ValueError(f"method: expected 'loop' or 'chunked', got {method!r}")


# ---------------------------------------------------------------------------------------------
# Baum-Welch EM
# ---------------------------------------------------------------------------------------------


def fit_em(
    model: CategoricalHMM | GaussianHMM,
    sequences: list[np.ndarray],
    n_iter: int = 100,
    tol: float = 1e-6,
    covariance_floor: float = 1e-3,
    method: str = "loop",
) -> tuple[CategoricalHMM | GaussianHMM, list[float]]:
    """Fit all parameters by Baum-Welch EM, starting from `model`, over one or several sequences.

    Parameters
    ----------
    model : CategoricalHMM or GaussianHMM
        Starting parameters; the emission kind of the result is the same. Never changed.
    sequences : list of N ndarrays, shapes (T_n,) or (T_n, D)
        Independent sequences; a single ndarray is taken as one sequence.
    n_iter : int
        Maximum number of EM iterations (M-steps).
    tol : float
        Stop when an iteration raises the total log-likelihood by less than `tol`. Pass -inf to
        run all `n_iter` iterations.
    covariance_floor : float
        Smallest eigenvalue of each Gaussian covariance after an M-step; ignored for categorical emissions.
    method : str
        "loop" for the step-by-step forward-backward, "chunked" for the blocked scan.

    Returns
    -------
    fitted : same type as `model`
    log_likelihood_history : list of float
        Total log-likelihood of the starting model and after each M-step, so its length is the
        number of iterations run plus one.

    Notes
    -----
    .. math:: \\theta^{new} = \\arg\\max_\\theta \\sum_n \\mathbb E_{p(z^{(n)} \\mid x^{(n)}, \\theta^{old})}
              \\log p(x^{(n)}, z^{(n)} \\mid \\theta)

    Each iteration computes the posterior marginals under the current parameters (E-step) and
    maximises the expected complete-data log-likelihood (M-step), which never lowers the
    log-likelihood [1, Sec. III.C].
    """
    if isinstance(sequences, np.ndarray):
        sequences = [sequences]
    if len(sequences) == 0:
        raise ValueError("sequences: expected at least one sequence, got none")
    if int(n_iter) != n_iter or n_iter < 0:
        raise ValueError(f"n_iter: expected a non-negative integer, got {n_iter!r}")
    if not covariance_floor > 0:
        raise ValueError(f"covariance_floor: expected a positive variance, got {covariance_floor!r}")
    inference = _inference(method)
    if isinstance(model, GaussianHMM):
        D = model.mu.shape[1]
        sequences = [_as_gaussian_observations(X, D) for X in sequences]
    elif not isinstance(model, CategoricalHMM):
        raise TypeError(f"model: expected a CategoricalHMM or GaussianHMM, got {type(model).__name__}")

    def e_step(current):
        results = [inference(_log(current.pi), _log(current.A), current.log_emissions(X)) for X in sequences]
        return sum(r[0] for r in results), [r[1] for r in results], [r[2] for r in results]

    total, gammas, xis = e_step(model)
    history = [float(total)]
    for _ in range(int(n_iter)):
        pi, A = m_step_markov_chain(gammas, xis, model.A)
        if isinstance(model, GaussianHMM):
            mu, Sigma = m_step_gaussian(sequences, gammas, model.mu, model.Sigma, covariance_floor)
            model = GaussianHMM(pi=pi, A=A, mu=mu, Sigma=Sigma)
        else:
            model = CategoricalHMM(pi=pi, A=A, B=m_step_categorical(sequences, gammas, model.B))

        total, gammas, xis = e_step(model)
        history.append(float(total))
        if history[-1] - history[-2] < tol:
            break
    return model, history
