"""Tests for the cart-pole task, the network gradients, DQN and REINFORCE."""

import warnings

import numpy as np
import pytest
from scipy.special import log_softmax as scipy_log_softmax

from mlseminar.testing import check_gradients, load_sibling, numerical_gradient

deep_rl = load_sibling(__file__, "deep_rl")


def balancing_action(state: np.ndarray) -> int:
    """Linear state feedback that keeps the pole up for 500 steps from small start states."""
    x, x_dot, theta, theta_dot = state
    return int(10.0 * theta + 2.0 * theta_dot + 0.5 * x + 1.0 * x_dot > 0)


# ---------------------------------------------------------------------------------------------
# Cart-pole
# ---------------------------------------------------------------------------------------------


def test_dynamics_match_gymnasium_state_for_state(rng):
    pytest.importorskip("gymnasium")
    from gymnasium.envs.classic_control.cartpole import CartPoleEnv

    # Random actions make the pole fall within a few dozen steps, so the 200 steps also cover
    # large angles and fast spins. The raw environment keeps integrating after termination.
    reference = CartPoleEnv()
    reference.reset(seed=0)
    start = rng.uniform(-0.05, 0.05, size=4)
    reference.state = start.copy()
    actions = rng.integers(0, 2, size=200)

    state = start
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for t, action in enumerate(actions):
            _, _, reference_terminated, _, _ = reference.step(int(action))
            state = deep_rl.cartpole_dynamics(state, np.asarray(action))
            # Same float64 formulas in the same order; 1e-9 leaves room for rounding grown by chaos.
            np.testing.assert_allclose(state, reference.state, rtol=1e-9, atol=1e-12, err_msg=f"step {t}")
            assert bool(deep_rl.cartpole_terminated(state)) == reference_terminated, f"step {t}"


def test_env_step_matches_gymnasium_cartpole_v1(rng):
    gymnasium = pytest.importorskip("gymnasium")
    reference = gymnasium.make("CartPole-v1")
    reference.reset(seed=0)
    start = rng.uniform(-0.05, 0.05, size=4)
    reference.unwrapped.state = start.copy()
    env = deep_rl.CartPole()
    observation, _ = env.reset(rng, state=start)

    for t in range(200):
        action = balancing_action(observation)
        observation, reward, terminated, truncated, _ = env.step(action)
        reference_obs, reference_reward, reference_terminated, reference_truncated, _ = reference.step(action)
        # gymnasium returns float32 observations: compare at float32 resolution.
        np.testing.assert_allclose(observation, reference_obs, rtol=1e-6, atol=1e-6, err_msg=f"step {t}")
        np.testing.assert_allclose(env.state, reference.unwrapped.state, rtol=1e-12, atol=1e-14)
        assert reward == reference_reward
        assert terminated == reference_terminated
        assert truncated == reference_truncated


def test_env_truncates_at_500_steps(rng):
    env = deep_rl.CartPole()
    observation, _ = env.reset(rng)
    flags = []
    for _ in range(500):
        observation, _, terminated, truncated, _ = env.step(balancing_action(observation))
        flags.append((terminated, truncated))
    assert flags[:-1] == [(False, False)] * 499
    assert flags[-1] == (False, True)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_env_terminates_past_limits():
    assert bool(deep_rl.cartpole_terminated(np.array([2.41, 0.0, 0.0, 0.0])))
    assert bool(deep_rl.cartpole_terminated(np.array([0.0, 0.0, -0.21, 0.0])))
    assert not bool(deep_rl.cartpole_terminated(np.array([2.39, 5.0, 0.2, 5.0])))


def test_run_episodes_match_single_env(rng):
    # The lockstep runner must give the same trajectory as stepping CartPole by hand.
    episodes = deep_rl.run_episodes(lambda states, rng: np.array([balancing_action(s) for s in states]), 3, rng, 60)
    for episode in episodes:
        env = deep_rl.CartPole(max_episode_steps=60)
        observation, _ = env.reset(rng, state=episode["states"][0])
        for t, action in enumerate(episode["actions"]):
            np.testing.assert_allclose(observation, episode["states"][t], rtol=0, atol=1e-15)
            observation, _, terminated, truncated, _ = env.step(action)
        assert episode["truncated"] == truncated
        assert len(episode["rewards"]) == 60


def test_dynamics_rejects_bad_action():
    with pytest.raises(ValueError, match="action"):
        deep_rl.cartpole_dynamics(np.zeros(4), np.asarray(2))


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def test_log_softmax_matches_scipy(rng):
    logits = rng.normal(scale=50.0, size=(6, 3))
    np.testing.assert_allclose(deep_rl.log_softmax(logits), scipy_log_softmax(logits, axis=-1), rtol=1e-12, atol=1e-12)


def test_huber_values_and_derivative():
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    expected = np.array([2.5, 0.5, 0.125, 0.0, 0.125, 0.5, 2.5])
    np.testing.assert_allclose(deep_rl.huber(x, 1.0), expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(deep_rl.huber_derivative(x, 1.0), np.clip(x, -1, 1), rtol=0, atol=0)
    np.testing.assert_allclose(deep_rl.huber(np.array([4.0]), 2.0), [2.0 * (4.0 - 1.0)], rtol=0, atol=1e-15)


def test_discounted_returns_brute_force(rng):
    rewards = rng.normal(size=7)
    gamma = 0.9
    expected = [sum(gamma**k * rewards[t + k] for k in range(7 - t)) for t in range(7)]
    np.testing.assert_allclose(deep_rl.discounted_returns(rewards, gamma), expected, rtol=1e-12, atol=1e-12)


def test_epsilon_schedule_endpoints():
    assert deep_rl.epsilon_schedule(0, 1.0, 0.1, 100) == 1.0
    assert deep_rl.epsilon_schedule(50, 1.0, 0.1, 100) == pytest.approx(0.55, abs=1e-12)
    assert deep_rl.epsilon_schedule(10_000, 1.0, 0.1, 100) == pytest.approx(0.1, abs=1e-12)


def test_replay_buffer_overwrites_oldest(rng):
    buffer = deep_rl.ReplayBuffer(capacity=3, state_dim=1)
    for i in range(5):
        buffer.add([i], i % 2, float(i), [i + 1], i == 4)
    assert buffer.size == 3
    assert sorted(buffer.rewards.tolist()) == [2.0, 3.0, 4.0]
    states, actions, rewards, next_states, terminated = buffer.sample(200, rng)
    np.testing.assert_array_equal(next_states[:, 0], states[:, 0] + 1)
    np.testing.assert_array_equal(actions, rewards.astype(int) % 2)
    np.testing.assert_array_equal(terminated, rewards == 4.0)


# ---------------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def minibatch(rng):
    N = 9
    return {
        "states": rng.normal(size=(N, 4)),
        "actions": rng.integers(0, 2, size=N),
        # Rewards of scale 3 put some TD errors inside and some outside the Huber zone |x| <= 1.
        "rewards": 3.0 * rng.normal(size=N),
        "next_states": rng.normal(size=(N, 4)),
        "terminated": rng.random(N) < 0.3,
    }


def test_td_targets_by_hand(rng, minibatch):
    target = deep_rl.init_mlp([4, 5, 2], rng)
    targets = deep_rl.td_targets(
        target, minibatch["rewards"], minibatch["next_states"], minibatch["terminated"], 0.9
    )
    for i in range(len(targets)):
        hidden = np.tanh(minibatch["next_states"][i] @ target["W1"] + target["b1"])
        best = np.max(hidden @ target["W2"] + target["b2"])
        expected = minibatch["rewards"][i] + (0.0 if minibatch["terminated"][i] else 0.9 * best)
        np.testing.assert_allclose(targets[i], expected, rtol=1e-12, atol=1e-12)


def test_dqn_loss_gradient(rng, minibatch):
    params = deep_rl.init_mlp([4, 5, 6, 2], rng)
    target = deep_rl.init_mlp([4, 5, 6, 2], rng)
    args = (minibatch["states"], minibatch["actions"], minibatch["rewards"], minibatch["next_states"], minibatch["terminated"], 0.95)
    _, grads = deep_rl.dqn_loss_and_grad(params, target, *args)

    def loss(p):
        return deep_rl.dqn_loss_and_grad(p, target, *args)[0]

    check_gradients(loss, params, grads, rtol=1e-5, atol=1e-8)


def test_dqn_loss_matches_huber_of_td_error(rng, minibatch):
    params = deep_rl.init_mlp([4, 5, 2], rng)
    target = deep_rl.init_mlp([4, 5, 2], rng)
    args = (minibatch["rewards"], minibatch["next_states"], minibatch["terminated"], 0.95)
    loss, _ = deep_rl.dqn_loss_and_grad(params, target, minibatch["states"], minibatch["actions"], *args)
    q, _ = deep_rl.mlp_forward(params, minibatch["states"])
    errors = q[np.arange(9), minibatch["actions"]] - deep_rl.td_targets(target, *args)
    assert np.any(np.abs(errors) > 1.0)
    assert np.any(np.abs(errors) < 1.0)
    expected = np.mean(np.where(np.abs(errors) <= 1.0, 0.5 * errors**2, np.abs(errors) - 0.5))
    np.testing.assert_allclose(loss, expected, rtol=1e-12, atol=0)


def test_reinforce_surrogate_gradient(rng):
    params = deep_rl.init_mlp([4, 5, 6, 2], rng)
    states = rng.normal(size=(11, 4))
    actions = rng.integers(0, 2, size=11)
    advantages = rng.normal(size=11)
    _, grads = deep_rl.reinforce_surrogate_and_grad(params, states, actions, advantages)

    def surrogate(p):
        return deep_rl.reinforce_surrogate_and_grad(p, states, actions, advantages)[0]

    check_gradients(surrogate, params, grads, rtol=1e-5, atol=1e-8)


def test_reinforce_gradient_three_actions(rng):
    params = deep_rl.init_mlp([4, 3, 3], rng)
    states = rng.normal(size=(5, 4))
    actions = rng.integers(0, 3, size=5)
    advantages = rng.normal(size=5)
    _, grads = deep_rl.reinforce_surrogate_and_grad(params, states, actions, advantages)
    check_gradients(
        lambda p: deep_rl.reinforce_surrogate_and_grad(p, states, actions, advantages)[0], params, grads
    )


def test_baseline_loss_gradient(rng):
    params = deep_rl.init_mlp([4, 5, 1], rng)
    states = rng.normal(size=(7, 4))
    returns = 10.0 * rng.normal(size=7)
    _, grads = deep_rl.baseline_loss_and_grad(params, states, returns)
    check_gradients(lambda p: deep_rl.baseline_loss_and_grad(p, states, returns)[0], params, grads)


# ---------------------------------------------------------------------------------------------
# Unbiasedness of the REINFORCE estimator on a two-armed bandit
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("baseline", [0.0, 0.7])
def test_reinforce_unbiased_on_bandit(rng, baseline):
    # One constant state, two arms with Gaussian rewards of means 1 and 0 and unit variance.
    arm_means = np.array([1.0, 0.0])
    params = deep_rl.init_mlp([1, 3, 2], rng)
    state = np.ones((1, 1))

    def expected_reward(p):
        logits, _ = deep_rl.mlp_forward(p, state)
        return float(np.exp(deep_rl.log_softmax(logits))[0] @ arm_means)

    # Exact policy gradient: finite differences of the closed-form expected reward.
    exact = {}
    for key in params:
        exact[key] = numerical_gradient(lambda value, key=key: expected_reward({**params, key: value}), params[key])

    # Same thing for the output bias from the softmax formula pi * (mu - pi . mu).
    logits, _ = deep_rl.mlp_forward(params, state)
    pi = np.exp(deep_rl.log_softmax(logits))[0]
    np.testing.assert_allclose(exact["b2"], pi * (arm_means - pi @ arm_means), rtol=1e-7, atol=1e-10)

    # K independent batch estimates of m single-step episodes each.
    K, m = 400, 50
    estimates = {key: np.zeros((K,) + value.shape) for key, value in params.items()}
    for k in range(K):
        actions = deep_rl.sample_actions(np.repeat(logits, m, axis=0), rng)
        rewards = arm_means[actions] + rng.normal(size=m)
        _, grads = deep_rl.reinforce_surrogate_and_grad(params, np.ones((m, 1)), actions, rewards - baseline)
        for key in params:
            estimates[key][k] = grads[key]

    # The K batch means are i.i.d., so their mean has standard error std / sqrt(K). With 17
    # coordinates, a 4-standard-error band fails by chance with probability below 1e-3.
    for key in params:
        mean = estimates[key].mean(axis=0)
        standard_error = estimates[key].std(axis=0, ddof=1) / np.sqrt(K)
        assert np.all(np.abs(mean - exact[key]) <= 4.0 * standard_error + 1e-12), key
    # Power check: the exact gradient of the output bias is many standard errors from zero.
    b2_standard_error = estimates["b2"].std(axis=0, ddof=1) / np.sqrt(K)
    assert np.all(np.abs(exact["b2"]) > 8.0 * b2_standard_error)


def test_sample_actions_frequencies(rng):
    logits = np.log(np.array([[0.2, 0.5, 0.3]]))
    actions = deep_rl.sample_actions(np.repeat(logits, 20000, axis=0), rng)
    frequencies = np.bincount(actions, minlength=3) / 20000
    # Binomial standard error is at most sqrt(0.25 / 20000) = 0.0035; allow 5 of them.
    np.testing.assert_allclose(frequencies, [0.2, 0.5, 0.3], rtol=0, atol=0.018)


# ---------------------------------------------------------------------------------------------
# Short training runs against a random policy
# ---------------------------------------------------------------------------------------------

# A uniformly random policy earns about 22 per episode with a standard deviation of about 11, so
# the mean of 200 episodes has a standard error of about 0.8. A margin of 25 demands a policy that
# balances more than twice as long as chance. A policy no better than random would need a
# 30-standard-error fluke to pass, but any policy that reacts to the pole's angle clears it easily.
# The baseline test recomputes the standard error to keep that argument honest.
MARGIN = 25.0
N_EVAL = 200


@pytest.fixture(scope="module")
def random_returns():
    episodes = deep_rl.run_episodes(deep_rl.random_policy, N_EVAL, np.random.default_rng(7))
    return np.array([len(episode["rewards"]) for episode in episodes], dtype=float)


def test_random_policy_baseline(random_returns):
    standard_error = random_returns.std(ddof=1) / np.sqrt(N_EVAL)
    assert 18.0 < random_returns.mean() < 26.0
    assert MARGIN > 20 * standard_error


def test_reinforce_short_run_beats_random(random_returns):
    rng = np.random.default_rng(1)
    params, history = deep_rl.train_reinforce(rng, max_episodes=120, solved_return=None)
    assert len(history["episode_returns"]) == 120
    episodes = deep_rl.run_episodes(deep_rl.stochastic_policy(params), N_EVAL, rng)
    trained = np.mean([len(episode["rewards"]) for episode in episodes])
    assert trained > random_returns.mean() + MARGIN


def test_dqn_short_run_beats_random(random_returns):
    rng = np.random.default_rng(1)
    params, _ = deep_rl.train_dqn(rng, n_steps=3000, epsilon_decay_steps=1500)
    episodes = deep_rl.run_episodes(deep_rl.greedy_q_policy(params), N_EVAL, rng)
    trained = np.mean([len(episode["rewards"]) for episode in episodes])
    assert trained > random_returns.mean() + MARGIN


def test_reinforce_stops_when_solved():
    _, history = deep_rl.train_reinforce(np.random.default_rng(0), max_episodes=3000)
    solved = history["solved_episode"]
    assert solved is not None
    assert len(history["episode_returns"]) == solved
    assert np.mean(history["episode_returns"][-100:]) >= 195.0
    assert np.mean(history["episode_returns"][-101:-1]) < 195.0


def test_adam_first_step_is_signed_learning_rate(rng):
    # After one step the bias-corrected moments are g and g^2, so each entry moves by lr * g / (|g| + eps).
    params = deep_rl.init_mlp([3, 4, 2], rng)
    grads = {key: rng.normal(size=value.shape) for key, value in params.items()}
    before = {key: value.copy() for key, value in params.items()}
    new_params, state = deep_rl.adam_step(params, grads, deep_rl.adam_init(params), learning_rate=0.1)
    for key in params:
        expected = before[key] - 0.1 * grads[key] / (np.abs(grads[key]) + 1e-8)
        np.testing.assert_allclose(new_params[key], expected, rtol=1e-12, atol=1e-12, err_msg=key)
        np.testing.assert_array_equal(params[key], before[key], err_msg=f"{key} changed in place")
    assert state["t"] == 1


def test_losses_leave_inputs_unchanged(rng, minibatch):
    params = deep_rl.init_mlp([4, 5, 2], rng)
    target = deep_rl.init_mlp([4, 5, 2], rng)
    copies = {key: value.copy() for key, value in minibatch.items()}
    deep_rl.dqn_loss_and_grad(params, target, *minibatch.values(), 0.9)
    deep_rl.reinforce_surrogate_and_grad(params, minibatch["states"], minibatch["actions"], minibatch["rewards"])
    for key, value in minibatch.items():
        np.testing.assert_array_equal(value, copies[key], err_msg=key)
