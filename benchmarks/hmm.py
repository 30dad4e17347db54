"""Time HMM forward-backward on T = 100,000 steps against hmmlearn's compiled implementation.

Run from the repository root:

    python benchmarks/hmm.py

For K = 3 and K = 10 states with 2-D Gaussian emissions (full covariance), the script times
`GaussianHMM.posteriors` of sessions/hmm/hmm.py with the step-by-step loop and with the chunked
scan, and hmmlearn's `GaussianHMM.score_samples` on the same parameters and data. Every timing
includes evaluating the emission log-densities. Our functions also return the pairwise marginals
xi of shape (T - 1, K, K), which hmmlearn's `score_samples` does not compute. Each fast variant
runs several times and the minimum is reported, because other processes on a shared machine only
ever add time. The loop runs once, because it takes seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from mlseminar.testing import load_module

hmm = load_module(Path(__file__).resolve().parent.parent / "sessions" / "hmm" / "hmm.py")

T = 100_000
D = 2
REPEATS = 7


def min_time(function, repeats: int) -> float:
    """Return the smallest wall time in seconds over `repeats` calls of `function`."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def make_model(K: int, rng: np.random.Generator):
    A = 0.8 * np.eye(K) + 0.2 * rng.dirichlet(np.ones(K), size=K)
    factors = rng.normal(size=(K, D, D))
    Sigma = factors @ factors.transpose(0, 2, 1) / D + 0.3 * np.eye(D)  # (K, D, D)
    return hmm.GaussianHMM(pi=np.full(K, 1 / K), A=A, mu=3.0 * rng.normal(size=(K, D)), Sigma=Sigma)


def main() -> None:
    from hmmlearn import __version__ as hmmlearn_version
    from hmmlearn.hmm import GaussianHMM

    rng = np.random.default_rng(0)
    print(f"forward-backward, T = {T}, D = {D}, hmmlearn {hmmlearn_version}, numpy {np.__version__}")
    for K in (3, 10):
        model = make_model(K, rng)
        _, X = model.sample(T, rng)

        reference = GaussianHMM(n_components=K, covariance_type="full", init_params="", params="")
        reference.startprob_ = model.pi
        reference.transmat_ = model.A
        reference.means_ = model.mu
        reference.covars_ = model.Sigma

        # Warm-up calls, whose results are compared below.
        log_likelihood_ref, gamma_ref = reference.score_samples(X)
        log_likelihood_chunked, gamma_chunked, _ = model.posteriors(X, method="chunked")
        start = time.perf_counter()
        log_likelihood_loop, gamma_loop, _ = model.posteriors(X, method="loop")
        time_loop = time.perf_counter() - start

        time_ref = min_time(lambda: reference.score_samples(X), REPEATS)
        time_chunked = min_time(lambda: model.posteriors(X, method="chunked"), REPEATS)

        print(f"K = {K}")
        print(f"  hmmlearn score_samples  {time_ref * 1e3:9.1f} ms")
        print(f"  chunked scan            {time_chunked * 1e3:9.1f} ms   ratio to hmmlearn {time_chunked / time_ref:5.2f}")
        print(f"  step-by-step loop       {time_loop * 1e3:9.1f} ms   ratio to hmmlearn {time_loop / time_ref:5.2f}")
        print(
            f"  max |difference| to hmmlearn: log-likelihood chunked {abs(log_likelihood_chunked - log_likelihood_ref):.2e}, "
            f"loop {abs(log_likelihood_loop - log_likelihood_ref):.2e}; "
            f"gamma chunked {np.abs(gamma_chunked - gamma_ref).max():.2e}, loop {np.abs(gamma_loop - gamma_ref).max():.2e}"
        )


if __name__ == "__main__":
    main()
