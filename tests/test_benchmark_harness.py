"""The benchmark harness's correctness check, on this process's backend (no timing).

``benchmarks/run.py`` refuses to time a workload unless the hand-written
native model (``benchmarks/native.py``), started from kfacade's initial
weights, computes the same first-step loss (or, for predict and the eager
call, the same outputs) as kfacade within 1e-5. This runs that check for
every workload at tiny sizes, so a change to kfacade or to a baseline that
makes them compute different things fails here rather than in a benchmark.
"""
import os
import sys

import numpy as np
import pytest

import kfacade

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
sys.path.insert(0, BENCHMARKS)
import workloads  # noqa: E402

BACKEND = kfacade.backend.backend()


@pytest.mark.parametrize("workload", workloads.WORKLOADS)
def test_native_and_kfacade_agree_on_the_first_step(workload):
    _, weights, check = workloads.keras_side(kfacade, workload, "tiny")
    _, native_check, _ = workloads.native_side(BACKEND, workload, "tiny", weights)
    assert np.all(np.isfinite(check))
    assert workloads.check_difference(check, native_check) <= workloads.CHECK_TOLERANCE


def test_the_check_catches_different_models():
    """Different weights give a different first-step loss: the check is not vacuous."""
    _, weights, check = workloads.keras_side(kfacade, "mlp_fit", "tiny")
    weights[0] = weights[0] * 2.0
    _, native_check, _ = workloads.native_side(BACKEND, "mlp_fit", "tiny", weights)
    assert workloads.check_difference(check, native_check) > workloads.CHECK_TOLERANCE


@pytest.mark.parametrize("sides", [["kfacade", "native", "keras3"], ["kfacade", "native"]])
def test_every_side_follows_every_other_equally_often(sides):
    """Within each worker generation's share of the default run's rounds,
    each ordered pair of sides is adjacent equally often: what one side leaves on the host (threads
    winding down, memory being freed) falls on each other side alike."""
    import collections

    import run

    config = workloads.SIZES["default"]
    pairs = [(a, b) for a in sides for b in sides if a != b]
    for rounds in (config["rounds"], config["short_rounds"]):
        # Each generation of workers runs its own share of the rounds.
        shares = run.generation_orders(sides, rounds, config["generations"])
        assert sum(len(share) for share in shares) == rounds
        for share in shares:
            follows = collections.Counter()
            for order in share:
                assert sorted(order) == sorted(sides)
                follows.update(zip(order, order[1:]))
            assert set(follows) == set(pairs)
            assert len(set(follows[pair] for pair in pairs)) == 1


def test_a_kfacade_side_that_cannot_start_stops_the_run(tmp_path):
    """Every row is a ratio to kfacade: without its worker the run says why
    and stops, rather than failing each row's setup and then crashing."""
    import run

    with pytest.raises(RuntimeError, match="kfacade worker cannot start .*no_such_backend"):
        run.bench_backend("no_such_backend", ["mlp_fit", "first_epoch"], "tiny", 1, False,
                          str(tmp_path))
