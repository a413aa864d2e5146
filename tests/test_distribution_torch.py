"""torch's distribution: one process per device under torch.distributed (gloo on CPU).

Each job test starts two processes on loopback running
``distribution_scripts/digits_steps.py``: 10 SGD steps of the digits MLP with
and without a distribution, on the same global batches, compared by process 0.
"""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import kfacade as keras
from kfacade import distribution
from kfacade.backend import adapter as B

pytestmark = pytest.mark.skipif(
    B.name != "torch",
    reason=f"adapter {B.name!r}: these tests run torch.distributed jobs "
           f"(KERAS_BACKEND=torch runs them)")

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "distribution_scripts", "digits_steps.py")
ROOT = os.path.dirname(HERE)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_job(tmp_path, mode, *args, processes=2):
    """Runs digits_steps.py in `processes` processes; returns process 0's report."""
    port = _free_port()
    out = tmp_path / f"{mode}.json"
    addresses = ",".join(f"127.0.0.1:{port + i}" for i in range(processes))
    children = []
    for rank in range(processes):
        env = dict(os.environ, KERAS_BACKEND="torch",
                   KFACADE_ROOT=os.environ.get("KFACADE_ROOT", ROOT),
                   KFACADE_JOB_ADDRESSES=addresses, KFACADE_NUM_PROCESSES=str(processes),
                   KFACADE_PROCESS_ID=str(rank), KFACADE_COLLECTIVE_TIMEOUT="30",
                   OMP_NUM_THREADS="1")
        children.append(subprocess.Popen(
            [sys.executable, SCRIPT, mode, str(out), *args], env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = []
    try:
        for child in children:
            outputs.append(child.communicate(timeout=80)[0])
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    for rank, (child, output) in enumerate(zip(children, outputs)):
        assert child.returncode == 0, f"process {rank} exited {child.returncode}:\n{output[-3000:]}"
    return json.loads(out.read_text())


def _assert_matches_one_device(report):
    assert report["num_processes"] == 2
    # One device per process, named by its process (gloo: the CPU; nccl: a GPU each).
    assert [name.split("/")[0] for name in report["devices"]] == ["process0", "process1"]
    assert report["max_relative_difference"] < 1e-5
    for name, values in report["single_history"].items():
        np.testing.assert_allclose(report["history"][name], values, rtol=1e-5, atol=1e-6)
    for name, value in report["single_evaluate"].items():
        np.testing.assert_allclose(report["evaluate"][name], value, rtol=1e-5, atol=1e-6)
    assert report["predict_difference"] < 1e-5


@pytest.mark.parametrize("samples", [318, 317], ids=["last_batch_30", "last_batch_29"])
def test_data_parallel_two_processes_match_one_device(tmp_path, samples):
    """Batches split 16/16 ... 15/15 (or 15/14), gradients summed by one
    all_reduce: the weights, logs, evaluation and predictions of one device."""
    report = _run_job(tmp_path, "data", "--samples", str(samples))
    _assert_matches_one_device(report)
    assert all(layout == [None] * len(layout) for layout in report["layouts"].values())


def test_model_parallel_two_processes_match_one_device(tmp_path):
    """A (1, 2) mesh: Dense kernels and biases are DTensors sharded on "model"."""
    report = _run_job(tmp_path, "model", "--samples", "317")
    _assert_matches_one_device(report)
    assert report["layouts"] == {
        "dense_2/kernel": [None, "model"], "dense_2/bias": ["model"],
        "dense_3/kernel": [None, "model"], "dense_3/bias": ["model"],
    }


def test_a_mesh_of_two_devices_in_one_process_is_refused():
    mesh = distribution.DeviceMesh((2,), ["batch"], ["cpu:0", "gpu:0"])
    with pytest.raises(NotImplementedError, match="one process per device.*launch --nproc"):
        mesh.backend_mesh


def test_one_process_data_parallel_is_the_plain_step():
    """One process, one device: nothing to split or combine; the same weights
    as without a distribution, and no combining outside a step."""
    assert B.process_info() == (0, 1)
    assert B.distribution_devices() == (B.list_devices("gpu") or ["cpu:0"])
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 8)).astype("float32")
    y = rng.integers(0, 3, 40)

    def trained(dist):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(3)])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        if dist is None:
            model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
        else:
            with dist.scope():
                model.fit(x, y, batch_size=16, shuffle=False, verbose=0)
        return model.get_weights()

    for a, b in zip(trained(None), trained(distribution.DataParallel())):
        np.testing.assert_array_equal(a, b)
    assert B.cross_replica_sum([]) is None
