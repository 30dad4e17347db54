"""Black-box variational inference with a mean-field Gaussian, and the models it is applied to.

Black-box variational inference (BBVI) fits an approximation q(z) = N(z | mu, diag(sigma^2)) to a
posterior p(z | data) by stochastic gradient ascent on the evidence lower bound (ELBO). It needs only
the log joint density log p(z, data) and, for the reparameterisation estimator, its gradient in z.
This module gives two unbiased Monte Carlo estimators of the ELBO gradient: reparameterisation [3]
and score function with a control variate [2]. An Adam optimiser with iterate averaging fits q with
either of them. Four log joints come with hand-derived gradients: conjugate Bayesian linear
regression (whose exact posterior is known), a Gaussian target with a given precision matrix,
Bayesian logistic regression, and a one-hidden-layer ReLU or tanh network for regression (a
Bayesian neural network, BNN [3, 4]). Posterior predictives are estimated by sampling weights from q.

References
----------
[1] Blei, Kucukelbir & McAuliffe (2017), Variational Inference: A Review for Statisticians, JASA.
    https://arxiv.org/abs/1601.00670
[2] Ranganath, Gerrish & Blei (2014), Black Box Variational Inference, AISTATS.
    https://arxiv.org/abs/1401.0118
[3] Blundell, Cornebise, Kavukcuoglu & Wierstra (2015), Weight Uncertainty in Neural Networks, ICML.
    https://arxiv.org/abs/1505.05424
[4] Jospin, Buntine, Boussaid, Laga & Bennamoun (2020), Hands-on Bayesian Neural Networks -- a
    Tutorial for Deep Learning Users. https://arxiv.org/abs/2007.06823

Notation
--------
D         number of latent variables (regression coefficients or network weights)
S         number of Monte Carlo samples drawn from q
N         number of data points
P         number of input features
H         number of hidden units of the network
z, Z      one latent vector (D,), or S of them stacked (S, D)
mu        variational means (D,)
log_sigma variational log standard deviations (D,); sigma = exp(log_sigma)
eps       standard normal noise (S, D); z = mu + sigma * eps
X, y      inputs (N, P) and targets (N,)
m, Lambda mean (D,) and precision matrix (D, D) of a Gaussian target
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit

LOG_2PI = np.log(2.0 * np.pi)

# A log joint maps Z (S, D) to (log p(Z_s, data) for each s (S,), its gradient in Z (S, D)).
LogJoint = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------


def _as_samples(Z: np.ndarray, D: int, name: str = "Z") -> np.ndarray:
    """Return Z as a float array of shape (S, D), accepting a single vector (D,) as S = 1."""
    Z = np.asarray(Z, dtype=float)
    if Z.ndim == 1:
        Z = Z[None, :]  # (1, D)
    if Z.ndim != 2 or Z.shape[1] != D:
        raise ValueError(f"{name}: expected shape (S, {D}) or ({D},), got {np.shape(Z)}")
    return Z


def _check_variational(mu: np.ndarray, log_sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return mu and log_sigma as float vectors of equal length, or raise ValueError."""
    mu = np.asarray(mu, dtype=float)
    log_sigma = np.asarray(log_sigma, dtype=float)
    if mu.ndim != 1:
        raise ValueError(f"mu: expected a vector (D,), got shape {mu.shape}")
    if log_sigma.shape != mu.shape:
        raise ValueError(f"log_sigma: expected shape {mu.shape} like mu, got {log_sigma.shape}")
    return mu, log_sigma


def _check_positive(value: float, name: str) -> float:
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name}: expected a positive number, got {value!r}")
    return float(value)


def gaussian_entropy(log_sigma: np.ndarray) -> float:
    """Compute the entropy of N(mu, diag(sigma^2)) in nats.

    Parameters
    ----------
    log_sigma : ndarray, shape (D,)

    Returns
    -------
    float

    Notes
    -----
    $$\\mathbb{H}[q] = \\sum_d \\log\\sigma_d + \\tfrac{D}{2}(1 + \\log 2\\pi)$$
    It does not depend on the mean, and its gradient in each log_sigma_d is exactly 1.
    """
    log_sigma = np.asarray(log_sigma, dtype=float)
    return float(np.sum(log_sigma) + 0.5 * log_sigma.size * (1.0 + LOG_2PI))


def sample_q(mu: np.ndarray, log_sigma: np.ndarray, n_samples: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw samples from the mean-field Gaussian q by reparameterisation.

    Parameters
    ----------
    mu, log_sigma : ndarray, shape (D,)
    n_samples : int
        S, the number of draws.
    rng : numpy.random.Generator

    Returns
    -------
    Z : ndarray, shape (S, D)
    eps : ndarray, shape (S, D)
        The standard normal noise with Z = mu + exp(log_sigma) * eps.
    """
    mu, log_sigma = _check_variational(mu, log_sigma)
    if n_samples < 1:
        raise ValueError(f"n_samples: expected a positive integer, got {n_samples!r}")
    eps = rng.standard_normal((n_samples, mu.size))
    Z = mu + np.exp(log_sigma) * eps  # (S, D) by broadcasting the (D,) parameters
    return Z, eps


# ---------------------------------------------------------------------------------------------
# ELBO gradient estimators
# ---------------------------------------------------------------------------------------------


def reparam_elbo_grad(log_joint: LogJoint, mu: np.ndarray, log_sigma: np.ndarray, eps: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Estimate the ELBO and its gradient with the reparameterisation trick, for given noise.

    Parameters
    ----------
    log_joint : callable
        Maps Z (S, D) to log p(Z_s, data) (S,) and its gradient in Z (S, D).
    mu, log_sigma : ndarray, shape (D,)
    eps : ndarray, shape (S, D)
        Standard normal noise. For fixed eps the estimate is a smooth function of (mu, log_sigma),
        and the returned gradients are its exact derivatives.

    Returns
    -------
    elbo : float
        Monte Carlo average of log p(z_s, data) plus the exact entropy of q.
    grad_mu, grad_log_sigma : ndarray, shape (D,)

    Notes
    -----
    With $z_s = \\mu + \\sigma \\odot \\epsilon_s$ and $g_s = \\nabla_z \\log p(z_s, x)$,
    $$\\hat\\nabla_\\mu = \\frac1S \\sum_s g_s, \\qquad
      \\hat\\nabla_{\\log\\sigma} = \\frac1S \\sum_s g_s \\odot \\sigma \\odot \\epsilon_s + 1.$$
    The chain rule goes through the sample, so the estimator uses the slope of the log joint and
    usually has far lower variance than the score-function estimator.
    """
    mu, log_sigma = _check_variational(mu, log_sigma)
    eps = _as_samples(eps, mu.size, "eps")
    # HINT: push eps through z = mu + sigma * eps, then apply the chain rule to log p(z).
    raise NotImplementedError("reparam_elbo_grad: write this part of the exercise")


def control_variate_scale(f: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Compute the leave-one-out control-variate scale for the score-function estimator.

    Parameters
    ----------
    f : ndarray, shape (S,)
        The function whose expectation is differentiated, at each sample.
    h : ndarray, shape (S, K)
        The score (gradient of log q) at each sample, one column per variational parameter.

    Returns
    -------
    a : ndarray, shape (S, K)
        Row s is the variance-minimising scale estimated from every sample except s.

    Notes
    -----
    The best scale of the control variate $h$ is
    $$a_k^\\star = \\frac{\\operatorname{Cov}(f h_k, h_k)}{\\operatorname{Var}(h_k)}.$$
    Estimating it from the same samples as the gradient biases the estimator by a term of order 1/S.
    Leaving sample s out makes a independent of z_s, and since E[h] = 0 the estimator stays unbiased. It needs S >= 3 so that each leave-one-out variance uses at least two samples.
    """
    f = np.asarray(f, dtype=float)
    h = np.asarray(h, dtype=float)
    S = f.shape[0]
    if S < 3:
        raise ValueError(f"f: the leave-one-out control variate needs at least 3 samples, got {S}")
    # HINT: compute the sums over all samples once, then subtract sample s from each sum.
    raise NotImplementedError("control_variate_scale: write this part of the exercise")


def score_elbo_grad(
    log_joint: LogJoint, mu: np.ndarray, log_sigma: np.ndarray, eps: np.ndarray, control_variate: bool = True
) -> tuple[float, np.ndarray, np.ndarray]:
    """Estimate the ELBO and its gradient with the score-function (REINFORCE) estimator, for given noise.

    Only the values of the log joint are used, never its gradient, so this estimator also works for
    discrete or non-differentiable models.

    Parameters
    ----------
    log_joint : callable
        Maps Z (S, D) to log p(Z_s, data) (S,) and its gradient in Z (S, D); the gradient is ignored.
    mu, log_sigma : ndarray, shape (D,)
    eps : ndarray, shape (S, D)
        Standard normal noise, z_s = mu + sigma * eps_s. S >= 3 when control_variate is True.
    control_variate : bool
        Subtract a times the score, with the leave-one-out scale of `control_variate_scale`.

    Returns
    -------
    elbo : float
    grad_mu, grad_log_sigma : ndarray, shape (D,)

    Notes
    -----
    For $\\lambda = (\\mu, \\log\\sigma)$ the score of the mean-field Gaussian is
    $h_\\mu = \\epsilon / \\sigma$ and $h_{\\log\\sigma} = \\epsilon^2 - 1$, and
    $$\\hat\\nabla_\\lambda = \\frac1S \\sum_s h_s \\odot (\\log p(z_s, x) - a_s) + \\nabla_\\lambda \\mathbb{H}[q].$$
    The estimator uses $\\nabla_\\lambda \\mathbb{E}_q[f] = \\mathbb{E}_q[f \\nabla_\\lambda \\log q]$.
    The entropy gradient is exact here, not a Monte Carlo estimate through log q(z_s), which removes
    variance without adding bias.
    """
    mu, log_sigma = _check_variational(mu, log_sigma)
    eps = _as_samples(eps, mu.size, "eps")
    # HINT: the scores are eps / sigma for mu and eps**2 - 1 for log_sigma.
    raise NotImplementedError("score_elbo_grad: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# optimiser
# ---------------------------------------------------------------------------------------------


class FitResult(NamedTuple):
    """Fitted mean-field Gaussian and the ELBO estimate of every iteration."""

    mu: np.ndarray
    log_sigma: np.ndarray
    elbo_history: np.ndarray


ESTIMATORS = ("reparam", "score")


def fit_mean_field(
    log_joint: LogJoint,
    mu0: np.ndarray,
    log_sigma0: np.ndarray,
    rng: np.random.Generator,
    *,
    n_iter: int = 2000,
    n_samples: int = 8,
    learning_rate: float = 0.05,
    estimator: str = "reparam",
    n_average: int = 1,
) -> FitResult:
    """Maximise the ELBO over (mu, log_sigma) with Adam and Monte Carlo gradients.

    Parameters
    ----------
    log_joint : callable
        Maps Z (S, D) to log p(Z_s, data) (S,) and its gradient in Z (S, D).
    mu0, log_sigma0 : ndarray, shape (D,)
        Starting point, not changed.
    rng : numpy.random.Generator
    n_iter : int
        Number of Adam steps.
    n_samples : int
        S, the number of draws per gradient estimate.
    learning_rate : float
        Adam step size.
    estimator : {"reparam", "score"}
        "score" uses the leave-one-out control variate and needs S >= 3.
    n_average : int
        Return the average of the last `n_average` iterates. Averaging removes most of the jitter
        that the constant step size and the gradient noise leave in the final iterate.

    Returns
    -------
    FitResult
        mu (D,), log_sigma (D,) and elbo_history (n_iter,), the noisy ELBO estimate before each step.

    Notes
    -----
    $$\\mathcal{L}(\\mu, \\sigma) = \\mathbb{E}_{q}[\\log p(z, x)] + \\mathbb{H}[q] = \\log p(x) - \\mathrm{KL}(q \\,\\|\\, p(z \\mid x))$$
    Raising the ELBO lowers the KL divergence from q to the posterior, because log p(x) is fixed.
    """
    mu, log_sigma = _check_variational(mu0, log_sigma0)
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
    if n_iter < 1:
        raise ValueError(f"n_iter: expected a positive integer, got {n_iter!r}")
    if not 1 <= n_average <= n_iter:
        raise ValueError(f"n_average: expected an integer from 1 to n_iter={n_iter}, got {n_average!r}")
    if estimator == "score" and n_samples < 3:
        raise ValueError(f"n_samples: the score estimator needs at least 3 samples, got {n_samples!r}")
    _check_positive(learning_rate, "learning_rate")
    gradient_estimate = reparam_elbo_grad if estimator == "reparam" else score_elbo_grad

    # both parameter blocks are optimised as one vector (2D,)
    D = mu.size
    params = np.concatenate([mu, log_sigma])
    first_moment = np.zeros_like(params)
    second_moment = np.zeros_like(params)
    beta1, beta2, adam_eps = 0.9, 0.999, 1e-8
    elbo_history = np.empty(n_iter)
    params_sum = np.zeros_like(params)

    for t in range(1, n_iter + 1):
        eps = rng.standard_normal((n_samples, D))
        elbo, grad_mu, grad_log_sigma = gradient_estimate(log_joint, params[:D], params[D:], eps)
        elbo_history[t - 1] = elbo
        grad = np.concatenate([grad_mu, grad_log_sigma])

        # Adam ascent step with bias-corrected moments
        first_moment = beta1 * first_moment + (1 - beta1) * grad
        second_moment = beta2 * second_moment + (1 - beta2) * grad**2
        m_hat = first_moment / (1 - beta1**t)
        v_hat = second_moment / (1 - beta2**t)
        params = params + learning_rate * m_hat / (np.sqrt(v_hat) + adam_eps)

        if t > n_iter - n_average:
            params_sum += params

    params = params_sum / n_average
    return FitResult(params[:D], params[D:], elbo_history)


# ---------------------------------------------------------------------------------------------
# Bayesian linear regression (conjugate, so the exact posterior is known)
# ---------------------------------------------------------------------------------------------


def _check_regression_data(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (N, P), got {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y: expected shape ({X.shape[0]},) to match X, got {y.shape}")
    return X, y


def log_joint_linreg(Z: np.ndarray, X: np.ndarray, y: np.ndarray, noise_var: float, prior_var: float) -> tuple[np.ndarray, np.ndarray]:
    """Compute the log joint of Bayesian linear regression and its gradient in the weights.

    Parameters
    ----------
    Z : ndarray, shape (S, D) or (D,)
        Weight vectors, D = P.
    X : ndarray, shape (N, P)
    y : ndarray, shape (N,)
    noise_var : float
        Known observation noise variance s^2.
    prior_var : float
        Prior variance of each weight, w ~ N(0, prior_var I).

    Returns
    -------
    log_p : ndarray, shape (S,)
    grad : ndarray, shape (S, D)

    Notes
    -----
    $$\\log p(w, y) = \\log \\mathcal{N}(y \\mid X w, s^2 I) + \\log \\mathcal{N}(w \\mid 0, \\alpha^{-1} I), \\qquad
      \\nabla_w = X^\\top (y - X w) / s^2 - \\alpha w$$
    with $\\alpha = 1/\\text{prior\\_var}$. Both densities keep their normalising constants, so the
    ELBO is a lower bound on the log evidence.
    """
    X, y = _check_regression_data(X, y)
    Z = _as_samples(Z, X.shape[1])
    noise_var = _check_positive(noise_var, "noise_var")
    prior_var = _check_positive(prior_var, "prior_var")
    N, D = X.shape
    raise NotImplementedError("log_joint_linreg: write this part of the exercise")


def linreg_posterior(X: np.ndarray, y: np.ndarray, noise_var: float, prior_var: float) -> tuple[np.ndarray, np.ndarray]:
    """Compute the exact Gaussian posterior of Bayesian linear regression.

    Parameters
    ----------
    X : ndarray, shape (N, P)
    y : ndarray, shape (N,)
    noise_var, prior_var : float

    Returns
    -------
    mean : ndarray, shape (D,)
    cov : ndarray, shape (D, D)

    Notes
    -----
    $$\\Lambda = X^\\top X / s^2 + \\alpha I, \\qquad m = \\Lambda^{-1} X^\\top y / s^2, \\qquad \\Sigma = \\Lambda^{-1}$$
    The precision is factorised once by Cholesky and every product with its inverse is a
    triangular solve. When the columns of X are orthogonal, Lambda is diagonal and the posterior
    factorises, so the mean-field family contains it.
    """
    X, y = _check_regression_data(X, y)
    noise_var = _check_positive(noise_var, "noise_var")
    prior_var = _check_positive(prior_var, "prior_var")
    D = X.shape[1]
    precision = X.T @ X / noise_var + np.eye(D) / prior_var
    factor = cho_factor(precision, lower=True)
    mean = cho_solve(factor, X.T @ y / noise_var)
    cov = cho_solve(factor, np.eye(D))
    return mean, 0.5 * (cov + cov.T)


# ---------------------------------------------------------------------------------------------
# Gaussian target with a given precision matrix
# ---------------------------------------------------------------------------------------------


def log_joint_gaussian(Z: np.ndarray, m: np.ndarray, Lambda: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compute the log density of N(m, Lambda^{-1}) and its gradient.

    Parameters
    ----------
    Z : ndarray, shape (S, D) or (D,)
    m : ndarray, shape (D,)
    Lambda : ndarray, shape (D, D)
        Symmetric positive definite precision matrix.

    Returns
    -------
    log_p : ndarray, shape (S,)
    grad : ndarray, shape (S, D)

    Notes
    -----
    $$\\log p(z) = -\\tfrac12 (z - m)^\\top \\Lambda (z - m) + \\tfrac12 \\log|\\Lambda| - \\tfrac{D}{2} \\log 2\\pi,
      \\qquad \\nabla_z = -\\Lambda (z - m)$$
    The log determinant comes from the Cholesky factor, so a precision that is not positive definite
    raises LinAlgError.
    """
    m = np.asarray(m, dtype=float)
    Lambda = np.asarray(Lambda, dtype=float)
    if m.ndim != 1:
        raise ValueError(f"m: expected a vector (D,), got shape {m.shape}")
    if Lambda.shape != (m.size, m.size):
        raise ValueError(f"Lambda: expected shape ({m.size}, {m.size}), got {Lambda.shape}")
    Z = _as_samples(Z, m.size)
    raise NotImplementedError("log_joint_gaussian: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Bayesian logistic regression
# ---------------------------------------------------------------------------------------------


def log_joint_logistic(Z: np.ndarray, X: np.ndarray, y: np.ndarray, prior_var: float) -> tuple[np.ndarray, np.ndarray]:
    """Compute the log joint of Bayesian logistic regression and its gradient in the weights.

    Parameters
    ----------
    Z : ndarray, shape (S, D) or (D,)
        Weight vectors, D = P (add a column of ones to X for a bias).
    X : ndarray, shape (N, P)
    y : ndarray, shape (N,)
        Labels in {0, 1}.
    prior_var : float
        Prior variance of each weight.

    Returns
    -------
    log_p : ndarray, shape (S,)
    grad : ndarray, shape (S, D)

    Notes
    -----
    With logits $a = X w$,
    $$\\log p(w, y) = \\sum_n \\left[y_n a_n - \\log(1 + e^{a_n})\\right] + \\log \\mathcal{N}(w \\mid 0, \\alpha^{-1} I),
      \\qquad \\nabla_w = X^\\top (y - \\sigma(a)) - \\alpha w.$$
    log(1 + e^a) is computed with logaddexp so large logits neither overflow nor lose precision.
    """
    X, y = _check_regression_data(X, y)
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y: expected labels in {0, 1}")
    Z = _as_samples(Z, X.shape[1])
    prior_var = _check_positive(prior_var, "prior_var")
    D = X.shape[1]
    raise NotImplementedError("log_joint_logistic: write this part of the exercise")


def logistic_predictive(mu: np.ndarray, log_sigma: np.ndarray, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Estimate the posterior predictive probability of class 1 by sampling weights from q.

    Parameters
    ----------
    mu, log_sigma : ndarray, shape (D,)
    X : ndarray, shape (N, P)
    n_samples : int
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    $$p(y_* = 1 \\mid x_*) \\approx \\frac1S \\sum_s \\sigma(x_*^\\top w_s), \\qquad w_s \\sim q$$
    Averaging probabilities, not weights, pulls predictions towards 1/2 where q is uncertain.
    """
    mu, log_sigma = _check_variational(mu, log_sigma)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != mu.size:
        raise ValueError(f"X: expected shape (N, {mu.size}), got {X.shape}")
    W, _ = sample_q(mu, log_sigma, n_samples, rng)
    return expit(W @ X.T).mean(axis=0)  # (S, N) averaged to (N,)


# ---------------------------------------------------------------------------------------------
# Bayesian neural network: one hidden layer, scalar Gaussian output
# ---------------------------------------------------------------------------------------------

ACTIVATIONS = ("relu", "tanh")


def _activate(pre: np.ndarray, activation: str) -> tuple[np.ndarray, np.ndarray]:
    """Apply the hidden-layer nonlinearity and return its values and its slope, both shaped like `pre`.

    ReLU is the default because its units grow linearly outside the data, so uncertainty about
    their weights widens the predictive band there. tanh units saturate, and the network then
    extrapolates as a constant with little uncertainty.
    """
    if activation == "relu":
        return np.maximum(pre, 0.0), (pre > 0).astype(float)
    if activation == "tanh":
        hidden = np.tanh(pre)
        return hidden, 1.0 - hidden**2
    raise ValueError(f"activation: expected one of {ACTIVATIONS}, got {activation!r}")


def bnn_n_weights(n_inputs: int, n_hidden: int) -> int:
    """Return D, the number of weights of the network with P inputs and H hidden units."""
    return n_inputs * n_hidden + 2 * n_hidden + 1


def bnn_unpack(W: np.ndarray, n_inputs: int, n_hidden: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split flat weight vectors into the layers of the network.

    The flat layout is [W1 (P*H, row-major), b1 (H), w2 (H), b2 (1)].

    Parameters
    ----------
    W : ndarray, shape (S, D) or (D,)
    n_inputs, n_hidden : int
        P and H.

    Returns
    -------
    W1 : ndarray, shape (S, P, H)
    b1 : ndarray, shape (S, H)
    w2 : ndarray, shape (S, H)
    b2 : ndarray, shape (S,)
    """
    P, H = n_inputs, n_hidden
    W = _as_samples(W, bnn_n_weights(P, H), "W")
    S = W.shape[0]
    W1 = W[:, : P * H].reshape(S, P, H)  # (S, P, H)
    b1 = W[:, P * H : P * H + H]
    w2 = W[:, P * H + H : P * H + 2 * H]
    b2 = W[:, -1]
    return W1, b1, w2, b2


def bnn_forward(W: np.ndarray, X: np.ndarray, n_hidden: int, activation: str = "relu") -> np.ndarray:
    """Evaluate the network for each weight sample at each input.

    Parameters
    ----------
    W : ndarray, shape (S, D) or (D,)
    X : ndarray, shape (N, P)
    n_hidden : int
    activation : {"relu", "tanh"}
        The nonlinearity phi of the hidden layer.

    Returns
    -------
    ndarray, shape (S, N)

    Notes
    -----
    $$f(x; w) = \\sum_h w_{2,h} \\, \\phi\\left(\\textstyle\\sum_p x_p W_{1,ph} + b_{1,h}\\right) + b_2$$
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X: expected shape (N, P), got {X.shape}")
    W1, b1, w2, b2 = bnn_unpack(W, X.shape[1], n_hidden)
    hidden, _ = _activate(np.einsum("np,sph->snh", X, W1) + b1[:, None, :], activation)  # (S, N, H)
    return np.einsum("snh,sh->sn", hidden, w2) + b2[:, None]  # (S, N)


def log_joint_bnn(
    W: np.ndarray, X: np.ndarray, y: np.ndarray, n_hidden: int, noise_var: float, prior_var: float, activation: str = "relu"
) -> tuple[np.ndarray, np.ndarray]:
    """Compute the log joint of the regression network and its gradient by backpropagation.

    Parameters
    ----------
    W : ndarray, shape (S, D) or (D,)
        Flat weights, laid out as in `bnn_unpack`.
    X : ndarray, shape (N, P)
    y : ndarray, shape (N,)
    n_hidden : int
        H.
    noise_var : float
        Known observation noise variance s^2.
    prior_var : float
        Prior variance of every weight and bias.
    activation : {"relu", "tanh"}
        The nonlinearity phi of the hidden layer.

    Returns
    -------
    log_p : ndarray, shape (S,)
    grad : ndarray, shape (S, D)

    Notes
    -----
    With residual weights $r_n = (y_n - f(x_n; w)) / s^2$ and hidden units $a_{nh} = \\phi(u_{nh})$ with pre-activations $u_{nh}$,
    $$\\frac{\\partial}{\\partial b_2} = \\sum_n r_n, \\quad
      \\frac{\\partial}{\\partial w_{2,h}} = \\sum_n r_n a_{nh}, \\quad
      \\delta_{nh} = r_n w_{2,h} \\phi'(u_{nh}), \\quad
      \\frac{\\partial}{\\partial W_{1,ph}} = \\sum_n x_{np} \\delta_{nh}, \\quad
      \\frac{\\partial}{\\partial b_{1,h}} = \\sum_n \\delta_{nh},$$
    and the Gaussian prior adds $-w / \\text{prior\\_var}$ to every coordinate.
    """
    X, y = _check_regression_data(X, y)
    noise_var = _check_positive(noise_var, "noise_var")
    prior_var = _check_positive(prior_var, "prior_var")
    N, P = X.shape
    D = bnn_n_weights(P, n_hidden)
    W = _as_samples(W, D, "W")
    S = W.shape[0]
    # HINT: keep the hidden activations from the forward pass; the backward pass reuses them.
    raise NotImplementedError("log_joint_bnn: write this part of the exercise")


def bnn_predictive(
    mu: np.ndarray,
    log_sigma: np.ndarray,
    X: np.ndarray,
    n_hidden: int,
    noise_var: float,
    n_samples: int,
    rng: np.random.Generator,
    activation: str = "relu",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate the posterior predictive of the network by sampling weights from q.

    Parameters
    ----------
    mu, log_sigma : ndarray, shape (D,)
    X : ndarray, shape (N, P)
    n_hidden : int
    noise_var : float
        Observation noise variance, added to the spread of the sampled functions.
    n_samples : int
        S, the number of weight samples.
    rng : numpy.random.Generator
    activation : {"relu", "tanh"}

    Returns
    -------
    mean : ndarray, shape (N,)
    std : ndarray, shape (N,)
        Predictive standard deviation of a new observation y_*, noise included.
    F : ndarray, shape (S, N)
        The sampled functions, one row per weight sample.

    Notes
    -----
    $$p(y_* \\mid x_*) \\approx \\frac1S \\sum_s \\mathcal{N}(y_* \\mid f(x_*; w_s), s^2), \\qquad
      \\operatorname{Var}[y_*] \\approx \\widehat{\\operatorname{Var}}_s[f(x_*; w_s)] + s^2$$
    The spread of the sampled functions is the model's uncertainty about the weights, and the
    noise variance is the spread of the data around the function.
    """
    mu, log_sigma = _check_variational(mu, log_sigma)
    noise_var = _check_positive(noise_var, "noise_var")
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or bnn_n_weights(X.shape[1], n_hidden) != mu.size:
        raise ValueError(f"X: expected shape (N, P) with P * {n_hidden} + {2 * n_hidden + 1} = {mu.size} weights, got {X.shape}")
    W, _ = sample_q(mu, log_sigma, n_samples, rng)
    F = bnn_forward(W, X, n_hidden, activation)  # (S, N)
    return F.mean(axis=0), np.sqrt(F.var(axis=0) + noise_var), F
