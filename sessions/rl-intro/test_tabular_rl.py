"""Tests of the tabular RL session: exact linear solves, the 4x3 world, gymnasium's models, learners."""

import numpy as np
import pytest

from mlseminar.testing import load_sibling

rl = load_sibling(__file__, "tabular_rl")

# Each environment with the discount used in the tests. The slippery grid, the cliff and the random
# walk are episodic tasks with gamma = 1. The gridworld pays only at the goal, so it needs gamma < 1.
ENVIRONMENTS = {
    "gridworld": (rl.make_gridworld, 0.9),
    "slippery_grid": (rl.make_slippery_grid, 1.0),
    "cliff": (rl.make_cliff_walking, 1.0),
    "random_walk": (rl.RandomWalk, 1.0),
}


def exact_policy_values(env, pi, gamma):
    """Solve (I - gamma P_pi) V = r_pi on the non-terminal states, with V = 0 on terminal states."""
    P_pi = np.einsum("sa,sat->st", pi, env.P)
    r_pi = np.einsum("sa,sat,sat->s", pi, env.P, env.R)
    live = ~env.terminal
    V = np.zeros(env.n_states)
    V[live] = np.linalg.solve(np.eye(live.sum()) - gamma * P_pi[np.ix_(live, live)], r_pi[live])
    return V


def cells_of(env, path):
    return [tuple(int(x) for x in env.cells[s]) for s in path]


# ---------------------------------------------------------------------------------------------
# Environments
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_transition_rows_sum_to_one(name):
    env = ENVIRONMENTS[name][0]()
    np.testing.assert_allclose(env.P.sum(axis=2), 1.0, rtol=0, atol=1e-12)
    assert np.all(env.P >= 0)
    for s in np.flatnonzero(env.terminal):
        np.testing.assert_array_equal(env.P[s, :, s], 1.0)
        np.testing.assert_array_equal(env.R[s], 0.0)


@pytest.mark.parametrize(
    ("name", "pairs"),
    [
        # (row, col, action) on the 4x3 world: open cell, cell beside the wall, cell beside the -1 exit.
        ("slippery_grid", [(2, 0, rl.UP), (1, 2, rl.LEFT), (2, 3, rl.UP)]),
        # On the slippery cliff, RIGHT from the start either falls (-100) or bumps the edge (-1),
        # and both outcomes end in the start cell.
        ("slippery_cliff", [(2, 1, rl.DOWN), (3, 0, rl.RIGHT)]),
    ],
)
def test_step_samples_from_model(name, pairs):
    env = rl.make_slippery_grid() if name == "slippery_grid" else rl.make_cliff_walking(slip=2 / 3)
    n_draws = 20_000
    env.reset(seed=12345)
    for row, col, action in pairs:
        state = env.state_of(row, col)
        counts = np.zeros(env.n_states)
        reward_sums = np.zeros(env.n_states)
        for _ in range(n_draws):
            env.reset(options={"state": state})
            next_state, reward, terminated, truncated, info = env.step(action)
            counts[next_state] += 1
            reward_sums[next_state] += reward
            assert terminated == env.terminal[next_state]
            assert info["prob"] == env.P[state, action, next_state]
        p = env.P[state, action]
        # A frequency is a binomial mean with standard deviation sqrt(p (1 - p) / n) <= 0.5 / sqrt(n);
        # five standard deviations give a false failure rate below 1e-6 per entry.
        np.testing.assert_allclose(counts / n_draws, p, rtol=0, atol=5 * np.sqrt(0.25 / n_draws))
        assert np.all(counts[p == 0] == 0)

        # The mean reward per successor estimates R[s, a, s']. Rewards on one (s, a, s') take at most
        # two values 99 apart (cliff and step), so the standard deviation is at most 49.5 / sqrt(count).
        seen = counts > 0
        mean_rewards = reward_sums[seen] / counts[seen]
        atol = 5 * 49.5 / np.sqrt(counts[seen]) if name == "slippery_cliff" else np.full(seen.sum(), 1e-12)
        assert np.all(np.abs(mean_rewards - env.R[state, action, seen]) <= atol)


def test_slippery_cliff_samples_each_outcome():
    # RIGHT from the start: the intended move falls into the cliff (-100) and a slip down bumps the
    # edge (-1). Both land in the start cell, and step must return one of the two rewards, never
    # their mean.
    env = rl.make_cliff_walking(slip=2 / 3)
    start = env.state_of(3, 0)
    env.reset(seed=5)
    rewards = set()
    for _ in range(200):
        env.reset(options={"state": start})
        next_state, reward, _, _, _ = env.step(rl.RIGHT)
        if next_state == start:
            rewards.add(reward)
    assert rewards == {-1.0, -100.0}


def test_random_walk_step_frequencies():
    env = rl.RandomWalk()
    env.reset(seed=7)
    n_draws = 20_000
    lefts = 0
    for _ in range(n_draws):
        state, _ = env.reset()
        assert state == 3
        next_state, _, _, _, _ = env.step(0)
        lefts += next_state == 2
    # Action 0 moves left with probability 1.
    assert lefts == n_draws


def test_reset_and_step_return_gymnasium_tuples():
    env = rl.make_gridworld(max_steps=3)
    state, info = env.reset(seed=0)
    assert isinstance(state, int) and isinstance(info, dict)
    assert env.codes[state] == "S"
    outputs = [env.step(rl.LEFT) for _ in range(3)]
    for next_state, reward, terminated, truncated, info in outputs:
        assert isinstance(next_state, int) and isinstance(reward, float)
        assert terminated is False
    assert [out[3] for out in outputs] == [False, False, True]


def test_reset_seed_repeats_episode():
    env = rl.make_slippery_grid()
    episodes = []
    for _ in range(2):
        env.reset(seed=42)
        episodes.append([env.step(rl.UP)[0] for _ in range(20)])
    assert episodes[0] == episodes[1]


def test_cliff_matches_gymnasium():
    gym_cliff = pytest.importorskip("gymnasium.envs.toy_text.cliffwalking")
    for slippery in (False, True):
        peer = gym_cliff.CliffWalkingEnv(is_slippery=slippery)
        env = rl.make_cliff_walking(slip=2 / 3 if slippery else 0.0)
        assert env.n_states == peer.observation_space.n
        assert env.n_actions == peer.action_space.n
        # gymnasium also defines moves out of the goal and the cliff cells, but an episode never
        # moves out of them: it ends at the goal and leaves a cliff cell at once for the start.
        # Only the other states are compared.
        for s in range(env.n_states):
            if env.codes[s] in "GC":
                continue
            for a in range(env.n_actions):
                # Compare probabilities and probability-weighted rewards, because a fall and a
                # bump can both end in the start cell with different rewards.
                P_peer, PR_peer = np.zeros(env.n_states), np.zeros(env.n_states)
                for prob, next_state, reward, terminated in peer.P[s][a]:
                    P_peer[next_state] += prob
                    PR_peer[next_state] += prob * reward
                    assert env.terminal[next_state] == terminated
                np.testing.assert_allclose(env.P[s, a], P_peer, rtol=0, atol=1e-12)
                np.testing.assert_allclose(env.P[s, a] * env.R[s, a], PR_peer, rtol=0, atol=1e-12)


def test_frozen_lake_matches_gymnasium():
    gym_lake = pytest.importorskip("gymnasium.envs.toy_text.frozen_lake")
    layout = ["SFFF", "FHFH", "FFFH", "HFFG"]
    peer = gym_lake.FrozenLakeEnv(desc=layout, is_slippery=True)
    env = rl.GridWorld(
        [row.replace("F", ".").replace("H", "X") for row in layout],
        slip=2 / 3,
        step_reward=0.0,
        goal_reward=1.0,
        trap_reward=0.0,
    )
    # FrozenLake numbers its actions left, down, right, up.
    ours_of_peer = [rl.LEFT, rl.DOWN, rl.RIGHT, rl.UP]
    for s in range(env.n_states):
        for peer_action, a in enumerate(ours_of_peer):
            P_peer, PR_peer = np.zeros(env.n_states), np.zeros(env.n_states)
            for prob, next_state, reward, terminated in peer.P[s][peer_action]:
                P_peer[next_state] += prob
                PR_peer[next_state] += prob * reward
                assert env.terminal[next_state] == terminated
            np.testing.assert_allclose(env.P[s, a], P_peer, rtol=0, atol=1e-12)
            np.testing.assert_allclose(env.P[s, a] * env.R[s, a], PR_peer, rtol=0, atol=1e-12)


def test_gridworld_rejects_bad_layout():
    with pytest.raises(ValueError, match="layout"):
        rl.GridWorld(["..", "..."])
    with pytest.raises(ValueError, match="layout"):
        rl.GridWorld([".Z"])
    with pytest.raises(ValueError, match="slip"):
        rl.GridWorld(["SG"], slip=1.5)
    with pytest.raises(ValueError, match="terminal_mode"):
        rl.GridWorld(["SG"], terminal_mode="never")


def test_tabular_env_rejects_bad_model():
    P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    R = np.zeros_like(P)
    # A terminal state must be absorbing with zero reward.
    with pytest.raises(ValueError, match="terminal"):
        rl.TabularEnv(P, R + 1.0, terminal=[False, True], initial=[1.0, 0.0])
    # Outcome tables whose probabilities do not add up to P.
    outcomes = (np.full((2, 1, 1), 1.0), np.zeros((2, 1, 1), dtype=int), np.zeros((2, 1, 1)))
    with pytest.raises(ValueError, match="outcomes"):
        rl.TabularEnv(P, R, terminal=[False, True], initial=[1.0, 0.0], outcomes=outcomes)


def test_step_rejects_bad_action():
    env = rl.RandomWalk()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(2)


# ---------------------------------------------------------------------------------------------
# Dynamic programming
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_policy_evaluation_matches_linear_solve(name, rng):
    make_env, gamma = ENVIRONMENTS[name]
    env = make_env()
    # A random stochastic policy. The cliff gets gamma = 0.95 because with gamma = 1 a random policy
    # needs over 10^5 sweeps there (the spectral radius of its P_pi is 0.9998).
    gamma = 0.95 if name == "cliff" else gamma
    pi = rng.dirichlet(np.ones(env.n_actions), size=env.n_states)
    V, n_sweeps = rl.policy_evaluation(env.P, env.R, pi, gamma, tol=1e-13)
    np.testing.assert_allclose(V, exact_policy_values(env, pi, gamma), rtol=0, atol=1e-8)
    assert n_sweeps > 1


def test_policy_evaluation_random_mdp(rng):
    n_states, n_actions, gamma = 6, 3, 0.8
    P = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    R = rng.normal(size=(n_states, n_actions, n_states))
    pi = rng.dirichlet(np.ones(n_actions), size=n_states)
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = np.einsum("sa,sat,sat->s", pi, P, R)
    expected = np.linalg.solve(np.eye(n_states) - gamma * P_pi, r_pi)
    V, _ = rl.policy_evaluation(P, R, pi, gamma)
    np.testing.assert_allclose(V, expected, rtol=0, atol=1e-8)
    np.testing.assert_allclose(rl.solve_policy_values(P, R, pi, gamma), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_solve_policy_values_matches_linear_solve(name, rng):
    make_env, gamma = ENVIRONMENTS[name]
    env = make_env()
    pi = rng.dirichlet(np.ones(env.n_actions), size=env.n_states)
    V = rl.solve_policy_values(env.P, env.R, pi, gamma)
    np.testing.assert_allclose(V, exact_policy_values(env, pi, gamma), rtol=1e-10, atol=1e-10)


def test_action_values_one_step():
    # Two states, one action: state 0 moves to 1 with reward 2 or stays with reward -1.
    P = np.array([[[0.25, 0.75]], [[0.0, 1.0]]])
    R = np.array([[[-1.0, 2.0]], [[0.0, 0.0]]])
    V = np.array([4.0, 10.0])
    Q = rl.action_values(P, R, V, 0.5)
    expected = 0.25 * (-1.0 + 0.5 * 4.0) + 0.75 * (2.0 + 0.5 * 10.0)
    np.testing.assert_allclose(Q[:, 0], [expected, 5.0], rtol=0, atol=1e-12)


def test_epsilon_greedy_matrix_splits_ties():
    Q = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 0.0, 0.0, 0.0]])
    pi = rl.epsilon_greedy_matrix(Q, 0.2)
    expected = np.array([[0.05, 0.45, 0.45, 0.05], [0.85, 0.05, 0.05, 0.05]])
    np.testing.assert_allclose(pi, expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", sorted(ENVIRONMENTS))
def test_value_and_policy_iteration_agree(name):
    make_env, gamma = ENVIRONMENTS[name]
    env = make_env()
    # With gamma = 1 every inner state of the random walk has V* = 1, so "left" ties with "right" and
    # a greedy policy may walk left and right forever. Discounting breaks the tie.
    gamma = 0.9 if name == "random_walk" else gamma
    V_vi, policy_vi, _ = rl.value_iteration(env.P, env.R, gamma, tol=1e-13)
    V_pi, policy_pi, _ = rl.policy_iteration(env.P, env.R, gamma)
    np.testing.assert_allclose(V_vi, V_pi, rtol=0, atol=1e-8)

    # Bellman optimality: V*(s) = max_a sum_s' p(s' | s, a) [r + gamma V*(s')].
    Q = np.einsum("sat,sat->sa", env.P, env.R + gamma * V_pi[None, None, :])
    np.testing.assert_allclose(Q.max(axis=1), V_pi, rtol=0, atol=1e-9)

    # Both policies are optimal: their exact values equal V*. Ties may make them differ elsewhere.
    for policy in (policy_vi, policy_pi):
        pi = np.eye(env.n_actions)[policy]
        np.testing.assert_allclose(exact_policy_values(env, pi, gamma), V_pi, rtol=0, atol=1e-8)


def test_value_iteration_on_4x3_world():
    env = rl.make_slippery_grid()
    V, _, _ = rl.value_iteration(env.P, env.R, 1.0)
    # Utilities of the classic 4x3 world, rows from the top, with (row, col) counted from the top-left.
    expected = {
        (0, 0): 0.812, (0, 1): 0.868, (0, 2): 0.918,
        (1, 0): 0.762, (1, 2): 0.660,
        (2, 0): 0.705, (2, 1): 0.655, (2, 2): 0.611, (2, 3): 0.388,
    }  # fmt: skip
    for (row, col), value in expected.items():
        np.testing.assert_allclose(V[env.state_of(row, col)], value, rtol=0, atol=5e-4)
    assert V[env.state_of(0, 3)] == 1.0
    assert V[env.state_of(1, 3)] == -1.0


def test_value_iteration_rejects_bad_gamma():
    env = rl.RandomWalk()
    with pytest.raises(ValueError, match="gamma"):
        rl.value_iteration(env.P, env.R, 1.5)
    with pytest.raises(ValueError, match="P"):
        rl.value_iteration(env.P[:, :, :-1], env.R, 0.9)


def test_policy_evaluation_leaves_inputs_unchanged(rng):
    env = rl.make_slippery_grid()
    pi = rng.dirichlet(np.ones(env.n_actions), size=env.n_states)
    P, R, pi_copy = env.P.copy(), env.R.copy(), pi.copy()
    rl.policy_evaluation(env.P, env.R, pi, 1.0)
    rl.policy_iteration(env.P, env.R, 1.0)
    np.testing.assert_array_equal(env.P, P)
    np.testing.assert_array_equal(env.R, R)
    np.testing.assert_array_equal(pi, pi_copy)


# ---------------------------------------------------------------------------------------------
# Learning from episodes
# ---------------------------------------------------------------------------------------------


def test_td0_single_update():
    # One inner state between two terminals; always move right and receive 1.
    env = rl.RandomWalk(n_inner=1)
    pi = np.array([[0.5, 0.5], [0.0, 1.0], [0.5, 0.5]])
    history = rl.td0_prediction(env, pi, 1, 0.1, 1.0, np.random.default_rng(0), V0=np.array([0.0, 0.5, 0.0]))
    np.testing.assert_allclose(history[1], [0.0, 0.5 + 0.1 * (1.0 - 0.5), 0.0], rtol=0, atol=1e-15)


def self_loop_env():
    """State 0 loops to itself with reward 1 and is truncated after 3 steps; state 1 is terminal."""
    P = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
    R = np.array([[[1.0, 0.0]], [[0.0, 0.0]]])
    return rl.TabularEnv(P, R, terminal=[False, True], initial=[1.0, 0.0], max_steps=3)


def test_mc_prediction_uses_first_visit():
    # Rewards 1, 1, 1 with gamma = 0.5: the return after the first visit is 1 + 0.5 + 0.25 = 1.75,
    # while the later visits have returns 1.5 and 1. With alpha = 1 the estimate equals that return.
    history = rl.mc_prediction(self_loop_env(), np.ones((2, 1)), 1, 1.0, 0.5, np.random.default_rng(0))
    np.testing.assert_allclose(history[1], [1.75, 0.0], rtol=0, atol=1e-15)


def test_mc_control_uses_first_visit():
    Q, returns = rl.mc_control(self_loop_env(), 2, 0.5, 0.0, np.random.default_rng(0))
    np.testing.assert_allclose(Q, [[1.75], [0.0]], rtol=0, atol=1e-15)
    np.testing.assert_allclose(returns, [3.0, 3.0], rtol=0, atol=0)


def test_td0_random_walk_converges(rng):
    env = rl.RandomWalk()
    pi = np.full((env.n_states, env.n_actions), 0.5)
    V0 = np.array([0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.0])
    history = rl.td0_prediction(env, pi, 4000, 0.02, 1.0, rng, V0=V0)
    # Constant-alpha TD(0) fluctuates around the true values with a standard deviation of about
    # sqrt(alpha / 2) * 0.5 = 0.05; averaging the last 2000 episodes (about 40 independent stretches
    # of 1 / alpha episodes) brings that below 0.01, so 0.03 is three standard deviations.
    estimate = history[2001:].mean(axis=0)
    np.testing.assert_allclose(estimate[1:-1], np.arange(1, 6) / 6, rtol=0, atol=0.03)
    np.testing.assert_array_equal(estimate[[0, -1]], 0.0)


def test_mc_prediction_random_walk_converges(rng):
    env = rl.RandomWalk()
    pi = np.full((env.n_states, env.n_actions), 0.5)
    history = rl.mc_prediction(env, pi, 4000, 0.02, 1.0, rng, V0=np.full(env.n_states, 0.5))
    # Same averaging argument as for TD(0); Monte Carlo targets are 0 or 1, so their standard
    # deviation is at most 0.5 and the same 0.03 bound holds.
    estimate = history[2001:].mean(axis=0)
    np.testing.assert_allclose(estimate[1:-1], np.arange(1, 6) / 6, rtol=0, atol=0.03)


def test_q_learning_cliff_path_is_optimal(rng):
    env = rl.make_cliff_walking()
    Q, returns, _ = rl.q_learning(env, 500, 0.2, 1.0, 0.1, rng)
    path = rl.greedy_path(env, rl.greedy_policy(Q))
    # Up one row, 11 steps right along the edge, one step down to the goal.
    assert len(path) - 1 == 13
    assert cells_of(env, path)[1] == (2, 0)
    assert returns.shape == (500,)


def test_sarsa_cliff_path_avoids_edge(rng):
    env = rl.make_cliff_walking()
    # Step sizes 0.5 / sqrt(n(s, a)) damp the noise that a constant step size leaves in Q: over 12
    # seeds every greedy path kept off the edge, against about one in ten with alpha = 0.2 constant.
    Q, _, _ = rl.sarsa(env, 1000, 0.5, 1.0, 0.1, rng, alpha_decay=0.5)
    path = rl.greedy_path(env, rl.greedy_policy(Q))
    cells = cells_of(env, path)
    assert cells[-1] == (3, 11)
    # Edge cells lie directly above the cliff: row 2, columns 1 to 10.
    edge_cells = [(row, col) for row, col in cells if row == 2 and 1 <= col <= 10]
    assert edge_cells == []
    assert len(path) - 1 > 13


def test_sarsa_earns_more_online_than_q_learning():
    env = rl.make_cliff_walking()
    _, sarsa_returns, _ = rl.sarsa(env, 500, 0.2, 1.0, 0.1, np.random.default_rng(3))
    _, q_returns, _ = rl.q_learning(env, 500, 0.2, 1.0, 0.1, np.random.default_rng(3))
    # Q-learning's path along the edge falls off under exploration: about 1 step in 10 is random and
    # a quarter of those step down, costing 100, so its mean return is lower by tens.
    assert sarsa_returns[-200:].mean() > q_returns[-200:].mean() + 10


@pytest.mark.slow
def test_q_learning_matches_value_iteration_on_4x3(rng):
    env = rl.make_slippery_grid()
    _, policy_vi, _ = rl.value_iteration(env.P, env.R, 1.0)
    # Off-policy: act uniformly at random (epsilon = 1) and learn the greedy values, with step sizes
    # 1 / n(s, a)^0.8 that meet the Robbins-Monro conditions. Several states have two actions
    # within 0.02 of each other, and their Q estimates need many samples. In 6 seeds each, 20,000
    # and 25,000 episodes always gave value iteration's policy. 8,000 episodes missed it in 2 of 8 seeds.
    Q, _, _ = rl.q_learning(env, 20_000, 1.0, 1.0, 1.0, rng, alpha_decay=0.8)
    policy_q = rl.greedy_policy(Q)
    inner = [s for s in range(env.n_states) if env.codes[s] in ".S"]
    np.testing.assert_array_equal(policy_q[inner], policy_vi[inner])


def test_mc_control_finds_shortest_path(rng):
    env = rl.make_open_grid(4, max_steps=200)
    Q, returns = rl.mc_control(env, 600, 0.9, 0.1, rng)
    path = rl.greedy_path(env, rl.greedy_policy(Q))
    # From the bottom-left to the top-right corner of a 4x4 grid takes 6 moves.
    assert len(path) - 1 == 6
    assert returns.shape == (600,)


def test_q_learning_runs_on_gymnasium_env(rng):
    gym_cliff = pytest.importorskip("gymnasium.envs.toy_text.cliffwalking")
    peer = gym_cliff.CliffWalkingEnv()
    Q, _, _ = rl.q_learning(peer, 500, 0.2, 1.0, 0.1, rng)
    # Both environments number states and actions the same way, so our model can follow the policy.
    path = rl.greedy_path(rl.make_cliff_walking(), rl.greedy_policy(Q))
    assert len(path) - 1 == 13


def test_learners_reject_bad_arguments(rng):
    env = rl.RandomWalk()
    with pytest.raises(ValueError, match="alpha"):
        rl.q_learning(env, 10, 0.0, 1.0, 0.1, rng)
    with pytest.raises(ValueError, match="epsilon"):
        rl.sarsa(env, 10, 0.1, 1.0, 1.5, rng)
    with pytest.raises(ValueError, match="n_episodes"):
        rl.mc_control(env, 0, 1.0, 0.1, rng)
    with pytest.raises(ValueError, match="pi"):
        rl.td0_prediction(env, np.ones((7, 2)), 10, 0.1, 1.0, rng)
