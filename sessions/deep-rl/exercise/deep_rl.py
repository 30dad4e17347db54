"""Value-based and policy-gradient deep reinforcement learning on cart-pole, in numpy.

The module contains the cart-pole balancing task with the reset/step interface of gymnasium, and
a multilayer perceptron with a hand-written backward pass trained by Adam. On top of these it builds
deep Q-learning (DQN) with experience replay, a target network, an epsilon-greedy schedule and the
Huber loss [1, 2], and REINFORCE with a learned state-value baseline [3]. Every gradient is derived
by hand, and the tests check each one against central finite differences.

References
----------
1. Mnih, V. et al. (2013). Playing Atari with Deep Reinforcement Learning. NIPS Deep Learning
   Workshop. https://arxiv.org/abs/1312.5602
2. Mnih, V. et al. (2015). Human-level control through deep reinforcement learning. Nature
   518:529-533. https://doi.org/10.1038/nature14236
3. Williams, R. J. (1992). Simple statistical gradient-following algorithms for connectionist
   reinforcement learning. Machine Learning 8(3-4):229-256. https://doi.org/10.1007/BF00992696
4. gymnasium 1.x, `gymnasium/envs/classic_control/cartpole.py` (CartPole-v1). Its docstring
   attributes the task to Barto, Sutton and Anderson (1983), "Neuronlike adaptive elements that
   can solve difficult learning control problems"; the equations of motion, limits and step cap
   here follow that file, and the tests compare the two state for state.

Notation
--------
S : state dimension (4 for cart-pole: cart position, cart velocity, pole angle, angular velocity)
A : number of discrete actions (2 for cart-pole: push left, push right)
N : batch size (transitions, time steps or parallel environments)
T : length of one episode
O : output dimension of a network (A for the Q-network and the policy, 1 for the baseline)
D_l : width of layer l of a network (D_0 = S is the input, D_L = O the output)
H : step cap of an episode (500 for CartPole-v1)
M : number of states kept when comparing Q-estimates with realised returns
s, a, r : state (S,), action (integer in 0..A-1) and reward of one time step
gamma : discount factor
Q(s, a) : action value; V(s) : state value; pi(a | s) : policy probability
G_t : discounted return from time t, sum_k gamma^k r_{t+k}
theta : all parameters of a network, stored as a dict {"W1": (D_0, D_1), "b1": (D_1,), ...}
"""

from __future__ import annotations

import numpy as np

# Cart-pole constants in SI units, the values of gymnasium's CartPole-v1.
GRAVITY = 9.8
CART_MASS = 1.0
POLE_MASS = 0.1
TOTAL_MASS = CART_MASS + POLE_MASS
POLE_HALF_LENGTH = 0.5
POLE_MASS_LENGTH = POLE_MASS * POLE_HALF_LENGTH
FORCE_MAGNITUDE = 10.0
TIME_STEP = 0.02
X_THRESHOLD = 2.4
THETA_THRESHOLD = 12 * 2 * np.pi / 360
MAX_EPISODE_STEPS = 500
STATE_DIM = 4
N_ACTIONS = 2


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Compute log-probabilities from logits along the last axis, stably.

    Parameters
    ----------
    logits : ndarray, shape (..., A)

    Returns
    -------
    ndarray, shape (..., A)

    Notes
    -----
    $\\log \\mathrm{softmax}(z)_a = z_a - m - \\log \\sum_b e^{z_b - m}$ with $m = \\max_b z_b$.
    Subtracting the maximum keeps every exponent at or below zero, so nothing overflows.
    """
    shifted = logits - np.max(logits, axis=-1, keepdims=True)  # (..., A)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))  # (..., A)


def huber(x: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Evaluate the Huber function elementwise.

    Parameters
    ----------
    x : ndarray, any shape
        Residuals, for DQN the temporal-difference errors $Q(s, a) - y$.
    delta : float
        Width of the quadratic zone; must be positive.

    Returns
    -------
    ndarray, same shape as `x`

    Notes
    -----
    $h_\\delta(x) = \\tfrac12 x^2$ for $|x| \\le \\delta$, else $\\delta (|x| - \\tfrac12 \\delta)$.
    Its derivative is $\\mathrm{clip}(x, -\\delta, \\delta)$, so one large error cannot produce a
    large gradient step; this is the error clipping of Mnih et al. (2015).
    """
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}")
    raise NotImplementedError("huber: write this part of the exercise")


def huber_derivative(x: np.ndarray, delta: float = 1.0) -> np.ndarray:
    """Evaluate the derivative of the Huber function elementwise (see `huber`).

    Parameters
    ----------
    x : ndarray, any shape
    delta : float

    Returns
    -------
    ndarray, same shape as `x`
    """
    if delta <= 0:
        raise ValueError(f"delta must be positive, got {delta}")
    raise NotImplementedError("huber_derivative: write this part of the exercise")


def discounted_returns(rewards: np.ndarray, gamma: float) -> np.ndarray:
    """Compute the discounted return from every time step of one episode.

    Parameters
    ----------
    rewards : ndarray, shape (T,)
    gamma : float
        Discount factor in [0, 1].

    Returns
    -------
    ndarray, shape (T,)

    Notes
    -----
    $G_t = r_t + \\gamma G_{t+1}$ with $G_T = 0$: the backward recursion costs O(T) instead of the
    O(T^2) of summing each tail separately.
    """
    rewards = np.asarray(rewards, dtype=float)
    if rewards.ndim != 1:
        raise ValueError(f"rewards must have shape (T,), got {rewards.shape}")
    if not 0.0 <= gamma <= 1.0:
        raise ValueError(f"gamma must lie in [0, 1], got {gamma}")
    # HINT: walk backwards through the episode, carrying the return of the next step.
    raise NotImplementedError("discounted_returns: write this part of the exercise")


# ---------------------------------------------------------------------------------------------
# Cart-pole
# ---------------------------------------------------------------------------------------------


def cartpole_dynamics(state: np.ndarray, action: np.ndarray) -> np.ndarray:
    """Advance cart-pole states by one explicit-Euler step of 0.02 s.

    Parameters
    ----------
    state : ndarray, shape (S,) or (N, S)
        Cart position x (m), cart velocity (m/s), pole angle theta (rad, 0 is upright) and
        angular velocity (rad/s).
    action : int or ndarray of int, shape () or (N,)
        1 pushes the cart right with 10 N, 0 pushes it left.

    Returns
    -------
    ndarray, same shape as `state`

    Notes
    -----
    With $F = \\pm 10$ N, $m_p$ the pole mass, $M$ the total mass and $l$ the half pole length,

    $$\\ddot\\theta = \\frac{g \\sin\\theta - \\cos\\theta\\,
      (F + m_p l \\dot\\theta^2 \\sin\\theta) / M}{l\\,(4/3 - m_p \\cos^2\\theta / M)}, \\qquad
      \\ddot x = \\frac{F + m_p l \\dot\\theta^2 \\sin\\theta}{M}
      - \\frac{m_p l \\ddot\\theta \\cos\\theta}{M},$$

    followed by an explicit Euler step: positions move with the old velocities, velocities with
    the new accelerations. The equations ignore friction, as gymnasium's CartPole-v1 does.
    """
    state = np.asarray(state, dtype=float)
    action = np.asarray(action)
    if state.shape[-1:] != (STATE_DIM,) or state.ndim > 2:
        raise ValueError(f"state must have shape (4,) or (N, 4), got {state.shape}")
    if action.shape != state.shape[:-1]:
        raise ValueError(f"action must have shape {state.shape[:-1]} to match state, got {action.shape}")
    if np.any((action != 0) & (action != 1)):
        raise ValueError(f"action must be 0 (push left) or 1 (push right), got {action}")
    raise NotImplementedError("cartpole_dynamics: write this part of the exercise")


def cartpole_terminated(state: np.ndarray) -> np.ndarray:
    """Report whether the cart has left the track or the pole has fallen past 12 degrees.

    Parameters
    ----------
    state : ndarray, shape (S,) or (N, S)

    Returns
    -------
    bool or ndarray of bool, shape () or (N,)
    """
    state = np.asarray(state, dtype=float)
    x = state[..., 0]
    theta = state[..., 2]
    return (np.abs(x) > X_THRESHOLD) | (np.abs(theta) > THETA_THRESHOLD)


class CartPole:
    """Cart-pole balancing task with gymnasium's `reset`/`step` interface.

    Each step earns reward 1, including the step on which the pole falls. An episode terminates
    when |x| > 2.4 m or |theta| > 12 degrees, and is truncated after `max_episode_steps` steps.

    Unlike gymnasium, `reset` takes a `numpy.random.Generator` instead of an integer seed,
    observations are float64 copies of the state rather than float32, and `step` after the end of
    an episode raises a RuntimeError instead of warning.

    Parameters
    ----------
    max_episode_steps : int
        Step cap; 500 as in CartPole-v1.
    """

    def __init__(self, max_episode_steps: int = MAX_EPISODE_STEPS):
        if max_episode_steps < 1:
            raise ValueError(f"max_episode_steps must be at least 1, got {max_episode_steps}")
        self.max_episode_steps = int(max_episode_steps)
        self.state: np.ndarray | None = None
        self.elapsed_steps = 0
        self.done = True

    def reset(self, rng: np.random.Generator, *, state: np.ndarray | None = None) -> tuple[np.ndarray, dict]:
        """Start an episode from a uniform draw in [-0.05, 0.05]^4, or from `state` if given.

        Returns
        -------
        observation : ndarray, shape (S,)
        info : dict
            Empty, as in gymnasium.
        """
        if state is None:
            self.state = rng.uniform(-0.05, 0.05, size=STATE_DIM)
        else:
            state = np.array(state, dtype=float)
            if state.shape != (STATE_DIM,):
                raise ValueError(f"state must have shape (4,), got {state.shape}")
            self.state = state
        self.elapsed_steps = 0
        self.done = False
        return self.state.copy(), {}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        """Apply one action and return (observation, reward, terminated, truncated, info)."""
        if self.done or self.state is None:
            raise RuntimeError("step called on a finished episode; call reset first")
        self.state = cartpole_dynamics(self.state, np.asarray(int(action)))
        self.elapsed_steps += 1
        terminated = bool(cartpole_terminated(self.state))
        truncated = self.elapsed_steps >= self.max_episode_steps
        self.done = terminated or truncated
        return self.state.copy(), 1.0, terminated, truncated, {}


def run_episodes(policy, n_episodes: int, rng: np.random.Generator, max_episode_steps: int = MAX_EPISODE_STEPS):
    """Run several cart-pole episodes in lockstep with a batched policy.

    Parameters
    ----------
    policy : callable
        `policy(states, rng)` maps states (N, S) to integer actions (N,).
    n_episodes : int
        Number of episodes N, all started at once.
    rng : numpy.random.Generator
    max_episode_steps : int

    Returns
    -------
    list of dict
        One dict per episode with "states" (T, S), "actions" (T,) and "rewards" (T,), and the
        flag "truncated" (True if the episode hit the step cap instead of terminating).
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be at least 1, got {n_episodes}")
    states = rng.uniform(-0.05, 0.05, size=(n_episodes, STATE_DIM))
    active = np.ones(n_episodes, dtype=bool)
    lengths = np.zeros(n_episodes, dtype=int)
    terminated = np.zeros(n_episodes, dtype=bool)
    state_log = np.zeros((max_episode_steps, n_episodes, STATE_DIM))
    action_log = np.zeros((max_episode_steps, n_episodes), dtype=int)

    for t in range(max_episode_steps):
        if not active.any():
            break

        # Step only the episodes that are still running; finished ones keep their last state.
        index = np.flatnonzero(active)
        actions = np.asarray(policy(states[index], rng), dtype=int)  # (n_active,)
        state_log[t, index] = states[index]
        action_log[t, index] = actions
        states[index] = cartpole_dynamics(states[index], actions)
        lengths[index] += 1
        fallen = cartpole_terminated(states[index])
        terminated[index] = fallen
        active[index[fallen]] = False

    episodes = []
    for i in range(n_episodes):
        T = lengths[i]
        episodes.append(
            {
                "states": state_log[:T, i].copy(),  # (T, S)
                "actions": action_log[:T, i].copy(),  # (T,)
                "rewards": np.ones(T),
                "truncated": bool(not terminated[i]),
            }
        )
    return episodes


def random_policy(states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Choose left or right with probability 1/2 each, for states (N, S); returns (N,)."""
    return rng.integers(0, N_ACTIONS, size=len(states))


# ---------------------------------------------------------------------------------------------
# Multilayer perceptron
# ---------------------------------------------------------------------------------------------


def init_mlp(layer_sizes: list[int], rng: np.random.Generator, output_scale: float = 1.0) -> dict[str, np.ndarray]:
    """Draw the weights of a tanh multilayer perceptron.

    Parameters
    ----------
    layer_sizes : list of int
        Widths [D_0, D_1, ..., D_L]: input, hidden layers, output.
    rng : numpy.random.Generator
    output_scale : float
        Multiplies the last layer's weights; a small value starts a policy near uniform.

    Returns
    -------
    dict
        "W{l}" of shape (D_{l-1}, D_l) with entries N(0, 1/D_{l-1}) and zero biases "b{l}" of shape
        (D_l,), for l = 1..L.
    """
    if len(layer_sizes) < 2 or min(layer_sizes) < 1:
        raise ValueError(f"layer_sizes must list at least two positive widths, got {layer_sizes}")
    params = {}
    n_layers = len(layer_sizes) - 1
    for layer in range(1, n_layers + 1):
        fan_in, fan_out = layer_sizes[layer - 1], layer_sizes[layer]
        scale = output_scale if layer == n_layers else 1.0
        params[f"W{layer}"] = scale * rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)
        params[f"b{layer}"] = np.zeros(fan_out)
    return params


def _n_layers(params: dict[str, np.ndarray]) -> int:
    return sum(1 for key in params if key.startswith("W"))


def mlp_forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Evaluate the network on a batch, keeping the activations for the backward pass.

    Parameters
    ----------
    params : dict
        As returned by `init_mlp`.
    X : ndarray, shape (N, D_0)

    Returns
    -------
    output : ndarray, shape (N, O)
        Linear output of the last layer.
    cache : list of ndarray
        Inputs of every layer: [X, h_1, ..., h_{L-1}], each (N, D_l).

    Notes
    -----
    $h_0 = X$, $h_l = \\tanh(h_{l-1} W_l + b_l)$ for $l < L$, and $f(X) = h_{L-1} W_L + b_L$.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != params["W1"].shape[0]:
        raise ValueError(f"X must have shape (N, {params['W1'].shape[0]}), got {X.shape}")
    raise NotImplementedError("mlp_forward: write this part of the exercise")


def mlp_backward(params: dict[str, np.ndarray], cache: list[np.ndarray], d_output: np.ndarray) -> dict[str, np.ndarray]:
    """Backpropagate the gradient of a scalar loss through the network.

    Parameters
    ----------
    params : dict
    cache : list of ndarray
        From `mlp_forward` on the same parameters.
    d_output : ndarray, shape (N, O)
        Gradient of the loss with respect to the network's output.

    Returns
    -------
    dict
        Gradient with respect to every entry of `params`, with the same keys and shapes.

    Notes
    -----
    With $\\delta_L = \\partial\\ell / \\partial f$, each layer gives
    $\\partial\\ell/\\partial W_l = h_{l-1}^\\top \\delta_l$, $\\partial\\ell/\\partial b_l = \\sum_n \\delta_l$,
    and $\\delta_{l-1} = (\\delta_l W_l^\\top) \\odot (1 - h_{l-1}^2)$, because
    $\\tanh' = 1 - \\tanh^2$.
    """
    # HINT: go from the last layer to the first; tanh'(z) = 1 - tanh(z)^2 = 1 - h^2.
    raise NotImplementedError("mlp_backward: write this part of the exercise")


def adam_init(params: dict[str, np.ndarray]) -> dict:
    """Create zero first and second moments for Adam, one pair per parameter array."""
    return {
        "m": {key: np.zeros_like(value) for key, value in params.items()},
        "v": {key: np.zeros_like(value) for key, value in params.items()},
        "t": 0,
    }


def adam_step(
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    state: dict,
    learning_rate: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    epsilon: float = 1e-8,
) -> tuple[dict[str, np.ndarray], dict]:
    """Take one Adam step downhill and return new parameters and optimiser state.

    Neither `params` nor `state` is changed. To ascend an objective, pass its negated gradient.

    Notes
    -----
    $m \\leftarrow \\beta_1 m + (1-\\beta_1) g$, $v \\leftarrow \\beta_2 v + (1-\\beta_2) g^2$,
    $\\theta \\leftarrow \\theta - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)$ with the bias-corrected
    $\\hat m = m / (1 - \\beta_1^t)$ and $\\hat v = v / (1 - \\beta_2^t)$ (Kingma and Ba, 2015).
    """
    t = state["t"] + 1
    new_params, new_m, new_v = {}, {}, {}
    for key, value in params.items():
        new_m[key] = beta1 * state["m"][key] + (1 - beta1) * grads[key]
        new_v[key] = beta2 * state["v"][key] + (1 - beta2) * grads[key] ** 2
        m_hat = new_m[key] / (1 - beta1**t)
        v_hat = new_v[key] / (1 - beta2**t)
        new_params[key] = value - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
    return new_params, {"m": new_m, "v": new_v, "t": t}


# ---------------------------------------------------------------------------------------------
# DQN
# ---------------------------------------------------------------------------------------------


def td_targets(
    target_params: dict[str, np.ndarray],
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
) -> np.ndarray:
    """Compute one-step Q-learning targets with the target network.

    Parameters
    ----------
    target_params : dict
        Target Q-network, a delayed copy of the online network.
    rewards : ndarray, shape (N,)
    next_states : ndarray, shape (N, S)
    terminated : ndarray of bool, shape (N,)
        True where s' is terminal. Truncated transitions are not terminal: they still bootstrap,
        because the step cap is not part of the state.
    gamma : float

    Returns
    -------
    ndarray, shape (N,)

    Notes
    -----
    $y = r + \\gamma\\, (1 - \\mathrm{terminated}) \\max_{a'} Q_{\\theta^-}(s', a')$. The max over noisy
    estimates is biased upwards, which is the source of DQN's overestimation.
    """
    raise NotImplementedError("td_targets: write this part of the exercise")


def dqn_loss_and_grad(
    params: dict[str, np.ndarray],
    target_params: dict[str, np.ndarray],
    states: np.ndarray,
    actions: np.ndarray,
    rewards: np.ndarray,
    next_states: np.ndarray,
    terminated: np.ndarray,
    gamma: float,
    delta: float = 1.0,
) -> tuple[float, dict[str, np.ndarray]]:
    """Compute the DQN Huber loss on a minibatch and its gradient with respect to `params`.

    Parameters
    ----------
    params : dict
        Online Q-network, outputs (N, A).
    target_params : dict
        Target Q-network; the loss treats its output as a constant.
    states : ndarray, shape (N, S)
    actions : ndarray of int, shape (N,)
    rewards : ndarray, shape (N,)
    next_states : ndarray, shape (N, S)
    terminated : ndarray of bool, shape (N,)
    gamma : float
    delta : float
        Huber width.

    Returns
    -------
    loss : float
    grads : dict
        Same keys and shapes as `params`.

    Notes
    -----
    $L(\\theta) = \\frac1N \\sum_i h_\\delta\\big(Q_\\theta(s_i, a_i) - y_i\\big)$ with $y_i$ from `td_targets`.
    Only the entry of the chosen action receives a gradient,
    $\\partial L / \\partial Q_\\theta(s_i, a) = [a = a_i]\\, \\mathrm{clip}(Q_\\theta(s_i, a_i) - y_i, -\\delta, \\delta) / N$.
    """
    actions = np.asarray(actions, dtype=int)
    N = len(actions)
    if np.asarray(states).shape[0] != N:
        raise ValueError(f"states must have {N} rows to match actions, got {np.asarray(states).shape}")
    raise NotImplementedError("dqn_loss_and_grad: write this part of the exercise")


def epsilon_schedule(step: int, start: float = 1.0, end: float = 0.05, decay_steps: int = 5000) -> float:
    """Anneal the exploration rate linearly from `start` to `end` over `decay_steps`, then hold it."""
    if decay_steps < 1:
        raise ValueError(f"decay_steps must be at least 1, got {decay_steps}")
    fraction = min(step / decay_steps, 1.0)
    return start + fraction * (end - start)


def epsilon_greedy(q_values: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Choose a uniformly random action with probability `epsilon`, else the greedy one.

    Parameters
    ----------
    q_values : ndarray, shape (A,)
    epsilon : float
    rng : numpy.random.Generator

    Returns
    -------
    int
    """
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


class ReplayBuffer:
    """Fixed-capacity ring buffer of transitions (s, a, r, s', terminated).

    Sampling minibatches uniformly from many past transitions breaks the correlation between
    consecutive steps that would otherwise destabilise Q-learning with a neural network.
    """

    def __init__(self, capacity: int, state_dim: int = STATE_DIM):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = int(capacity)
        self.states = np.zeros((capacity, state_dim))
        self.actions = np.zeros(capacity, dtype=int)
        self.rewards = np.zeros(capacity)
        self.next_states = np.zeros((capacity, state_dim))
        self.terminated = np.zeros(capacity, dtype=bool)
        self.size = 0
        self.position = 0

    def add(self, state, action, reward, next_state, terminated) -> None:
        """Store one transition, overwriting the oldest once the buffer is full."""
        i = self.position
        self.states[i] = state
        self.actions[i] = action
        self.rewards[i] = reward
        self.next_states[i] = next_state
        self.terminated[i] = terminated
        self.position = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Draw `batch_size` transitions uniformly with replacement.

        Returns
        -------
        states (N, S), actions (N,), rewards (N,), next_states (N, S), terminated (N,)
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer; add transitions first")
        index = rng.integers(0, self.size, size=batch_size)
        return (
            self.states[index],
            self.actions[index],
            self.rewards[index],
            self.next_states[index],
            self.terminated[index],
        )


def train_dqn(
    rng: np.random.Generator,
    n_steps: int = 20000,
    hidden: int = 64,
    gamma: float = 0.99,
    learning_rate: float = 1e-3,
    batch_size: int = 64,
    buffer_capacity: int = 20000,
    learning_starts: int = 500,
    train_every: int = 1,
    target_update_every: int = 100,
    epsilon_start: float = 1.0,
    epsilon_end: float = 0.05,
    epsilon_decay_steps: int = 5000,
    huber_delta: float = 1.0,
    eval_every: int = 0,
    n_eval_episodes: int = 5,
    max_episode_steps: int = MAX_EPISODE_STEPS,
) -> tuple[dict[str, np.ndarray], dict]:
    """Train a DQN agent on cart-pole for a fixed number of environment steps.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness: weights, start states, exploration and minibatches.
    n_steps : int
        Environment steps.
    train_every : int
        Environment steps between Adam steps once `learning_starts` steps have been taken; Mnih
        et al. (2015) used 4.
    hidden : int
        Width of each of the two hidden layers.
    target_update_every : int
        Steps between hard copies of the online network into the target network.
    eval_every : int
        If positive, every `eval_every` steps run `n_eval_episodes` greedy episodes and record the
        mean of max_a Q(s_t, a) over their states next to the mean realised discounted return G_t
        (see `evaluate_q_estimates`).

    Returns
    -------
    params : dict
        Online Q-network after training.
    history : dict
        "episode_returns" (list of float), "episode_end_steps" (environment step at which each
        episode ended), "losses" (one per update), and, with evaluation, "eval_steps",
        "eval_mean_q" and "eval_mean_return" (one float per evaluation).

    Notes
    -----
    Algorithm 1 of Mnih et al. (2013) with the separate target network of Mnih et al. (2015), and
    Adam instead of RMSProp.
    """
    if n_steps < 1:
        raise ValueError(f"n_steps must be at least 1, got {n_steps}")
    if train_every < 1:
        raise ValueError(f"train_every must be at least 1, got {train_every}")
    params = init_mlp([STATE_DIM, hidden, hidden, N_ACTIONS], rng)
    target_params = {key: value.copy() for key, value in params.items()}
    optimiser = adam_init(params)
    buffer = ReplayBuffer(buffer_capacity)
    env = CartPole(max_episode_steps)
    history = {
        "episode_returns": [],
        "episode_end_steps": [],
        "losses": [],
        "eval_steps": [],
        "eval_mean_q": [],
        "eval_mean_return": [],
    }

    state, _ = env.reset(rng)
    episode_return = 0.0
    for step in range(n_steps):
        # Act epsilon-greedily with the online network.
        q_values, _ = mlp_forward(params, state[None, :])  # (1, A)
        epsilon = epsilon_schedule(step, epsilon_start, epsilon_end, epsilon_decay_steps)
        action = epsilon_greedy(q_values[0], epsilon, rng)
        next_state, reward, terminated, truncated, _ = env.step(action)
        buffer.add(state, action, reward, next_state, terminated)
        episode_return += reward
        state = next_state
        if terminated or truncated:
            history["episode_returns"].append(episode_return)
            history["episode_end_steps"].append(step + 1)
            state, _ = env.reset(rng)
            episode_return = 0.0

        # Learn from a uniform minibatch of past transitions.
        if step >= learning_starts and step % train_every == 0:
            batch = buffer.sample(batch_size, rng)
            loss, grads = dqn_loss_and_grad(params, target_params, *batch, gamma, huber_delta)
            params, optimiser = adam_step(params, grads, optimiser, learning_rate)
            history["losses"].append(loss)

        # Freeze a copy of the online network as the new regression target.
        if (step + 1) % target_update_every == 0:
            target_params = {key: value.copy() for key, value in params.items()}

        if eval_every > 0 and (step + 1) % eval_every == 0:
            q_estimates, realised = evaluate_q_estimates(params, n_eval_episodes, gamma, rng, max_episode_steps)
            history["eval_steps"].append(step + 1)
            history["eval_mean_q"].append(float(q_estimates.mean()))
            history["eval_mean_return"].append(float(realised.mean()))
    return params, history


def greedy_q_policy(params: dict[str, np.ndarray]):
    """Wrap a Q-network as a batched greedy policy for `run_episodes`."""

    def policy(states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        q_values, _ = mlp_forward(params, states)  # (N, A)
        return np.argmax(q_values, axis=1)

    return policy


def evaluate_q_estimates(
    params: dict[str, np.ndarray],
    n_episodes: int,
    gamma: float,
    rng: np.random.Generator,
    max_episode_steps: int = MAX_EPISODE_STEPS,
) -> tuple[np.ndarray, np.ndarray]:
    """Compare the Q-network's estimates with the discounted returns its greedy policy obtains.

    Parameters
    ----------
    params : dict
        Q-network.
    n_episodes : int
        Greedy episodes to run.
    gamma : float
    rng : numpy.random.Generator
        Draws the start states.
    max_episode_steps : int
        Horizon H of the comparison.

    Returns
    -------
    q_estimates : ndarray, shape (M,)
        $\\max_a Q(s_t, a)$ at every kept state.
    realised_returns : ndarray, shape (M,)
        Discounted return $G_t$ that followed each kept state.

    Notes
    -----
    Cart-pole is deterministic and so is the greedy policy, so $G_t$ is the exact value of that
    policy at $s_t$. Episodes run for up to 2H steps; a terminated episode keeps every state, and an
    episode still running at 2H keeps only $t < H$, whose returns miss at most
    $\\gamma^H / (1 - \\gamma)$ (0.66 for gamma = 0.99 and H = 500). This matches the targets of
    `td_targets`, which bootstrap through truncation as if the episode went on.
    """
    episodes = run_episodes(greedy_q_policy(params), n_episodes, rng, 2 * max_episode_steps)
    q_estimates, realised_returns = [], []
    for episode in episodes:
        n_kept = max_episode_steps if episode["truncated"] else len(episode["rewards"])
        q_values, _ = mlp_forward(params, episode["states"][:n_kept])  # (n_kept, A)
        q_estimates.append(q_values.max(axis=1))
        realised_returns.append(discounted_returns(episode["rewards"], gamma)[:n_kept])
    return np.concatenate(q_estimates), np.concatenate(realised_returns)


# ---------------------------------------------------------------------------------------------
# REINFORCE with a learned baseline
# ---------------------------------------------------------------------------------------------


def reinforce_surrogate_and_grad(
    policy_params: dict[str, np.ndarray],
    states: np.ndarray,
    actions: np.ndarray,
    advantages: np.ndarray,
) -> tuple[float, dict[str, np.ndarray]]:
    """Compute the REINFORCE surrogate objective and its gradient, to be ascended.

    Parameters
    ----------
    policy_params : dict
        Policy network whose outputs (N, A) are logits of pi(a | s).
    states : ndarray, shape (N, S)
    actions : ndarray of int, shape (N,)
    advantages : ndarray, shape (N,)
        Constant weights G_t - b(s_t); no gradient flows through them.

    Returns
    -------
    surrogate : float
    grads : dict
        Gradient of the surrogate with respect to every entry of `policy_params`.

    Notes
    -----
    $J(\\theta) = \\frac1N \\sum_i A_i \\log \\pi_\\theta(a_i \\mid s_i)$. Its gradient is the
    likelihood-ratio estimate of the policy gradient,
    $\\nabla_\\theta \\mathbb E[G] \\approx \\frac1N \\sum_i A_i \\nabla_\\theta \\log\\pi_\\theta(a_i \\mid s_i)$,
    and with a softmax policy $\\partial \\log\\pi(a_i \\mid s_i) / \\partial z_i = e_{a_i} - \\pi(\\cdot \\mid s_i)$.
    """
    actions = np.asarray(actions, dtype=int)
    advantages = np.asarray(advantages, dtype=float)
    N = len(actions)
    if np.asarray(states).shape[0] != N or advantages.shape != (N,):
        raise ValueError(
            f"states, actions and advantages must have N = {N} rows, got {np.asarray(states).shape}, "
            f"{actions.shape} and {advantages.shape}"
        )
    # HINT: d log pi(a|s) / d logits = onehot(a) - softmax(logits).
    raise NotImplementedError("reinforce_surrogate_and_grad: write this part of the exercise")


def baseline_loss_and_grad(
    value_params: dict[str, np.ndarray], states: np.ndarray, returns: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Compute the squared-error loss of the value baseline and its gradient.

    Parameters
    ----------
    value_params : dict
        Network with one output, V(s).
    states : ndarray, shape (N, S)
    returns : ndarray, shape (N,)

    Returns
    -------
    loss : float
    grads : dict

    Notes
    -----
    $L(\\phi) = \\frac{1}{2N} \\sum_i (V_\\phi(s_i) - G_i)^2$, so $\\partial L / \\partial V_\\phi(s_i) = (V_\\phi(s_i) - G_i)/N$.
    """
    returns = np.asarray(returns, dtype=float)
    raise NotImplementedError("baseline_loss_and_grad: write this part of the exercise")


def sample_actions(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one action per row from softmax(logits) (N, A) by the Gumbel-max trick; returns (N,)."""
    gumbel = -np.log(-np.log(rng.uniform(size=logits.shape)))  # (N, A)
    return np.argmax(logits + gumbel, axis=1)


def stochastic_policy(policy_params: dict[str, np.ndarray]):
    """Wrap a policy network as a batched sampling policy for `run_episodes`."""

    def policy(states: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        logits, _ = mlp_forward(policy_params, states)  # (N, A)
        return sample_actions(logits, rng)

    return policy


def train_reinforce(
    rng: np.random.Generator,
    max_episodes: int = 2000,
    episodes_per_update: int = 8,
    hidden: int = 32,
    gamma: float = 0.99,
    policy_learning_rate: float = 0.01,
    value_learning_rate: float = 0.01,
    normalise_advantages: bool = True,
    solved_return: float | None = 195.0,
    solved_window: int = 100,
    max_episode_steps: int = MAX_EPISODE_STEPS,
) -> tuple[dict[str, np.ndarray], dict]:
    """Train a softmax policy on cart-pole with REINFORCE and a learned value baseline.

    Parameters
    ----------
    rng : numpy.random.Generator
    max_episodes : int
        Upper bound on the number of training episodes.
    episodes_per_update : int
        Episodes run in lockstep and pooled into one gradient step.
    hidden : int
        Width of the single hidden layer of both networks.
    normalise_advantages : bool
        Rescale each batch's advantages to zero mean and unit variance. The rescaling is a
        batch-dependent baseline and step size, so the estimator is no longer exactly unbiased,
        but learning is much faster.
    solved_return : float or None
        Stop as soon as the mean return of the last `solved_window` episodes reaches this value.
        None trains for `max_episodes`.

    Returns
    -------
    policy_params : dict
    history : dict
        "episode_returns" (list of float), "solved_episode" (1-based index of the episode that
        completed the criterion, or None) and "value_losses" (one per update).

    Notes
    -----
    Each update ascends $\\frac1N \\sum_t (G_t - V_\\phi(s_t)) \\nabla_\\theta \\log \\pi_\\theta(a_t \\mid s_t)$
    over all N steps of the batch (Williams, 1992), then fits $V_\\phi$ to the returns $G_t$.
    """
    if max_episodes < 1:
        raise ValueError(f"max_episodes must be at least 1, got {max_episodes}")
    policy_params = init_mlp([STATE_DIM, hidden, N_ACTIONS], rng, output_scale=0.1)
    value_params = init_mlp([STATE_DIM, hidden, 1], rng)
    policy_optimiser = adam_init(policy_params)
    value_optimiser = adam_init(value_params)
    history = {"episode_returns": [], "solved_episode": None, "value_losses": []}

    while len(history["episode_returns"]) < max_episodes:
        n_batch = min(episodes_per_update, max_episodes - len(history["episode_returns"]))
        episodes = run_episodes(stochastic_policy(policy_params), n_batch, rng, max_episode_steps)

        # Record returns one episode at a time, so the stopping rule is checked after every episode.
        for episode in episodes:
            history["episode_returns"].append(float(episode["rewards"].sum()))
            recent = history["episode_returns"][-solved_window:]
            if solved_return is not None and len(recent) == solved_window and np.mean(recent) >= solved_return:
                history["solved_episode"] = len(history["episode_returns"])
                return policy_params, history

        # Pool the batch: returns-to-go of every step, and the baseline's prediction there.
        states = np.concatenate([episode["states"] for episode in episodes])  # (N, S)
        actions = np.concatenate([episode["actions"] for episode in episodes])  # (N,)
        returns = np.concatenate([discounted_returns(episode["rewards"], gamma) for episode in episodes])  # (N,)
        values, _ = mlp_forward(value_params, states)  # (N, 1)
        advantages = returns - values[:, 0]  # (N,)
        if normalise_advantages:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

        # Policy ascent (Adam descends, so flip the gradient's sign), then the baseline regression.
        _, policy_grads = reinforce_surrogate_and_grad(policy_params, states, actions, advantages)
        negated = {key: -value for key, value in policy_grads.items()}
        policy_params, policy_optimiser = adam_step(policy_params, negated, policy_optimiser, policy_learning_rate)
        value_loss, value_grads = baseline_loss_and_grad(value_params, states, returns)
        value_params, value_optimiser = adam_step(value_params, value_grads, value_optimiser, value_learning_rate)
        history["value_losses"].append(value_loss)
    return policy_params, history
