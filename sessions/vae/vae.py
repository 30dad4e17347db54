"""A variational auto-encoder in numpy, with every gradient written out by hand.

The model has a standard normal prior over a latent vector and a Bernoulli decoder whose logits
come from a small multilayer perceptron. A second perceptron, the encoder (recognition model),
outputs the mean and log-variance of a Gaussian with diagonal covariance. Both are trained together by
stochastic gradient ascent on the evidence lower bound (ELBO), using the reparameterisation trick
for the sampled latent and the closed-form KL divergence between two Gaussians. Adam is written
out, and an importance-sampled estimate of log p(x) measures how loose the bound is.

References
----------
1. Kingma, D.P. and Welling, M. (2014). Auto-Encoding Variational Bayes. ICLR 2014.
   https://arxiv.org/abs/1312.6114 (the estimator of Eq. 10 and the Gaussian KL of Appendix B).
2. Rezende, D.J., Mohamed, S. and Wierstra, D. (2014). Stochastic Backpropagation and Approximate
   Inference in Deep Generative Models. ICML 2014. https://arxiv.org/abs/1401.4082
3. Kingma, D.P. and Ba, J. (2015). Adam: A Method for Stochastic Optimization. ICLR 2015.
   https://arxiv.org/abs/1412.6980 (Algorithm 1).
4. Burda, Y., Grosse, R. and Salakhutdinov, R. (2016). Importance Weighted Autoencoders. ICLR 2016.
   https://arxiv.org/abs/1509.00519 (the importance-sampled estimate of log p(x)).

Notation
--------
N : number of data points in a batch.
D : number of observed binary pixels; `X` has shape (N, D) with entries in [0, 1].
L : latent dimension; `mu`, `log_var`, `eps` and `Z` have shape (N, L).
H : number of hidden units in a layer of either perceptron.
S : number of latent samples drawn per data point.
x, z : one data point (D,) and one latent vector (L,).
mu, log_var : mean and log-variance of the encoder q(z | x) = N(mu, diag(exp(log_var))); the
    equations write v for log_var.
eps : standard normal noise (N, L), so that z = mu + exp(log_var / 2) * eps.
beta : weight on the KL term; beta = 1 gives the ELBO itself.
params : dict of weight matrices and bias vectors. The encoder's layers are named "enc_W0",
    "enc_b0", "enc_W1", ... and the decoder's "dec_W0", "dec_b0", ...; layer i maps the previous
    width to the next one, with tanh between layers and no activation after the last one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import expit, logsumexp

LOG_2PI = np.log(2.0 * np.pi)


# ---------------------------------------------------------------------------------------------------
# small helpers


def softplus(a: np.ndarray) -> np.ndarray:
    """Compute log(1 + exp(a)) without overflow for large |a|."""
    return np.logaddexp(0.0, a)


def log_bernoulli(X: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """Sum the Bernoulli log-probabilities of the pixels of each row, given logits.

    Parameters
    ----------
    X : ndarray, shape (..., D)
        Pixel values in [0, 1] (fractional values give the cross-entropy).
    logits : ndarray, shape (..., D)
        Logits of the probability that each pixel is one; broadcast against `X`.

    Returns
    -------
    ndarray, shape (...)

    Notes
    -----
    $$\\log p(x \\mid \\ell) = \\sum_d x_d \\ell_d - \\log(1 + e^{\\ell_d}),$$
    which equals $x \\log \\sigma(\\ell) + (1 - x) \\log(1 - \\sigma(\\ell))$ but never takes the
    logarithm of a probability that has rounded to zero.
    """
    return np.sum(X * logits - softplus(logits), axis=-1)


def log_normal_diag(Z: np.ndarray, mu: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """Sum the log-densities of independent normals over the last axis.

    Parameters
    ----------
    Z, mu, log_var : ndarray, shapes broadcastable to (..., L)

    Returns
    -------
    ndarray, shape (...)

    Notes
    -----
    $$\\log \\mathcal N(z; \\mu, \\operatorname{diag} e^{v}) = -\\tfrac12 \\sum_l
    \\left(\\log 2\\pi + v_l + (z_l - \\mu_l)^2 e^{-v_l}\\right).$$
    """
    return -0.5 * np.sum(LOG_2PI + log_var + (Z - mu) ** 2 * np.exp(-log_var), axis=-1)


def _check_data(X: np.ndarray, D: int | None = None) -> np.ndarray:
    """Return `X` as a float array after checking that it is (N, D) with entries in [0, 1]."""
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (N, D); got shape {X.shape}")
    if D is not None and X.shape[1] != D:
        raise ValueError(f"X must have D = {D} columns to match the decoder; got {X.shape[1]}")
    if np.any(X < 0.0) or np.any(X > 1.0) or np.any(~np.isfinite(X)):
        raise ValueError("X must contain values in [0, 1] (binary or grey-level pixels)")
    return X


def _layer_count(params: dict[str, np.ndarray], prefix: str) -> int:
    """Count the layers stored under `prefix` ("enc_" or "dec_") and check that W and b agree."""
    n_layers = 0
    while f"{prefix}W{n_layers}" in params:
        W = params[f"{prefix}W{n_layers}"]
        b = params.get(f"{prefix}b{n_layers}")
        if b is None or b.shape != (W.shape[1],):
            raise ValueError(f"params: {prefix}b{n_layers} must exist with shape ({W.shape[1]},)")
        n_layers += 1
    if n_layers == 0:
        raise ValueError(f"params has no layer named {prefix}W0")
    return n_layers


def dimensions(params: dict[str, np.ndarray]) -> tuple[int, int]:
    """Return the data dimension D and the latent dimension L of a parameter dict."""
    n_dec = _layer_count(params, "dec_")
    D = params[f"dec_W{n_dec - 1}"].shape[1]
    L = params["dec_W0"].shape[0]
    n_enc = _layer_count(params, "enc_")
    if params["enc_W0"].shape[0] != D or params[f"enc_W{n_enc - 1}"].shape[1] != 2 * L:
        raise ValueError(f"params: the encoder must map D = {D} inputs to 2 L = {2 * L} outputs")
    return D, L


# ---------------------------------------------------------------------------------------------------
# parameters


def init_params(
    D: int, L: int, hidden: Sequence[int], rng: np.random.Generator, *, output_bias: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """Draw the weights of an encoder D -> hidden -> 2L and a decoder L -> reversed(hidden) -> D.

    Parameters
    ----------
    D : int
        Number of pixels.
    L : int
        Latent dimension.
    hidden : sequence of int
        Widths H of the encoder's hidden layers; the decoder uses them in reverse order.
    rng : numpy.random.Generator
    output_bias : ndarray, shape (D,), optional
        Initial decoder output bias (for example the logits of the pixel means). Zeros if omitted.

    Returns
    -------
    dict of str to ndarray

    Notes
    -----
    Weights are drawn from $\\mathcal N(0, 1/n_{\\text{in}})$, which keeps tanh units away from
    saturation at the start, and biases start at zero.
    """
    if D < 1 or L < 1 or any(h < 1 for h in hidden):
        raise ValueError(f"D, L and the hidden widths must be positive; got D={D}, L={L}, hidden={list(hidden)}")
    params: dict[str, np.ndarray] = {}
    for prefix, widths in (("enc_", [D, *hidden, 2 * L]), ("dec_", [L, *reversed(hidden), D])):
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            params[f"{prefix}W{i}"] = rng.normal(scale=1.0 / np.sqrt(n_in), size=(n_in, n_out))
            params[f"{prefix}b{i}"] = np.zeros(n_out)
    if output_bias is not None:
        output_bias = np.asarray(output_bias, dtype=float)
        if output_bias.shape != (D,):
            raise ValueError(f"output_bias must have shape ({D},); got {output_bias.shape}")
        params[f"dec_b{len(hidden)}"] = output_bias.copy()
    return params


# ---------------------------------------------------------------------------------------------------
# perceptron forward and backward passes


def mlp_forward(
    params: dict[str, np.ndarray], prefix: str, inputs: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Run the perceptron stored under `prefix` and keep what the backward pass needs.

    Parameters
    ----------
    params : dict of str to ndarray
    prefix : {"enc_", "dec_"}
    inputs : ndarray, shape (N, n_in)

    Returns
    -------
    outputs : ndarray, shape (N, n_out)
        Output of the last (linear) layer.
    activations : list of ndarray
        The input of every layer: `inputs` first, then each hidden layer's tanh output.

    Notes
    -----
    $$h_0 = \\text{inputs}, \\qquad h_{i+1} = \\tanh(h_i W_i + b_i), \\qquad
    \\text{outputs} = h_{k-1} W_{k-1} + b_{k-1}.$$
    """
    n_layers = _layer_count(params, prefix)
    # BEGIN SOLUTION
    # HINT: store the input of each layer; the backward pass needs them and tanh' = 1 - tanh^2.
    activations = [inputs]
    h = inputs
    for i in range(n_layers - 1):
        h = np.tanh(h @ params[f"{prefix}W{i}"] + params[f"{prefix}b{i}"])  # (N, H_i)
        activations.append(h)
    last = n_layers - 1
    outputs = h @ params[f"{prefix}W{last}"] + params[f"{prefix}b{last}"]  # (N, n_out)
    return outputs, activations
    # END SOLUTION


def mlp_backward(
    params: dict[str, np.ndarray], prefix: str, activations: list[np.ndarray], d_outputs: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Back-propagate a gradient through the perceptron stored under `prefix`.

    Parameters
    ----------
    params : dict of str to ndarray
    prefix : {"enc_", "dec_"}
    activations : list of ndarray
        As returned by `mlp_forward`.
    d_outputs : ndarray, shape (N, n_out)
        Gradient of a scalar objective with respect to the perceptron's outputs.

    Returns
    -------
    grads : dict of str to ndarray
        Gradient with respect to every weight and bias under `prefix`, shaped like the parameter.
    d_inputs : ndarray, shape (N, n_in)
        Gradient with respect to the perceptron's inputs.

    Notes
    -----
    With $\\delta_i = \\partial J / \\partial a_i$ for the pre-activation $a_i = h_i W_i + b_i$,
    $$\\frac{\\partial J}{\\partial W_i} = h_i^\\top \\delta_i, \\quad
    \\frac{\\partial J}{\\partial b_i} = \\textstyle\\sum_n \\delta_{i,n}, \\quad
    \\delta_{i-1} = (\\delta_i W_i^\\top) \\odot (1 - h_i^2).$$
    """
    n_layers = _layer_count(params, prefix)
    grads: dict[str, np.ndarray] = {}
    # BEGIN SOLUTION
    # HINT: walk the layers from last to first; activations[i] is h_i, the input of layer i.
    delta = d_outputs
    for i in reversed(range(n_layers)):
        h = activations[i]
        grads[f"{prefix}W{i}"] = h.T @ delta  # (n_in_i, n_out_i)
        grads[f"{prefix}b{i}"] = delta.sum(axis=0)
        d_h = delta @ params[f"{prefix}W{i}"].T  # (N, n_in_i)

        # the input of layer 0 is the data, so there is no tanh to differentiate through
        if i > 0:
            delta = d_h * (1.0 - h**2)
    return grads, d_h
    # END SOLUTION


# ---------------------------------------------------------------------------------------------------
# encoder, decoder and the ELBO


def encode(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean and log-variance of q(z | x) for every row of `X`.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)

    Returns
    -------
    mu, log_var : ndarray, shape (N, L)
    """
    D, L = dimensions(params)
    X = _check_data(X, D)
    outputs, _ = mlp_forward(params, "enc_", X)
    return outputs[:, :L], outputs[:, L:]


def decode_logits(params: dict[str, np.ndarray], Z: np.ndarray) -> np.ndarray:
    """Return the Bernoulli logits of p(x | z) for every row of `Z`.

    Parameters
    ----------
    params : dict of str to ndarray
    Z : ndarray, shape (N, L)

    Returns
    -------
    ndarray, shape (N, D)
    """
    _, L = dimensions(params)
    Z = np.asarray(Z, dtype=float)
    if Z.ndim != 2 or Z.shape[1] != L:
        raise ValueError(f"Z must have shape (N, {L}); got {Z.shape}")
    logits, _ = mlp_forward(params, "dec_", Z)
    return logits


def reconstruct(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Return the pixel probabilities decoded from the posterior mean of each row of `X`.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)

    Returns
    -------
    ndarray, shape (N, D)
    """
    mu, _ = encode(params, X)
    return expit(decode_logits(params, mu))


def gaussian_kl(mu: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """Return KL(N(mu, diag(exp(log_var))) || N(0, I)) for every row.

    Parameters
    ----------
    mu, log_var : ndarray, shape (N, L)

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    $$\\mathrm{KL}\\big(q(z \\mid x) \\,\\|\\, p(z)\\big) = \\tfrac12 \\sum_l
    \\left(\\mu_l^2 + e^{v_l} - v_l - 1\\right),$$
    with $v = $ `log_var` (Kingma and Welling 2014, Appendix B). It is zero exactly when
    $q$ equals the prior.
    """
    # BEGIN SOLUTION
    return 0.5 * np.sum(mu**2 + np.exp(log_var) - log_var - 1.0, axis=-1)
    # END SOLUTION


def _check_noise(eps: np.ndarray, N: int, L: int) -> np.ndarray:
    eps = np.asarray(eps, dtype=float)
    if eps.shape != (N, L):
        raise ValueError(f"eps must have shape (N, L) = ({N}, {L}); got {eps.shape}")
    return eps


def elbo_terms(params: dict[str, np.ndarray], X: np.ndarray, eps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compute the one-sample reconstruction term and the KL term of the ELBO for each row.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)
    eps : ndarray, shape (N, L)
        Standard normal noise; the latent is z = mu + exp(log_var / 2) * eps.

    Returns
    -------
    log_lik : ndarray, shape (N,)
        log p(x | z) at the sampled z, an unbiased estimate of E_q[log p(x | z)].
    kl : ndarray, shape (N,)
        KL(q(z | x) || p(z)) in closed form.

    Notes
    -----
    $$\\mathcal L(x) = \\mathbb E_{q(z \\mid x)}[\\log p(x \\mid z)]
    - \\mathrm{KL}(q(z \\mid x) \\,\\|\\, p(z)) \\approx \\log p(x \\mid \\mu + \\sigma \\odot
    \\epsilon) - \\mathrm{KL},$$ the estimator of Kingma and Welling (2014), Eq. 10, with one sample.
    """
    D, L = dimensions(params)
    X = _check_data(X, D)
    eps = _check_noise(eps, X.shape[0], L)
    mu, log_var = encode(params, X)
    Z = mu + np.exp(0.5 * log_var) * eps
    return log_bernoulli(X, decode_logits(params, Z)), gaussian_kl(mu, log_var)


def elbo_and_gradients(
    params: dict[str, np.ndarray], X: np.ndarray, eps: np.ndarray, beta: float = 1.0
) -> tuple[float, dict[str, np.ndarray]]:
    """Return the batch-mean (beta-weighted) ELBO and its gradient with respect to every parameter.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)
    eps : ndarray, shape (N, L)
        Standard normal noise, held fixed so that the objective is a deterministic function of
        `params`.
    beta : float
        Weight on the KL term; 1 gives the ELBO.

    Returns
    -------
    value : float
        $J = \\frac1N \\sum_n \\log p(x_n \\mid z_n) - \\beta\\, \\mathrm{KL}_n$.
    grads : dict of str to ndarray
        $\\partial J / \\partial \\theta$ for every entry of `params`, shaped like the entry.

    Notes
    -----
    With $z = \\mu + e^{v/2} \\odot \\epsilon$ and decoder logits $\\ell$,
    $$\\frac{\\partial J}{\\partial \\ell} = \\frac{x - \\sigma(\\ell)}{N}, \\qquad
    \\frac{\\partial J}{\\partial \\mu} = \\frac{\\partial J}{\\partial z} - \\frac{\\beta \\mu}{N},
    \\qquad \\frac{\\partial J}{\\partial v} = \\frac{\\partial J}{\\partial z} \\odot
    \\tfrac12 e^{v/2} \\odot \\epsilon - \\frac{\\beta}{2N}\\left(e^{v} - 1\\right),$$
    and the decoder and encoder pass these back through their layers (`mlp_backward`).
    """
    if not np.isfinite(beta) or beta < 0.0:
        raise ValueError(f"beta must be a finite number >= 0; got {beta}")
    D, L = dimensions(params)
    X = _check_data(X, D)
    N = X.shape[0]
    eps = _check_noise(eps, N, L)

    # BEGIN SOLUTION
    # HINT: run the encoder, sample z with the reparameterisation trick, run the decoder, then
    # HINT: back-propagate d(log p(x|z))/d(logits) = x - sigmoid(logits) and add the KL's gradient.
    # encoder and reparameterised sample
    enc_out, enc_cache = mlp_forward(params, "enc_", X)
    mu, log_var = enc_out[:, :L], enc_out[:, L:]
    sigma = np.exp(0.5 * log_var)
    Z = mu + sigma * eps

    # decoder and the two terms of the bound
    logits, dec_cache = mlp_forward(params, "dec_", Z)
    log_lik = log_bernoulli(X, logits)
    kl = gaussian_kl(mu, log_var)
    value = float(np.mean(log_lik - beta * kl))

    # the reconstruction term reaches the encoder only through z
    d_logits = (X - expit(logits)) / N  # (N, D)
    grads, d_Z = mlp_backward(params, "dec_", dec_cache, d_logits)

    # chain rule through z = mu + sigma * eps, plus the closed-form KL's own gradient
    d_mu = d_Z - beta * mu / N
    d_log_var = d_Z * 0.5 * sigma * eps - 0.5 * beta * (np.exp(log_var) - 1.0) / N
    enc_grads, _ = mlp_backward(params, "enc_", enc_cache, np.concatenate([d_mu, d_log_var], axis=1))
    grads.update(enc_grads)
    # END SOLUTION
    return value, grads


def estimate_elbo(
    params: dict[str, np.ndarray], X: np.ndarray, *, rng: np.random.Generator, n_samples: int = 1
) -> np.ndarray:
    """Estimate the ELBO of each row of `X`, averaging the reconstruction term over `n_samples` draws.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)
    rng : numpy.random.Generator
    n_samples : int
        Number S of latent samples per row.

    Returns
    -------
    ndarray, shape (N,)
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1; got {n_samples}")
    D, L = dimensions(params)
    X = _check_data(X, D)
    total = np.zeros(X.shape[0])
    for _ in range(n_samples):
        log_lik, kl = elbo_terms(params, X, rng.standard_normal((X.shape[0], L)))
        total += log_lik - kl
    return total / n_samples


# ---------------------------------------------------------------------------------------------------
# importance-sampled log p(x)


def log_importance_weights(params: dict[str, np.ndarray], X: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """Return log p(x, z_s) - log q(z_s | x) for the latents z_s given by the noise `eps`.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)
    eps : ndarray, shape (S, N, L)
        Standard normal noise; z_s = mu + exp(log_var / 2) * eps[s].

    Returns
    -------
    ndarray, shape (S, N)

    Notes
    -----
    $$\\log w_s = \\log p(x \\mid z_s) + \\log \\mathcal N(z_s; 0, I)
    - \\log q(z_s \\mid x), \\qquad z_s \\sim q(z \\mid x).$$
    Each $w_s$ is an unbiased estimate of $p(x)$, and $\\mathbb E[\\log w_s]$ is the ELBO.
    """
    D, L = dimensions(params)
    X = _check_data(X, D)
    N = X.shape[0]
    eps = np.asarray(eps, dtype=float)
    if eps.ndim != 3 or eps.shape[1:] != (N, L):
        raise ValueError(f"eps must have shape (S, N, L) = (S, {N}, {L}); got {eps.shape}")
    S = eps.shape[0]
    mu, log_var = encode(params, X)

    # BEGIN SOLUTION
    # HINT: decode all S * N latents in one batch, then put the sample axis back in front.
    Z = mu + np.exp(0.5 * log_var) * eps  # (S, N, L)
    logits = decode_logits(params, Z.reshape(S * N, L)).reshape(S, N, D)  # (S, N, D)
    log_lik = log_bernoulli(X, logits)  # (S, N), X broadcasts over samples
    log_prior = log_normal_diag(Z, 0.0, 0.0)  # (S, N)
    log_q = log_normal_diag(Z, mu, log_var)  # (S, N)
    return log_lik + log_prior - log_q
    # END SOLUTION


def log_marginal_estimate(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    *,
    n_samples: int,
    rng: np.random.Generator,
    chunk_size: int = 100,
) -> np.ndarray:
    """Estimate log p(x) for every row of `X` by importance sampling with the encoder as proposal.

    Parameters
    ----------
    params : dict of str to ndarray
    X : ndarray, shape (N, D)
    n_samples : int
        Number S of importance samples per row.
    rng : numpy.random.Generator
    chunk_size : int
        Number of samples decoded at once, which bounds memory at chunk_size * N * D floats.

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    $$\\log \\hat p_S(x) = \\log \\frac1S \\sum_{s=1}^S w_s
    = \\operatorname{logsumexp}_s(\\log w_s) - \\log S.$$
    Its expectation is a lower bound on $\\log p(x)$ that rises with $S$, equals the ELBO at
    $S = 1$ and tends to $\\log p(x)$ as $S \\to \\infty$ (Burda et al. 2016, Theorem 1).
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1; got {n_samples}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1; got {chunk_size}")
    D, L = dimensions(params)
    X = _check_data(X, D)
    N = X.shape[0]

    # combine chunks in log space so that no weight is ever exponentiated
    log_total = np.full(N, -np.inf)
    for start in range(0, n_samples, chunk_size):
        S_chunk = min(chunk_size, n_samples - start)
        log_w = log_importance_weights(params, X, rng.standard_normal((S_chunk, N, L)))
        log_total = np.logaddexp(log_total, logsumexp(log_w, axis=0))
    return log_total - np.log(n_samples)


# ---------------------------------------------------------------------------------------------------
# Adam and the training loop


def adam_init(params: dict[str, np.ndarray]) -> dict[str, object]:
    """Return an Adam state with zero first and second moments for every parameter."""
    return {
        "step": 0,
        "m": {key: np.zeros_like(value) for key, value in params.items()},
        "v": {key: np.zeros_like(value) for key, value in params.items()},
    }


def adam_step(
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    state: dict[str, object],
    *,
    learning_rate: float = 1e-3,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict[str, object]]:
    """Take one Adam step that decreases a loss, returning new parameters and a new state.

    Parameters
    ----------
    params : dict of str to ndarray
    grads : dict of str to ndarray
        Gradient of the loss (to maximise the ELBO, pass its negated gradient).
    state : dict
        As returned by `adam_init` or a previous `adam_step`; it is not changed.
    learning_rate, beta1, beta2, epsilon : float
        Step size, decay rates of the two moment averages, and the guard against division by zero.

    Returns
    -------
    new_params : dict of str to ndarray
    new_state : dict

    Notes
    -----
    Kingma and Ba (2015), Algorithm 1:
    $$m_t = \\beta_1 m_{t-1} + (1 - \\beta_1) g_t, \\quad v_t = \\beta_2 v_{t-1} + (1 - \\beta_2) g_t^2,
    \\quad \\theta_t = \\theta_{t-1} - \\alpha \\frac{m_t / (1 - \\beta_1^t)}
    {\\sqrt{v_t / (1 - \\beta_2^t)} + \\epsilon}.$$
    """
    step = int(state["step"]) + 1
    new_params: dict[str, np.ndarray] = {}
    new_m: dict[str, np.ndarray] = {}
    new_v: dict[str, np.ndarray] = {}
    # BEGIN SOLUTION
    # HINT: the bias corrections 1 - beta^t undo the zero start of the moving averages.
    for key, value in params.items():
        g = grads[key]
        new_m[key] = beta1 * state["m"][key] + (1.0 - beta1) * g
        new_v[key] = beta2 * state["v"][key] + (1.0 - beta2) * g**2
        m_hat = new_m[key] / (1.0 - beta1**step)
        v_hat = new_v[key] / (1.0 - beta2**step)
        new_params[key] = value - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    # END SOLUTION
    return new_params, {"step": step, "m": new_m, "v": new_v}


def train(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    *,
    n_epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    learning_rate: float = 1e-3,
    beta: float = 1.0,
    on_epoch: Callable[[int, dict[str, np.ndarray], float], None] | None = None,
) -> tuple[dict[str, np.ndarray], list[float]]:
    """Maximise the (beta-weighted) ELBO with minibatch Adam, starting from `params`.

    Parameters
    ----------
    params : dict of str to ndarray
        Initial parameters; they are not changed.
    X : ndarray, shape (N, D)
        Training data.
    n_epochs : int
        Number of passes over `X`, each in a fresh random order.
    batch_size : int
    rng : numpy.random.Generator
        Draws the order of each epoch and the noise of every step.
    learning_rate : float
    beta : float
        Weight on the KL term.
    on_epoch : callable, optional
        Called as `on_epoch(epoch, params, mean_objective)` after each epoch (epochs count from 1),
        for progress lines and held-out evaluation.

    Returns
    -------
    params : dict of str to ndarray
        The trained parameters.
    history : list of float
        Mean minibatch objective of each epoch.
    """
    D, L = dimensions(params)
    X = _check_data(X, D)
    if n_epochs < 0 or batch_size < 1:
        raise ValueError(f"n_epochs must be >= 0 and batch_size >= 1; got {n_epochs} and {batch_size}")
    N = X.shape[0]
    params = {key: np.array(value, dtype=float) for key, value in params.items()}
    state = adam_init(params)
    history: list[float] = []
    for epoch in range(1, n_epochs + 1):
        order = rng.permutation(N)
        total = 0.0
        for start in range(0, N, batch_size):
            batch = X[order[start : start + batch_size]]
            value, grads = elbo_and_gradients(params, batch, rng.standard_normal((batch.shape[0], L)), beta)

            # Adam minimises, so it receives the gradient of the negated objective
            params, state = adam_step(
                params, {key: -g for key, g in grads.items()}, state, learning_rate=learning_rate
            )
            total += value * batch.shape[0]
        history.append(total / N)
        if on_epoch is not None:
            on_epoch(epoch, params, history[-1])
    return params, history
