"""Time Kalman filter plus RTS smoother for T = 10,000 steps: sessions/kalman-particle/filters.py against filterpy and pykalman.

Run from the repository root:

    python benchmarks/kalman-particle.py

The model is the 2-D constant-velocity tracking model (M = 4 states, D = 2 observations) with every
observation present. Each implementation runs filter and smoother on the same data several times, and
the minimum wall time is reported, because other processes only ever add time. filterpy and pykalman
come with the project's `test` extra. The script also checks
that the three agree on the smoothed means before it prints the ratios.
"""

import time
import warnings
from pathlib import Path

import numpy as np

from filterpy.kalman import KalmanFilter as FilterpyKalman
from pykalman import KalmanFilter as PykalmanKalman

from mlseminar.modules import load_module

filters = load_module(Path(__file__).resolve().parent.parent / "sessions" / "kalman-particle" / "filters.py")

T = 10_000
REPEATS = 5


def best_times(functions, repeats):
    """Call each function `repeats` times, interleaved, and return each one's minimum wall time.

    Interleaving spreads changes in the machine's load over all implementations alike.
    """
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def main():
    F, H, Q, R = filters.constant_velocity_model(dt=1.0, q=0.05, r=4.0)
    m0, P0 = np.zeros(4), np.diag([25.0, 25.0, 4.0, 4.0])
    _, Y = filters.sample_linear_gaussian(F, H, Q, R, m0, P0, T, np.random.default_rng(0))

    # every 10th row missing interrupts the reuse of the converged covariances, which is the slow path
    Y_missing = Y.copy()
    Y_missing[::10] = np.nan

    def ours(observations=Y):
        return filters.rts_smoother(filters.kalman_filter(observations, F, H, Q, R, m0, P0), F).means

    def with_filterpy():
        peer = FilterpyKalman(dim_x=4, dim_z=2)
        peer.F, peer.H, peer.Q, peer.R = F, H, Q, R
        peer.x, peer.P = m0.copy(), P0.copy()
        means, covs, _, _ = peer.batch_filter(Y, update_first=True)
        return peer.rts_smoother(means, covs)[0]

    def with_pykalman():
        peer = PykalmanKalman(
            transition_matrices=F,
            observation_matrices=H,
            transition_covariance=Q,
            observation_covariance=R,
            initial_state_mean=m0,
            initial_state_covariance=P0,
        )
        # pykalman's smooth runs its own filter first, so one call times both passes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return peer.smooth(Y)[0]

    # the peers must compute the same smoothed means before their times mean anything
    reference = ours()
    np.testing.assert_allclose(with_filterpy(), reference, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(with_pykalman(), reference, rtol=1e-8, atol=1e-8)

    timings = best_times(
        {
            "mlseminar (numpy)": ours,
            "mlseminar, 10% missing": lambda: ours(Y_missing),
            "filterpy": with_filterpy,
            "pykalman": with_pykalman,
        },
        REPEATS,
    )
    ours_time = timings["mlseminar (numpy)"]
    print(f"Kalman filter + RTS smoother, T = {T}, M = 4, D = 2, minimum of {REPEATS} interleaved runs")
    for name, seconds in timings.items():
        print(f"  {name:24s} {seconds * 1e3:9.1f} ms   {seconds / ours_time:6.1f} x ours")


if __name__ == "__main__":
    main()
