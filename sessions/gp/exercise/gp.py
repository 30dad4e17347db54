"""Exact Gaussian process regression with hyperparameters learned from the marginal likelihood.

A Gaussian process puts a prior on functions through a covariance function (kernel) k(x, x').
With Gaussian observation noise, the posterior over the latent function at new inputs is Gaussian
and available in closed form, and so is the marginal likelihood of the training targets. This
module computes both through one Cholesky factorisation of the N x N training covariance and
draws samples from the prior and the posterior. It fits the kernel's hyperparameters and the
noise variance by maximising the log marginal likelihood, using its analytic gradient and several
random restarts. Kernels are the squared exponential, the Matern 5/2 and the periodic kernel, and sums
and products of them. Every hyperparameter is handled on a log scale, which keeps it positive
during optimisation.

References
----------
[1] Rasmussen, C.E. and Williams, C.K.I. (2006). Gaussian Processes for Machine Learning.
    MIT Press. Algorithm 2.1 (prediction through a Cholesky factor), eq. 2.30 (log marginal
    likelihood), eq. 4.14 (Matern kernels), eq. 5.9 (gradient of the log marginal likelihood),
    Section 5.4.1 (multiple local optima).
[2] Gortler, J., Kehlbeck, R. and Deussen, O. (2019). A Visual Exploration of Gaussian
    Processes. Distill.

Notation
--------
N : number of training inputs
M : number of test inputs
D : input dimension
P : number of kernel log-hyperparameters
S : number of function samples
X : (N, D) training inputs; X_star : (M, D) test inputs
y : (N,) training targets
theta : (P,) kernel log-hyperparameters, e.g. [log sigma_f^2, log ell] for the squared exponential
sigma_n^2 : noise variance; the optimiser works with log sigma_n^2
K : (N, N) kernel matrix k(X, X); K_y = K + sigma_n^2 I
K_star : (N, M) cross-covariance k(X, X_star)
L : (N, N) lower Cholesky factor of K_y
alpha : (N,) K_y^{-1} y
r : Euclidean distance between two inputs
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize
from scipy.linalg import lapack

LOG_2PI = float(np.log(2.0 * np.pi))

# Jitter starts at this fraction of the mean diagonal and grows tenfold per failed attempt.
JITTER_START = 1e-10
JITTER_MAX = 1e-2


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _as_inputs(X: np.ndarray, name: str) -> np.ndarray:
    """Return `X` as a float (N, D) array; a 1-D array is read as N inputs of dimension 1."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]  # (N, 1)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 1-D or 2-D array of inputs, got an array with shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one input, got shape {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


def _as_targets(y: np.ndarray, n_inputs: int) -> np.ndarray:
    """Return `y` as a float (N,) array after checking that it matches the inputs."""
    y = np.asarray(y, dtype=float)
    if y.shape != (n_inputs,):
        raise ValueError(f"y must have shape ({n_inputs},) to match X, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or infinite values")
    return y


def _check_noise_variance(noise_variance: float) -> float:
    noise_variance = float(noise_variance)
    if not np.isfinite(noise_variance) or noise_variance < 0:
        raise ValueError(f"noise_variance must be a finite number >= 0, got {noise_variance}")
    return noise_variance


def _squared_distances(X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
    """Return the (N, M) matrix of squared Euclidean distances, exactly zero for equal inputs."""
    # Differences rather than |a|^2 + |b|^2 - 2ab, which cancels badly for nearby inputs.
    differences = X1[:, None, :] - X2[None, :, :]  # (N, M, D)
    return np.einsum("nmd,nmd->nm", differences, differences)  # (N, M)


def cholesky_with_jitter(A: np.ndarray) -> tuple[np.ndarray, float]:
    """Factorise a symmetric matrix, adding diagonal jitter only if the plain factorisation fails.

    Parameters
    ----------
    A : ndarray, shape (N, N)
        Symmetric positive semi-definite matrix. It is not changed.

    Returns
    -------
    L : ndarray, shape (N, N)
        Lower Cholesky factor of ``A + jitter * I``.
    jitter : float
        The value added to the diagonal, 0.0 when none was needed.

    Warns
    -----
    RuntimeWarning
        When jitter was added, with its size. Duplicate inputs with zero noise, for example,
        make the kernel matrix singular.

    Raises
    ------
    numpy.linalg.LinAlgError
        If the matrix is still not positive definite with a jitter of ``JITTER_MAX`` times its
        mean diagonal.

    Notes
    -----
    The jitter starts at :math:`10^{-10}\\,\\bar a` with :math:`\\bar a` the mean diagonal entry
    and grows tenfold per attempt, so it stays as small as the matrix allows.
    """
    try:
        return linalg.cholesky(A, lower=True, check_finite=False), 0.0
    except linalg.LinAlgError:
        pass

    scale = float(np.mean(np.diag(A)))
    scale = scale if scale > 0 else 1.0
    jitter = JITTER_START * scale
    identity = np.eye(A.shape[0])
    while jitter <= JITTER_MAX * scale:
        try:
            L = linalg.cholesky(A + jitter * identity, lower=True, check_finite=False)
        except linalg.LinAlgError:
            jitter *= 10.0
            continue
        warnings.warn(
            f"kernel matrix is not positive definite; added jitter {jitter:.1e} to its diagonal "
            f"({jitter / scale:.0e} times the mean diagonal) to factorise it",
            RuntimeWarning,
            stacklevel=2,
        )
        return L, jitter
    raise np.linalg.LinAlgError(
        f"Cholesky factorisation failed even with jitter {JITTER_MAX * scale:.1e} on the diagonal; "
        "check the kernel hyperparameters and the noise variance"
    )


# ---------------------------------------------------------------------------------------------
# Kernels
# ---------------------------------------------------------------------------------------------


class Kernel:
    """Covariance function with log-hyperparameters passed in as an array, never stored.

    A kernel object only describes the structure (which kernels, summed or multiplied). The
    values live in a (P,) array `theta` of log-hyperparameters, so every method is a pure
    function of its arguments. Kernels combine with ``+`` and ``*``.
    """

    param_names: tuple[str, ...] = ()

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    def __add__(self, other: Kernel) -> Sum:
        return Sum(self, other)

    def __mul__(self, other: Kernel) -> Product:
        return Product(self, other)

    def check_theta(self, theta: np.ndarray) -> np.ndarray:
        """Return `theta` as a float (P,) array, raising ValueError if its length is wrong or it is not finite."""
        theta = np.asarray(theta, dtype=float)
        if theta.shape != (self.n_params,):
            raise ValueError(
                f"theta must have shape ({self.n_params},) for {self!r} with log-hyperparameters "
                f"{list(self.param_names)}, got shape {theta.shape}"
            )
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"theta must be finite, got {theta}")
        return theta

    def __call__(self, theta: np.ndarray, X1: np.ndarray, X2: np.ndarray | None = None) -> np.ndarray:
        """Evaluate the kernel matrix.

        Parameters
        ----------
        theta : ndarray, shape (P,)
            Log-hyperparameters.
        X1 : ndarray, shape (N, D)
        X2 : ndarray, shape (M, D), optional
            Defaults to `X1`.

        Returns
        -------
        ndarray, shape (N, M)
        """
        theta = self.check_theta(theta)
        X1 = _as_inputs(X1, "X1")
        X2 = X1 if X2 is None else _as_inputs(X2, "X2")
        if X1.shape[1] != X2.shape[1]:
            raise ValueError(f"X1 and X2 must have the same input dimension, got {X1.shape[1]} and {X2.shape[1]}")
        return self._matrix(theta, X1, X2)

    def diag(self, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Return the (N,) diagonal k(x_n, x_n) without forming the N x N matrix."""
        theta = self.check_theta(theta)
        X = _as_inputs(X, "X")
        return self._diag(theta, X)

    def matrix_and_gradient(self, theta: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate k(X, X) and its derivatives with respect to each log-hyperparameter.

        Parameters
        ----------
        theta : ndarray, shape (P,)
        X : ndarray, shape (N, D)

        Returns
        -------
        K : ndarray, shape (N, N)
        dK : ndarray, shape (P, N, N)
            ``dK[p] = dK / dtheta[p]``, each slice symmetric.
        """
        theta = self.check_theta(theta)
        X = _as_inputs(X, "X")
        return self._matrix_and_gradient(theta, X)

    def _matrix(self, theta, X1, X2):
        raise NotImplementedError

    def _diag(self, theta, X):
        raise NotImplementedError

    def _matrix_and_gradient(self, theta, X):
        raise NotImplementedError


class SquaredExponential(Kernel):
    """Squared exponential (RBF) kernel with theta = [log sigma_f^2, log ell].

    Notes
    -----
    .. math:: k(r) = \\sigma_f^2 \\exp\\left(-\\frac{r^2}{2\\ell^2}\\right)

    Sample functions are infinitely differentiable, which is often smoother than real data.
    """

    param_names = ("log_variance", "log_length_scale")

    def __repr__(self) -> str:
        return "SquaredExponential()"

    def _matrix(self, theta, X1, X2):
        raise NotImplementedError("_matrix: write this part of the exercise")

    def _diag(self, theta, X):
        return np.full(X.shape[0], np.exp(theta[0]))

    def _matrix_and_gradient(self, theta, X):
        # HINT: d/d(log ell) of exp(-r^2 / (2 ell^2)) brings down a factor r^2 / ell^2.
        raise NotImplementedError("_matrix_and_gradient: write this part of the exercise")


class Matern52(Kernel):
    """Matern kernel with smoothness 5/2 and theta = [log sigma_f^2, log ell].

    Notes
    -----
    With :math:`s = \\sqrt{5}\\, r / \\ell`,

    .. math:: k(r) = \\sigma_f^2 \\left(1 + s + \\frac{s^2}{3}\\right) e^{-s}

    Sample functions are twice differentiable (eq. 4.17 of [1]).
    """

    param_names = ("log_variance", "log_length_scale")

    def __repr__(self) -> str:
        return "Matern52()"

    def _matrix(self, theta, X1, X2):
        raise NotImplementedError("_matrix: write this part of the exercise")

    def _diag(self, theta, X):
        return np.full(X.shape[0], np.exp(theta[0]))

    def _matrix_and_gradient(self, theta, X):
        # HINT: with s = sqrt(5) r / ell, ds/d(log ell) = -s and dk/ds = -sigma_f^2 s (1 + s) e^{-s} / 3.
        raise NotImplementedError("_matrix_and_gradient: write this part of the exercise")


class Periodic(Kernel):
    """Periodic (exp-sine-squared) kernel with theta = [log sigma_f^2, log ell, log period].

    Notes
    -----
    .. math:: k(r) = \\sigma_f^2 \\exp\\left(-\\frac{2 \\sin^2(\\pi r / p)}{\\ell^2}\\right)

    This is scikit-learn's ``ExpSineSquared`` scaled by :math:`\\sigma_f^2`. Every sample
    repeats exactly with period p, and the length scale sets how wiggly one period is.
    """

    param_names = ("log_variance", "log_length_scale", "log_period")

    def __repr__(self) -> str:
        return "Periodic()"

    def _matrix(self, theta, X1, X2):
        raise NotImplementedError("_matrix: write this part of the exercise")

    def _diag(self, theta, X):
        return np.full(X.shape[0], np.exp(theta[0]))

    def _matrix_and_gradient(self, theta, X):
        # HINT: with u = pi r / p, du/d(log p) = -u and d(sin^2 u)/du = sin(2u).
        raise NotImplementedError("_matrix_and_gradient: write this part of the exercise")


class _Combination(Kernel):
    """Two kernels whose log-hyperparameters are concatenated, the left kernel's first."""

    symbol = "?"

    def __init__(self, left: Kernel, right: Kernel):
        if not isinstance(left, Kernel) or not isinstance(right, Kernel):
            raise TypeError(f"both operands must be Kernel instances, got {type(left).__name__} and {type(right).__name__}")
        self.left = left
        self.right = right
        self.param_names = tuple(f"left.{n}" for n in left.param_names) + tuple(f"right.{n}" for n in right.param_names)

    def __repr__(self) -> str:
        return f"({self.left!r} {self.symbol} {self.right!r})"

    def _split(self, theta):
        return theta[: self.left.n_params], theta[self.left.n_params :]


class Sum(_Combination):
    """Sum of two kernels: k(x, x') = k_1(x, x') + k_2(x, x')."""

    symbol = "+"

    def _matrix(self, theta, X1, X2):
        theta_left, theta_right = self._split(theta)
        return self.left._matrix(theta_left, X1, X2) + self.right._matrix(theta_right, X1, X2)

    def _diag(self, theta, X):
        theta_left, theta_right = self._split(theta)
        return self.left._diag(theta_left, X) + self.right._diag(theta_right, X)

    def _matrix_and_gradient(self, theta, X):
        raise NotImplementedError("_matrix_and_gradient: write this part of the exercise")


class Product(_Combination):
    """Product of two kernels: k(x, x') = k_1(x, x') k_2(x, x').

    Notes
    -----
    By the product rule, :math:`\\partial (K_1 \\circ K_2) = (\\partial K_1) \\circ K_2` for the
    left kernel's hyperparameters and :math:`K_1 \\circ \\partial K_2` for the right kernel's.
    """

    symbol = "*"

    def _matrix(self, theta, X1, X2):
        theta_left, theta_right = self._split(theta)
        return self.left._matrix(theta_left, X1, X2) * self.right._matrix(theta_right, X1, X2)

    def _diag(self, theta, X):
        theta_left, theta_right = self._split(theta)
        return self.left._diag(theta_left, X) * self.right._diag(theta_right, X)

    def _matrix_and_gradient(self, theta, X):
        raise NotImplementedError("_matrix_and_gradient: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Exact GP regression
# ---------------------------------------------------------------------------------------------


def _inverse_from_cholesky(L: np.ndarray) -> np.ndarray:
    """Return the (N, N) inverse of L L^T from its lower Cholesky factor.

    The gradient of the log marginal likelihood needs the trace of K_y^{-1} dK, so the inverse is
    formed once here. LAPACK's potri builds it from the factor in about 2N^3/3 flops, a third of
    what solving against the identity costs.
    """
    inverse_lower, info = lapack.dpotri(L, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError(f"LAPACK dpotri failed with info={info}")
    # potri fills only the lower triangle; mirror it.
    return np.tril(inverse_lower) + np.tril(inverse_lower, -1).T


def _factorise(kernel: Kernel, theta: np.ndarray, noise_variance: float, X: np.ndarray, y: np.ndarray):
    """Return the Cholesky factor L of K_y = k(X, X) + sigma_n^2 I and alpha = K_y^{-1} y."""
    # HINT: factorise with cholesky_with_jitter, then two triangular solves give alpha.
    raise NotImplementedError("_factorise: write this part of the exercise")


def _predict_from_factor(kernel, theta, X, L, alpha, X_star, full_cov):
    """Posterior mean and variance (or covariance) of f(X_star) given a factorised K_y."""
    # HINT: with V = L^{-1} K_star, the variance reduction is the column-wise sum of V^2.
    raise NotImplementedError("_predict_from_factor: write this part of the exercise")


def posterior(
    kernel: Kernel,
    theta: np.ndarray,
    noise_variance: float,
    X: np.ndarray,
    y: np.ndarray,
    X_star: np.ndarray,
    full_cov: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the posterior mean and variance of the latent function at test inputs.

    Parameters
    ----------
    kernel : Kernel
    theta : ndarray, shape (P,)
        Kernel log-hyperparameters.
    noise_variance : float
        Observation noise variance sigma_n^2 >= 0.
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)
        Targets; the prior mean is zero, so centre them first if needed.
    X_star : ndarray, shape (M, D)
    full_cov : bool
        Return the (M, M) covariance instead of the (M,) variances.

    Returns
    -------
    mean : ndarray, shape (M,)
    variance_or_cov : ndarray, shape (M,) or (M, M)
        Variances of the latent f (add sigma_n^2 for a new noisy observation), clipped at zero.

    Notes
    -----
    Algorithm 2.1 of [1]:

    .. math::
        \\bar f_* = K_*^\\top (K + \\sigma_n^2 I)^{-1} y, \\qquad
        \\operatorname{cov}(f_*) = K_{**} - K_*^\\top (K + \\sigma_n^2 I)^{-1} K_*,

    both computed from :math:`L L^\\top = K + \\sigma_n^2 I` with triangular solves.
    """
    theta = kernel.check_theta(theta)
    noise_variance = _check_noise_variance(noise_variance)
    X = _as_inputs(X, "X")
    y = _as_targets(y, X.shape[0])
    X_star = _as_inputs(X_star, "X_star")
    if X_star.shape[1] != X.shape[1]:
        raise ValueError(f"X_star must have input dimension {X.shape[1]} like X, got {X_star.shape[1]}")

    L, alpha = _factorise(kernel, theta, noise_variance, X, y)
    return _predict_from_factor(kernel, theta, X, L, alpha, X_star, full_cov)


def log_marginal_likelihood(
    kernel: Kernel, theta: np.ndarray, noise_variance: float, X: np.ndarray, y: np.ndarray
) -> float:
    """Compute the log marginal likelihood log p(y | X, theta, sigma_n^2) of a zero-mean GP.

    Parameters
    ----------
    kernel : Kernel
    theta : ndarray, shape (P,)
    noise_variance : float
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)

    Returns
    -------
    float

    Notes
    -----
    Eq. 2.30 of [1], with :math:`\\log|K_y| = 2 \\sum_n \\log L_{nn}`:

    .. math::
        \\log p(y \\mid X) = -\\tfrac12 y^\\top K_y^{-1} y - \\tfrac12 \\log|K_y| - \\tfrac N2 \\log 2\\pi.

    The first term rewards fitting the data, the second penalises a flexible (large-volume) prior.
    """
    theta = kernel.check_theta(theta)
    noise_variance = _check_noise_variance(noise_variance)
    X = _as_inputs(X, "X")
    y = _as_targets(y, X.shape[0])

    L, alpha = _factorise(kernel, theta, noise_variance, X, y)
    raise NotImplementedError("log_marginal_likelihood: write this part of the exercise")


def log_marginal_likelihood_and_gradient(
    kernel: Kernel, theta: np.ndarray, noise_variance: float, X: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray]:
    """Compute the log marginal likelihood and its gradient in the log-hyperparameters.

    Parameters
    ----------
    kernel : Kernel
    theta : ndarray, shape (P,)
    noise_variance : float
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)

    Returns
    -------
    value : float
    gradient : ndarray, shape (P + 1,)
        Derivatives with respect to ``theta`` followed by the derivative with respect to
        :math:`\\log \\sigma_n^2`.

    Notes
    -----
    Eq. 5.9 of [1]: with :math:`\\alpha = K_y^{-1} y`,

    .. math::
        \\frac{\\partial}{\\partial \\theta_p} \\log p(y \\mid X)
        = \\tfrac12 \\operatorname{tr}\\left((\\alpha\\alpha^\\top - K_y^{-1})
          \\frac{\\partial K_y}{\\partial \\theta_p}\\right),

    and :math:`\\partial K_y / \\partial \\log\\sigma_n^2 = \\sigma_n^2 I`. The trace of a product
    of two symmetric matrices is the sum of their elementwise product, so no matrix product is
    formed. The cost is :math:`O(N^3)` for the factorisation and inverse plus :math:`O(P N^2)`.
    """
    theta = kernel.check_theta(theta)
    noise_variance = _check_noise_variance(noise_variance)
    X = _as_inputs(X, "X")
    y = _as_targets(y, X.shape[0])
    n_inputs = X.shape[0]

    # HINT: W = alpha alpha^T - K_y^{-1}; each gradient entry is half the sum of W * dK[p].
    raise NotImplementedError("log_marginal_likelihood_and_gradient: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------------


def _check_n_samples(n_samples: int) -> int:
    if int(n_samples) != n_samples or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples}")
    return int(n_samples)


def sample_prior(
    kernel: Kernel, theta: np.ndarray, X: np.ndarray, n_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Draw functions from the zero-mean GP prior at the given inputs.

    Parameters
    ----------
    kernel : Kernel
    theta : ndarray, shape (P,)
    X : ndarray, shape (N, D)
    n_samples : int
        S, the number of functions.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (S, N)

    Notes
    -----
    :math:`f = L z` with :math:`L L^\\top = K` and :math:`z \\sim \\mathcal N(0, I)`. Kernel
    matrices on a dense grid are close to singular, so jitter is added (with a warning) when the
    plain factorisation fails.
    """
    theta = kernel.check_theta(theta)
    X = _as_inputs(X, "X")
    n_samples = _check_n_samples(n_samples)

    raise NotImplementedError("sample_prior: write this part of the exercise")


def sample_posterior(
    kernel: Kernel,
    theta: np.ndarray,
    noise_variance: float,
    X: np.ndarray,
    y: np.ndarray,
    X_star: np.ndarray,
    n_samples: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw latent functions from the GP posterior at test inputs.

    Parameters
    ----------
    kernel : Kernel
    theta : ndarray, shape (P,)
    noise_variance : float
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)
    X_star : ndarray, shape (M, D)
    n_samples : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (S, M)

    Notes
    -----
    :math:`f_* = \\bar f_* + L_* z` with :math:`L_* L_*^\\top = \\operatorname{cov}(f_*)`.
    """
    n_samples = _check_n_samples(n_samples)
    mean, cov = posterior(kernel, theta, noise_variance, X, y, X_star, full_cov=True)

    raise NotImplementedError("sample_posterior: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Hyperparameter fitting
# ---------------------------------------------------------------------------------------------


@dataclass
class FitResult:
    """Best hyperparameters over all restarts, with one record per restart."""

    theta: np.ndarray
    noise_variance: float
    log_marginal_likelihood: float
    restarts: list[dict] = field(default_factory=list)


def default_bounds(kernel: Kernel, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return (P + 1, 2) bounds on the log-hyperparameters, scaled to the data.

    Variances range over 1e-3 to 1e3 times var(y), length scales over 1e-3 to 1e2 times the widest
    input range, periods over 1e-3 to 1 times that range, and the noise variance over 1e-6 to 10
    times var(y). The last row is for log sigma_n^2.
    """
    X = _as_inputs(X, "X")
    y = _as_targets(y, X.shape[0])
    target_variance = float(np.var(y)) if np.var(y) > 0 else 1.0
    span = float(np.max(np.ptp(X, axis=0)))
    span = span if span > 0 else 1.0

    rows = []
    for name in kernel.param_names:
        if name.endswith("log_variance"):
            rows.append([target_variance * 1e-3, target_variance * 1e3])
        elif name.endswith("log_length_scale"):
            rows.append([span * 1e-3, span * 1e2])
        elif name.endswith("log_period"):
            rows.append([span * 1e-3, span])
        else:
            raise ValueError(f"no default bounds for hyperparameter {name!r}; pass bounds explicitly")
    rows.append([target_variance * 1e-6, target_variance * 10.0])
    return np.log(np.array(rows))


def fit_hyperparameters(
    kernel: Kernel,
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    n_restarts: int = 5,
    bounds: np.ndarray | None = None,
    theta_init: np.ndarray | None = None,
    noise_variance_init: float | None = None,
) -> FitResult:
    """Maximise the log marginal likelihood over theta and log sigma_n^2 with random restarts.

    Parameters
    ----------
    kernel : Kernel
    X : ndarray, shape (N, D)
    y : ndarray, shape (N,)
    rng : numpy.random.Generator
        Draws the starting points of the restarts.
    n_restarts : int
        Number of starts drawn log-uniformly inside `bounds`, in addition to the initial point.
    bounds : ndarray, shape (P + 1, 2), optional
        Lower and upper bounds of the log-hyperparameters, noise last. Defaults to
        :func:`default_bounds`.
    theta_init, noise_variance_init : optional
        The first starting point; the centre of `bounds` when not given.

    Returns
    -------
    FitResult
        The restart with the highest log marginal likelihood, and a record of every restart.

    Notes
    -----
    L-BFGS-B with the analytic gradient of
    :func:`log_marginal_likelihood_and_gradient`. The objective can have several local maxima
    (Section 5.4.1 of [1]), so the best of several starts is kept. Restarts only make a better
    optimum likely, not certain.
    """
    X = _as_inputs(X, "X")
    y = _as_targets(y, X.shape[0])
    if int(n_restarts) != n_restarts or n_restarts < 0:
        raise ValueError(f"n_restarts must be a non-negative integer, got {n_restarts}")
    n_params = kernel.n_params + 1
    bounds = default_bounds(kernel, X, y) if bounds is None else np.asarray(bounds, dtype=float)
    if bounds.shape != (n_params, 2) or np.any(bounds[:, 0] > bounds[:, 1]):
        raise ValueError(f"bounds must have shape ({n_params}, 2) with lower <= upper in each row, got {bounds.tolist()}")

    # The first start is the user's point (or the centre of the box), the others are random.
    first = bounds.mean(axis=1)
    if theta_init is not None:
        first[:-1] = kernel.check_theta(theta_init)
    if noise_variance_init is not None:
        first[-1] = np.log(_check_noise_variance(noise_variance_init))
    first = np.clip(first, bounds[:, 0], bounds[:, 1])
    random_starts = rng.uniform(bounds[:, 0], bounds[:, 1], size=(int(n_restarts), n_params))  # (R, P + 1)
    starts = np.vstack([first, random_starts])  # (R + 1, P + 1)

    # HINT: minimise the negative value and negative gradient; the last coordinate is log sigma_n^2.
    raise NotImplementedError("fit_hyperparameters: write this part of the exercise")
    return FitResult(
        theta=np.array(best["theta"]),
        noise_variance=best["noise_variance"],
        log_marginal_likelihood=best["log_marginal_likelihood"],
        restarts=restarts,
    )


# ---------------------------------------------------------------------------------------------
# Thin regressor class
# ---------------------------------------------------------------------------------------------


class GPRegressor:
    """GP regressor with a constant mean equal to the training targets' average.

    The constructor's hyperparameters are the starting point of every `fit`, so calling `fit`
    twice gives the same result. `predict` never fits.

    Parameters
    ----------
    kernel : Kernel
    theta : ndarray, shape (P,)
        Initial kernel log-hyperparameters.
    noise_variance : float
        Initial noise variance.
    """

    def __init__(self, kernel: Kernel, theta: np.ndarray, noise_variance: float):
        self.kernel = kernel
        self.theta_init = kernel.check_theta(theta).copy()
        self.noise_variance_init = _check_noise_variance(noise_variance)
        self.theta = self.theta_init.copy()
        self.noise_variance = self.noise_variance_init
        self._X = None

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        rng: np.random.Generator | None = None,
        n_restarts: int = 5,
        bounds: np.ndarray | None = None,
        optimise: bool = True,
    ) -> FitResult | None:
        """Condition on (X, y), first fitting the hyperparameters unless `optimise` is False.

        Returns the :class:`FitResult` of the optimisation, or None when `optimise` is False.
        `rng` is required when optimising.
        """
        X = _as_inputs(X, "X")
        y = _as_targets(y, X.shape[0])
        self.y_mean = float(np.mean(y))
        centred = y - self.y_mean

        result = None
        if optimise:
            if rng is None:
                raise ValueError("rng must be a numpy.random.Generator when optimise is True")
            result = fit_hyperparameters(
                self.kernel,
                X,
                centred,
                rng,
                n_restarts=n_restarts,
                bounds=bounds,
                theta_init=self.theta_init,
                noise_variance_init=max(self.noise_variance_init, 1e-300),
            )
            self.theta, self.noise_variance = result.theta, result.noise_variance
        else:
            self.theta, self.noise_variance = self.theta_init.copy(), self.noise_variance_init

        self._X = X
        self._L, self._alpha = _factorise(self.kernel, self.theta, self.noise_variance, X, centred)
        self.log_marginal_likelihood_value = log_marginal_likelihood(self.kernel, self.theta, self.noise_variance, X, centred)
        return result

    def _check_fitted(self, X_star: np.ndarray) -> np.ndarray:
        if self._X is None:
            raise ValueError("the regressor is not fitted yet; call fit(X, y) first")
        X_star = _as_inputs(X_star, "X_star")
        if X_star.shape[1] != self._X.shape[1]:
            raise ValueError(f"X_star must have input dimension {self._X.shape[1]}, got {X_star.shape[1]}")
        return X_star

    def predict(self, X_star: np.ndarray, full_cov: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Return the posterior mean (M,) and variance (M,) or covariance (M, M) of the latent f."""
        X_star = self._check_fitted(X_star)
        mean, spread = _predict_from_factor(self.kernel, self.theta, self._X, self._L, self._alpha, X_star, full_cov)
        return mean + self.y_mean, spread

    def sample_posterior(self, X_star: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Draw (S, M) latent functions from the posterior at `X_star`."""
        n_samples = _check_n_samples(n_samples)
        mean, cov = self.predict(X_star, full_cov=True)
        L_star, _ = cholesky_with_jitter(cov)
        z = rng.standard_normal((len(mean), n_samples))  # (M, S)
        return mean[None, :] + (L_star @ z).T  # (S, M)
