"""Generative adversarial networks in numpy: small MLPs, both generator losses and the Dirac-GAN.

A generator G maps latent noise z to samples, and a discriminator D maps a sample to a logit whose
sigmoid is the probability that the sample is real. Both are multilayer perceptrons with
hand-written backward passes. The discriminator minimises the binary cross-entropy of real against
generated samples. The generator minimises either the original minimax loss, log(1 - D(G(z))), or
the non-saturating loss, -log D(G(z)). Training alternates discriminator and generator steps, each
player with its own learning rate. The Dirac-GAN of [4] (a point-mass generator with one
parameter against a linear discriminator with one parameter) has a two-dimensional gradient field
that can be written, differentiated and plotted exactly, with and without the R1 gradient penalty.

References
----------
[1] Goodfellow, I.J. et al. (2014). Generative Adversarial Nets. NIPS 2014. arXiv:1406.2661.
    Eq. 1 (the minimax value), Prop. 1 (the optimal discriminator), Sec. 3 (the non-saturating loss).
[2] Goodfellow, I. (2016). NIPS 2016 Tutorial: Generative Adversarial Networks. arXiv:1701.00160.
    Sec. 3.2.3 (why the minimax generator loss saturates).
[3] Radford, A., Metz, L., Chintala, S. (2016). Unsupervised Representation Learning with Deep
    Convolutional Generative Adversarial Networks. ICLR 2016. arXiv:1511.06434 (Adam, beta1 = 0.5).
[4] Mescheder, L., Geiger, A., Nowozin, S. (2018). Which Training Methods for GANs do actually
    Converge? ICML 2018. arXiv:1801.04406. Def. 2.1 (the Dirac-GAN) and the R1 gradient penalty.

Notation
--------
N       number of real samples in a batch
M       number of generated samples in a batch
K       latent dimension (z has shape (M, K))
D       data dimension (x has shape (N, D))
P       number of layers of an MLP (P weight matrices)
H       hidden width of a layer (varies by layer)
z       latent noise, standard normal, shape (M, K)
x       real samples, shape (N, D); G(z) generated samples, shape (M, D)
a       discriminator logits; D(x) = sigmoid(a) is the probability that x is real
sigma   the logistic sigmoid, sigma(a) = 1 / (1 + exp(-a))
theta   generator parameters (a dict of arrays); in the Dirac-GAN, the generator's point mass
phi     discriminator parameters (a dict of arrays)
psi     the Dirac-GAN's discriminator slope, D(x) = sigma(psi x)
gamma   weight of the R1 gradient penalty, (gamma / 2) E_data |grad_x a(x)|^2
W_l     weight matrix of layer l, shape (H_{l-1}, H_l); b_l its bias, shape (H_l,)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit, log_expit

ACTIVATIONS = ("tanh", "leaky_relu")
GENERATOR_LOSSES = ("minimax", "non_saturating")
OPTIMIZERS = ("adam", "sgd")
DIRAC_UPDATES = ("simultaneous", "alternating")
LEAKY_SLOPE = 0.2


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def softplus(a: np.ndarray) -> np.ndarray:
    """Compute log(1 + exp(a)) without overflow. It equals -log sigmoid(-a)."""
    return np.logaddexp(0.0, a)


def log_normal_pdf(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Evaluate the log-density of a univariate normal distribution at every entry of `x`."""
    if std <= 0:
        raise ValueError(f"std must be positive, got {std}")
    x = np.asarray(x, dtype=float)
    return -0.5 * np.log(2 * np.pi) - np.log(std) - 0.5 * ((x - mean) / std) ** 2


def optimal_discriminator(log_p_data: np.ndarray, log_p_generator: np.ndarray) -> np.ndarray:
    """Evaluate the optimal discriminator for fixed data and generator densities.

    Parameters
    ----------
    log_p_data, log_p_generator : ndarray, shape (N,)
        Log-densities of the data and of the generator at the same N points.

    Returns
    -------
    ndarray, shape (N,)
        D*(x), the probability that x is real.

    Notes
    -----
    .. math:: D^*(x) = \\frac{p_\\text{data}(x)}{p_\\text{data}(x) + p_g(x)}
              = \\sigma\\bigl(\\log p_\\text{data}(x) - \\log p_g(x)\\bigr)

    Written as a sigmoid of the log-density ratio, so that points far in either tail, where both
    densities underflow, still get a finite value ([1], Prop. 1).
    """
    log_p_data = np.asarray(log_p_data, dtype=float)
    log_p_generator = np.asarray(log_p_generator, dtype=float)
    if log_p_data.shape != log_p_generator.shape:
        raise ValueError(
            f"log_p_data and log_p_generator must have the same shape, got {log_p_data.shape} and {log_p_generator.shape}"
        )
    return expit(log_p_data - log_p_generator)


def _check_matrix(name: str, X: np.ndarray, n_columns: int | None = None) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {X.shape}")
    if n_columns is not None and X.shape[1] != n_columns:
        raise ValueError(f"{name} must have {n_columns} columns to match the network's input, got shape {X.shape}")
    return X


def _check_choice(name: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")


# ---------------------------------------------------------------------------------------------
# Multilayer perceptron with a hand-written backward pass
# ---------------------------------------------------------------------------------------------


def n_layers(params: dict[str, np.ndarray]) -> int:
    """Count the layers P of an MLP stored as W1, b1, ..., WP, bP."""
    count = 0
    while f"W{count + 1}" in params:
        count += 1
    if count == 0:
        raise ValueError(f"params must contain W1, b1, ...; got keys {sorted(params)}")
    return count


def init_mlp(layer_sizes: list[int], rng: np.random.Generator, *, gain: float = 1.0) -> dict[str, np.ndarray]:
    """Draw the weights of an MLP with Glorot-scaled normal weights and zero biases.

    Parameters
    ----------
    layer_sizes : list of int, length P + 1
        Input width, the hidden widths, output width.
    rng : numpy.random.Generator
    gain : float
        Multiplies the standard deviation sqrt(2 / (H_{l-1} + H_l)) of every weight.

    Returns
    -------
    dict
        ``W{l}`` of shape (H_{l-1}, H_l) and ``b{l}`` of shape (H_l,) for l = 1..P.
    """
    if len(layer_sizes) < 2 or any(int(size) < 1 for size in layer_sizes):
        raise ValueError(f"layer_sizes must list at least two positive widths, got {layer_sizes}")
    params = {}
    for layer, (fan_in, fan_out) in enumerate(zip(layer_sizes[:-1], layer_sizes[1:]), start=1):
        std = gain * np.sqrt(2.0 / (fan_in + fan_out))
        params[f"W{layer}"] = std * rng.standard_normal((fan_in, fan_out))
        params[f"b{layer}"] = np.zeros(fan_out)
    return params


def _activate(A: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return np.tanh(A)
    return np.where(A > 0, A, LEAKY_SLOPE * A)


def _activation_derivative(A: np.ndarray, activation: str) -> np.ndarray:
    if activation == "tanh":
        return 1.0 - np.tanh(A) ** 2
    return np.where(A > 0, 1.0, LEAKY_SLOPE)


def mlp_forward(
    params: dict[str, np.ndarray], X: np.ndarray, activation: str = "tanh"
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Run an MLP with a nonlinearity after every layer but the last, which is linear.

    Parameters
    ----------
    params : dict
        ``W1, b1, ..., WP, bP`` as returned by `init_mlp`.
    X : ndarray, shape (N, H_0)
    activation : {"tanh", "leaky_relu"}

    Returns
    -------
    output : ndarray, shape (N, H_P)
    cache : list of (input, pre-activation) pairs, one per layer
        What `mlp_backward` needs: layer l's input of shape (N, H_{l-1}) and its pre-activation of
        shape (N, H_l).

    Notes
    -----
    .. math:: h_0 = x,\\quad a_l = h_{l-1} W_l + b_l,\\quad h_l = f(a_l)\\ (l < P),\\quad
              \\text{output} = a_P
    """
    _check_choice("activation", activation, ACTIVATIONS)
    X = _check_matrix("X", X, params["W1"].shape[0])
    P = n_layers(params)

    # HINT: keep each layer's input and pre-activation, because the backward pass needs both.
    raise NotImplementedError("mlp_forward: write this part of the exercise")


def mlp_backward(
    params: dict[str, np.ndarray],
    cache: list[tuple[np.ndarray, np.ndarray]],
    grad_output: np.ndarray,
    activation: str = "tanh",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Backpropagate the gradient of a scalar loss through an MLP.

    Parameters
    ----------
    params : dict
        The weights used in the forward pass.
    cache : list
        The second return value of `mlp_forward`.
    grad_output : ndarray, shape (N, H_P)
        Gradient of the loss with respect to the MLP's output.
    activation : {"tanh", "leaky_relu"}
        The activation used in the forward pass.

    Returns
    -------
    grads : dict
        Gradient for every entry of `params`, each with that entry's shape.
    grad_input : ndarray, shape (N, H_0)
        Gradient with respect to the input, which carries the discriminator's gradient back into the
        generator.

    Notes
    -----
    .. math:: \\frac{\\partial L}{\\partial W_l} = h_{l-1}^\\top \\delta_l,\\quad
              \\frac{\\partial L}{\\partial b_l} = \\textstyle\\sum_n \\delta_{l,n},\\quad
              \\delta_{l-1} = (\\delta_l W_l^\\top) \\odot f'(a_{l-1})

    where :math:`\\delta_l = \\partial L / \\partial a_l`, and :math:`\\delta_P` is `grad_output`.
    """
    _check_choice("activation", activation, ACTIVATIONS)
    P = n_layers(params)
    if len(cache) != P:
        raise ValueError(f"cache must have one entry per layer ({P}), got {len(cache)}")
    grad_output = np.asarray(grad_output, dtype=float)
    if grad_output.shape != cache[-1][1].shape:
        raise ValueError(f"grad_output must have the output's shape {cache[-1][1].shape}, got {grad_output.shape}")

    # HINT: walk the layers from last to first, and remember that the last layer has no activation.
    raise NotImplementedError("mlp_backward: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# GAN losses and their gradients
# ---------------------------------------------------------------------------------------------


def discriminator_loss(
    phi: dict[str, np.ndarray], X_real: np.ndarray, X_fake: np.ndarray, activation: str = "tanh"
) -> tuple[float, dict[str, np.ndarray]]:
    """Compute the discriminator's binary cross-entropy and its gradient with respect to phi.

    Parameters
    ----------
    phi : dict
        Discriminator weights; the last layer has one output, the logit a.
    X_real : ndarray, shape (N, D)
    X_fake : ndarray, shape (M, D)
        Generated samples, treated as constants (no gradient flows into the generator).
    activation : {"tanh", "leaky_relu"}

    Returns
    -------
    loss : float
    grads : dict
        Gradient for every entry of `phi`.

    Notes
    -----
    .. math:: L_D = -\\frac1N \\sum_n \\log \\sigma(a(x_n)) - \\frac1M \\sum_m \\log(1 - \\sigma(a(\\tilde x_m)))
              = \\frac1N \\sum_n \\operatorname{softplus}(-a(x_n)) + \\frac1M \\sum_m \\operatorname{softplus}(a(\\tilde x_m))

    The negative of the value function of [1], Eq. 1, estimated on one batch. Its minimum over all
    functions D is 2 ln 2 - 2 JSD(p_data || p_g), which equals 2 ln 2 when p_g = p_data.
    """
    X_real = _check_matrix("X_real", X_real, phi["W1"].shape[0])
    X_fake = _check_matrix("X_fake", X_fake, phi["W1"].shape[0])
    N, M = X_real.shape[0], X_fake.shape[0]

    # HINT: write both terms with softplus of the logit, whose derivative is sigmoid(a).
    raise NotImplementedError("discriminator_loss: write this part of the exercise")


def generator_loss(
    theta: dict[str, np.ndarray],
    phi: dict[str, np.ndarray],
    Z: np.ndarray,
    loss: str = "non_saturating",
    activation: str = "tanh",
) -> tuple[float, dict[str, np.ndarray]]:
    """Compute a generator loss and its gradient with respect to theta, backpropagating through D.

    Parameters
    ----------
    theta : dict
        Generator weights, mapping (M, K) to (M, D).
    phi : dict
        Discriminator weights, held fixed.
    Z : ndarray, shape (M, K)
        Latent noise.
    loss : {"minimax", "non_saturating"}
    activation : {"tanh", "leaky_relu"}
        Used by both networks.

    Returns
    -------
    loss_value : float
    grads : dict
        Gradient for every entry of `theta`.

    Notes
    -----
    .. math:: L_G^\\text{minimax} = \\frac1M \\sum_m \\log\\bigl(1 - \\sigma(a(G(z_m)))\\bigr)
              = -\\frac1M \\sum_m \\operatorname{softplus}(a_m),\\qquad
              L_G^\\text{NS} = -\\frac1M \\sum_m \\log \\sigma(a_m) = \\frac1M \\sum_m \\operatorname{softplus}(-a_m)

    Their derivatives with respect to the logit are -sigma(a) and -(1 - sigma(a)). When the
    discriminator rejects the samples (sigma(a) near 0), the minimax gradient vanishes and the
    non-saturating one stays near -1 ([1], Sec. 3; [2], Sec. 3.2.3).
    """
    _check_choice("loss", loss, GENERATOR_LOSSES)
    Z = _check_matrix("Z", Z, theta["W1"].shape[0])
    M = Z.shape[0]

    # HINT: backpropagate dL/da through the discriminator down to its input, then through the generator.
    raise NotImplementedError("generator_loss: write this part of the exercise")


def generate(theta: dict[str, np.ndarray], n_samples: int, rng: np.random.Generator, activation: str = "tanh") -> np.ndarray:
    """Draw n_samples = M samples G(z), z ~ N(0, I_K); returns shape (M, D)."""
    if n_samples < 1:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    Z = rng.standard_normal((n_samples, theta["W1"].shape[0]))
    X_fake, _ = mlp_forward(theta, Z, activation)
    return X_fake


def discriminate(phi: dict[str, np.ndarray], X: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """Evaluate D(x) = sigmoid(a(x)), the probability that each row of X (N, D) is real; returns (N,)."""
    logits, _ = mlp_forward(phi, X, activation)
    return expit(logits[:, 0])


# ---------------------------------------------------------------------------------------------
# Optimisation: Adam and alternating updates
# ---------------------------------------------------------------------------------------------


def adam_init(params: dict[str, np.ndarray]) -> dict:
    """Create Adam's state for `params`: zero first and second moments and step count 0."""
    return {
        "step": 0,
        "m": {key: np.zeros_like(value) for key, value in params.items()},
        "v": {key: np.zeros_like(value) for key, value in params.items()},
    }


def adam_step(
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    state: dict,
    learning_rate: float,
    beta1: float = 0.5,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict]:
    """Take one Adam step, returning new parameters and state and leaving the inputs unchanged.

    Notes
    -----
    .. math:: m \\leftarrow \\beta_1 m + (1 - \\beta_1) g,\\quad v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2,\\quad
              \\theta \\leftarrow \\theta - \\eta \\frac{m / (1 - \\beta_1^t)}{\\sqrt{v / (1 - \\beta_2^t)} + \\epsilon}

    beta1 = 0.5 instead of 0.9 follows [3], who found the larger momentum unstable for GANs.
    """
    if learning_rate < 0:
        raise ValueError(f"learning_rate must be non-negative, got {learning_rate}")
    step = state["step"] + 1
    new_params, new_m, new_v = {}, {}, {}
    for key, value in params.items():
        new_m[key] = beta1 * state["m"][key] + (1 - beta1) * grads[key]
        new_v[key] = beta2 * state["v"][key] + (1 - beta2) * grads[key] ** 2
        m_hat = new_m[key] / (1 - beta1**step)
        v_hat = new_v[key] / (1 - beta2**step)
        new_params[key] = value - learning_rate * m_hat / (np.sqrt(v_hat) + eps)
    return new_params, {"step": step, "m": new_m, "v": new_v}


def sgd_step(
    params: dict[str, np.ndarray], grads: dict[str, np.ndarray], state: dict, learning_rate: float
) -> tuple[dict[str, np.ndarray], dict]:
    """Take one plain gradient-descent step. `state` is passed through so that SGD and Adam share a signature.

    Unlike Adam, whose step size is insensitive to the gradient's scale, SGD moves in proportion to
    the gradient, which makes the saturation of the minimax generator loss visible.
    """
    if learning_rate < 0:
        raise ValueError(f"learning_rate must be non-negative, got {learning_rate}")
    return {key: value - learning_rate * grads[key] for key, value in params.items()}, state


def gradient_norm(grads: dict[str, np.ndarray]) -> float:
    """Compute the Euclidean norm of all gradients in a dict taken together."""
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


def train_discriminator(
    phi: dict[str, np.ndarray],
    sample_real: Callable[[np.random.Generator, int], np.ndarray],
    sample_fake: Callable[[np.random.Generator, int], np.ndarray],
    rng: np.random.Generator,
    *,
    n_steps: int,
    batch_size: int,
    learning_rate: float,
    activation: str = "tanh",
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Train the discriminator alone against a fixed sampler of fake data.

    Parameters
    ----------
    phi : dict
        Initial discriminator weights (not changed).
    sample_real, sample_fake : callable (rng, n) -> ndarray of shape (n, D)
    rng : numpy.random.Generator
    n_steps, batch_size : int
    learning_rate : float
        Adam step size (beta1 = 0.5).
    activation : {"tanh", "leaky_relu"}

    Returns
    -------
    phi : dict
        Trained weights.
    loss_history : ndarray, shape (n_steps,)
        The batch loss L_D before each step.
    """
    if n_steps < 1 or batch_size < 1:
        raise ValueError(f"n_steps and batch_size must be positive, got {n_steps} and {batch_size}")
    state = adam_init(phi)
    loss_history = np.empty(n_steps)
    for step in range(n_steps):
        loss, grads = discriminator_loss(phi, sample_real(rng, batch_size), sample_fake(rng, batch_size), activation)
        phi, state = adam_step(phi, grads, state, learning_rate)
        loss_history[step] = loss
    return phi, loss_history


def train_gan(
    theta: dict[str, np.ndarray],
    phi: dict[str, np.ndarray],
    sample_real: Callable[[np.random.Generator, int], np.ndarray],
    rng: np.random.Generator,
    *,
    n_steps: int,
    batch_size: int,
    learning_rate_generator: float,
    learning_rate_discriminator: float,
    n_discriminator_steps: int = 1,
    loss: str = "non_saturating",
    activation: str = "tanh",
    optimizer: str = "adam",
    callback: Callable[[int, dict[str, np.ndarray], dict[str, np.ndarray]], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Train a GAN with alternating updates: n_discriminator_steps of D, then one step of G.

    Parameters
    ----------
    theta, phi : dict
        Initial generator and discriminator weights (not changed).
    sample_real : callable (rng, n) -> ndarray of shape (n, D)
        Draws a batch of real data.
    rng : numpy.random.Generator
    n_steps : int
        Number of generator steps.
    batch_size : int
        N = M, the size of every real and latent batch.
    learning_rate_generator, learning_rate_discriminator : float
        Separate step sizes for the two players.
    n_discriminator_steps : int
        Discriminator steps before each generator step.
    loss : {"minimax", "non_saturating"}
        The generator's loss.
    activation : {"tanh", "leaky_relu"}
    optimizer : {"adam", "sgd"}
        Adam with beta1 = 0.5 [3], or plain gradient descent, for both players.
    callback : callable (step, theta, phi) -> None, optional
        Called before the first step and after every generator step, for snapshots.

    Returns
    -------
    theta, phi : dict
        Trained weights.
    history : dict of ndarray, each shape (n_steps,)
        ``discriminator_loss`` (the last D step's batch loss), ``generator_loss`` and
        ``generator_grad_norm`` (the Euclidean norm of all of G's gradients) per generator step.

    Notes
    -----
    .. math:: \\phi \\leftarrow \\phi - \\eta_D \\nabla_\\phi L_D,\\qquad
              \\theta \\leftarrow \\theta - \\eta_G \\nabla_\\theta L_G

    These are the SGD updates; Adam replaces each gradient by its bias-corrected moment ratio. The
    loop is Algorithm 1 of [1], with Adam or plain SGD in place of momentum SGD.
    """
    _check_choice("loss", loss, GENERATOR_LOSSES)
    _check_choice("optimizer", optimizer, OPTIMIZERS)
    step_function = adam_step if optimizer == "adam" else sgd_step
    for name, value in [("n_steps", n_steps), ("batch_size", batch_size), ("n_discriminator_steps", n_discriminator_steps)]:
        if value < 1:
            raise ValueError(f"{name} must be positive, got {value}")
    K = theta["W1"].shape[0]
    history = {name: np.empty(n_steps) for name in ("discriminator_loss", "generator_loss", "generator_grad_norm")}
    state_generator, state_discriminator = adam_init(theta), adam_init(phi)
    if callback is not None:
        callback(0, theta, phi)

    # HINT: draw fresh real data and noise for every step, and treat the generated batch as a constant for D.
    raise NotImplementedError("train_gan: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# The Dirac-GAN
# ---------------------------------------------------------------------------------------------


def dirac_gan_vector_field(
    theta: np.ndarray, psi: np.ndarray, gamma: float = 0.0, loss: str = "minimax"
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate the Dirac-GAN's simultaneous gradient field (the update direction of both players).

    The data are a point mass at 0, the generator a point mass at theta, and the discriminator's
    logit is a(x) = psi x. Each player descends its own loss.

    Parameters
    ----------
    theta, psi : ndarray, any shape (the same for both)
        Generator and discriminator parameters; arrays give the field on a grid.
    gamma : float
        Weight of the R1 penalty (gamma / 2) psi^2 added to the discriminator's loss.
    loss : {"minimax", "non_saturating"}
        The generator's loss.

    Returns
    -------
    theta_velocity, psi_velocity : ndarray, the shape of `theta`
        -dL_G/dtheta and -dL_D/dpsi.

    Notes
    -----
    With :math:`L_D = \\ln 2 + \\operatorname{softplus}(\\psi\\theta) + \\tfrac\\gamma2 \\psi^2`,
    :math:`L_G^\\text{minimax} = -\\operatorname{softplus}(\\psi\\theta)` and
    :math:`L_G^\\text{NS} = \\operatorname{softplus}(-\\psi\\theta)`:

    .. math:: \\dot\\theta = \\psi\\,\\sigma(\\psi\\theta)\\ \\text{(minimax)}\\ \\text{or}\\
              \\psi\\,\\sigma(-\\psi\\theta)\\ \\text{(NS)},\\qquad
              \\dot\\psi = -\\theta\\,\\sigma(\\psi\\theta) - \\gamma\\psi

    The only equilibrium is (0, 0), where the generator matches the data ([4], Def. 2.1).
    """
    _check_choice("loss", loss, GENERATOR_LOSSES)
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative, got {gamma}")
    theta, psi = np.broadcast_arrays(np.asarray(theta, dtype=float), np.asarray(psi, dtype=float))

    # HINT: the fake sample's logit is psi * theta, and the real sample's logit is always 0.
    raise NotImplementedError("dirac_gan_vector_field: write this part of the exercise")


def dirac_gan_jacobian(theta: float, psi: float, gamma: float = 0.0, loss: str = "minimax") -> np.ndarray:
    """Differentiate the Dirac-GAN's gradient field at one point; returns shape (2, 2).

    Rows are (theta_velocity, psi_velocity), columns (theta, psi).

    Notes
    -----
    At the equilibrium both losses give

    .. math:: J(0, 0) = \\begin{pmatrix} 0 & \\tfrac12 \\\\ -\\tfrac12 & -\\gamma \\end{pmatrix},\\qquad
              \\lambda = \\frac{-\\gamma \\pm \\sqrt{\\gamma^2 - 1}}{2}

    so without the penalty the eigenvalues are +-i/2 (a centre, on which simultaneous gradient
    steps spiral outward), and with gamma > 0 both real parts are negative (-gamma/2 for gamma <= 1) [4].
    """
    _check_choice("loss", loss, GENERATOR_LOSSES)
    if gamma < 0:
        raise ValueError(f"gamma must be non-negative, got {gamma}")

    raise NotImplementedError("dirac_gan_jacobian: write this part of the exercise")


def simulate_dirac_gan(
    theta0: float,
    psi0: float,
    *,
    step_size: float,
    n_steps: int,
    gamma: float = 0.0,
    loss: str = "minimax",
    update: str = "simultaneous",
) -> np.ndarray:
    """Run gradient descent on the Dirac-GAN and return the trajectory, shape (n_steps + 1, 2).

    Parameters
    ----------
    theta0, psi0 : float
        Starting point.
    step_size : float
        The learning rate h of both players.
    n_steps : int
    gamma : float
        R1 penalty weight.
    loss : {"minimax", "non_saturating"}
    update : {"simultaneous", "alternating"}
        Simultaneous steps move both players from the same point; alternating steps move the
        discriminator first and then the generator against the new discriminator.

    Notes
    -----
    .. math:: (\\theta, \\psi)_{k+1} = (\\theta, \\psi)_k + h\\, v\\bigl((\\theta, \\psi)_k\\bigr)

    Near the equilibrium a simultaneous step multiplies the distance from it by
    :math:`|1 + h\\lambda| = \\sqrt{1 + h^2/4} > 1` when gamma = 0 [4].
    """
    _check_choice("update", update, DIRAC_UPDATES)
    if step_size <= 0 or n_steps < 1:
        raise ValueError(f"step_size and n_steps must be positive, got {step_size} and {n_steps}")
    trajectory = np.empty((n_steps + 1, 2))
    trajectory[0] = theta0, psi0

    raise NotImplementedError("simulate_dirac_gan: write this part of the exercise")
