"""The benchmark harness's correctness check, on this process's backend (no timing).

``benchmarks/run.py`` refuses to time a workload unless the hand-written
native model (``benchmarks/native.py``), started from kfacade's initial
weights, computes the same first-step loss (or, for predict and the eager
call, the same outputs) as kfacade within 1e-5 (under a mixed dtype policy,
against the framework's own mixed precision, within
``workloads.MIXED_CHECK_TOLERANCE``). This runs that check for every workload
at tiny sizes, so a change to kfacade or to a baseline that makes them compute
different things fails here rather than in a benchmark.
"""
import os
import sys

import numpy as np
import pytest

import kfacade

BENCHMARKS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks")
sys.path.insert(0, BENCHMARKS)
import bench_worker  # noqa: E402
import workloads  # noqa: E402

BACKEND = kfacade.backend.backend()
#: float16 baselines the frameworks cannot run on a CPU (their GPU kernels exist):
#: the harness reports such a row as failed instead of timing it.
CPU_FLOAT16_GAPS = {
    ("torch", "lstm_fit"): "torch's CPU LSTM kernel (oneDNN) has no float16; cuDNN's has",
    ("jax", "transformer_fit"): "XLA's CPU dot_general has no float16 x float16 -> float32 "
                                "(jax.nn.dot_product_attention's); the GPU's has",
}


@pytest.mark.parametrize("workload", workloads.WORKLOADS)
def test_native_and_kfacade_agree_on_the_first_step(workload):
    _, weights, check = workloads.keras_side(kfacade, workload, "tiny")
    _, native_check, _ = workloads.native_side(BACKEND, workload, "tiny", weights)
    assert np.all(np.isfinite(check))
    assert workloads.check_difference(check, native_check) <= workloads.CHECK_TOLERANCE


@pytest.mark.parametrize("policy", ["mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("workload", workloads.WORKLOADS)
def test_native_amp_and_kfacade_agree_on_the_first_step(workload, policy):
    """Under a mixed policy kfacade computes what the framework's own mixed
    precision does (``run.py --policy``), to the half dtype's roundings."""
    gap = CPU_FLOAT16_GAPS.get((BACKEND, workload))
    if policy == "mixed_float16" and gap and bench_worker.device_name(BACKEND) == "cpu":
        pytest.skip(f"no float16 kernel on this CPU: {gap}")
    _, weights, check = workloads.keras_side(kfacade, workload, "tiny", policy=policy)
    assert kfacade.mixed_precision.global_policy().name == "float32"  # restored
    _, native_check, _ = workloads.native_side(BACKEND, workload, "tiny", weights, policy)
    assert np.all(np.isfinite(check))
    assert workloads.check_difference(check, native_check) <= workloads.check_tolerance(policy)


@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_the_check_catches_different_models(policy):
    """Different weights give a different first-step loss: the check is not vacuous."""
    _, weights, check = workloads.keras_side(kfacade, "mlp_fit", "tiny", policy=policy)
    weights[0] = weights[0] * 2.0
    _, native_check, _ = workloads.native_side(BACKEND, "mlp_fit", "tiny", weights, policy)
    assert workloads.check_difference(check, native_check) > workloads.check_tolerance(policy)


def test_a_cpu_run_hides_the_gpus_from_every_framework():
    """``run.py --device cpu`` compares CPU against CPU on a GPU machine too:
    kfacade's torch adapter, and JAX, would otherwise pick the GPU."""
    import run

    env = run.device_env("cpu")
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["JAX_PLATFORMS"] == "cpu"
    # On a GPU the workers share the device: JAX and TF must not grab it whole.
    assert run.device_env("gpu") == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false",
                                     "TF_FORCE_GPU_ALLOW_GROWTH": "true"}


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
