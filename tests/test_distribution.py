"""kfacade.distribution: the API on every backend, and JAX's SPMD training.

Devices and processes are fixed when a framework starts, so training runs in
child processes (``tests/distribution_scripts``) with their own
``XLA_FLAGS`` or job variables; each compares against one-device training of
the same model on the same batches. TensorFlow's and torch's engines have
their own files (test_distribution_tensorflow.py, test_distribution_torch.py).
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
from kfacade.backend import backend

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "distribution_scripts", "digits_steps.py")
TOLERANCE = 1e-5  # relative, on every weight (the bound)

only_jax = pytest.mark.skipif(backend() != "jax", reason="JAX's SPMD engine: runs in the jax job")


def child_env(**extra):
    env = dict(os.environ)
    env.update({"OMP_NUM_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"})
    env.update({key: str(value) for key, value in extra.items()})
    return env


def run_child(args, env, timeout=120):
    """Runs a Python child; fails the test with its output when it fails."""
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def assert_same_training(result):
    """Distributed training gave the one-device weights, logs and predictions."""
    assert result["max_relative_difference"] < TOLERANCE, result
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(result["history"][key], result["single_history"][key],
                                   rtol=TOLERANCE)
        np.testing.assert_allclose(result["evaluate"][key], result["single_evaluate"][key],
                                   rtol=TOLERANCE)
    assert result["predict_difference"] < TOLERANCE


# ------------------------------------------------------------ the API
def test_device_mesh_checks_its_shape():
    devices = distribution.list_devices()
    mesh = distribution.DeviceMesh((len(devices),), ["batch"], devices)
    assert mesh.shape == (len(devices),) and mesh.axis_names == ["batch"]
    assert mesh.devices.shape == (len(devices),)
    with pytest.raises(ValueError, match="does not match the number of devices"):
        distribution.DeviceMesh((len(devices) + 1,), ["batch"], devices)
    with pytest.raises(ValueError, match="mismatched"):
        distribution.DeviceMesh((1,), ["batch", "model"], devices[:1])


def test_layout_map_matches_paths_by_regex():
    mesh = distribution.DeviceMesh((1, 1), ["batch", "model"], distribution.list_devices()[:1])
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    layout_map["dense_1/bias"] = ("model",)
    layout_map[".*2/kernel"] = (None, None)
    assert layout_map["dense_3/kernel"].axes == (None, "model")
    assert layout_map["dense_1/bias"].axes == ("model",)  # an exact key wins
    assert layout_map["conv/kernel"] is None
    with pytest.raises(ValueError, match="matches multiple layout"):
        layout_map["dense_2/kernel"]  # noqa: B018 ("dense.*kernel" and ".*2/kernel")
    with pytest.raises(ValueError, match="not axes of the device mesh"):
        layout_map["x"] = ("nope",)


def test_model_parallel_lays_slots_out_like_their_variables():
    mesh = distribution.DeviceMesh((1, 1), ["batch", "model"], distribution.list_devices()[:1])
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    dist = distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")
    layer = keras.layers.Dense(4, name="dense_mp")
    layer.build((None, 3))
    optimizer = keras.optimizers.Adam()
    optimizer.build(layer.trainable_variables)
    assert dist.get_variable_layout(layer.kernel).axes == (None, "model")
    slots = [v for v in optimizer.variables if getattr(v, "layout_reference", None) is layer.kernel]
    assert slots and all(dist.get_variable_layout(s).axes == (None, "model") for s in slots)
    assert dist.get_variable_layout(layer.bias).axes == (None,)


def test_distribution_scope_and_setter():
    dist = distribution.DataParallel(devices=distribution.list_devices()[:1])
    assert distribution.distribution() is None
    with dist.scope():
        assert distribution.distribution() is dist
    assert distribution.distribution() is None
    with pytest.raises(ValueError, match="Expected a Distribution"):
        distribution.set_distribution("data")
    with pytest.raises(ValueError, match="batch_dim_name"):
        distribution.Distribution(dist.device_mesh, "model")


def test_initialize_without_a_job_says_how_to_start_one(monkeypatch):
    for name in ("KFACADE_JOB_ADDRESSES", "MASTER_ADDR", "TF_CONFIG", "RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="found no job"):
        distribution.initialize()
    assert distribution.process_id() == 0 and distribution.num_processes() == 1
    assert distribution.is_chief()


def test_multi_gpu_model_names_the_devices_it_found():
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match=r"only has \d+ device\(s\)"):
        keras.utils.multi_gpu_model(model, gpus=8)
    with pytest.raises(ValueError, match="gpus >= 2"):
        keras.utils.multi_gpu_model(model, gpus=1)
    from kfacade.utils.multi_gpu_utils import multi_gpu_model

    assert multi_gpu_model is keras.utils.multi_gpu_model


# ------------------------------------------------- JAX: one SPMD program
@only_jax
# Full batches of 32 are sharded 4 ways; the last (30, 29) does not divide and runs replicated.
@pytest.mark.parametrize("samples", [318, 317])
def test_jax_data_parallel_on_4_devices_matches_one_device(tmp_path, samples):
    out = tmp_path / "result.json"
    env = child_env(XLA_FLAGS="--xla_force_host_platform_device_count=4")
    run_child([SCRIPT, "data", str(out), "--samples", str(samples)], env)
    result = json.loads(out.read_text())
    assert result["devices"] == ["cpu:0", "cpu:1", "cpu:2", "cpu:3"]
    assert_same_training(result)


@only_jax
def test_jax_model_parallel_on_a_2x2_mesh_matches_one_device(tmp_path):
    out = tmp_path / "result.json"
    env = child_env(XLA_FLAGS="--xla_force_host_platform_device_count=4")
    run_child([SCRIPT, "model", str(out)], env)
    result = json.loads(out.read_text())
    assert_same_training(result)
    # The adapter reports each variable's sharding: kernels split on "model".
    for path, layout in result["layouts"].items():
        assert layout == ([None, "model"] if path.endswith("kernel") else ["model"]), path


@only_jax
def test_jax_two_processes_match_one_device(tmp_path):
    out = tmp_path / "result.json"
    ports = free_ports(2)
    addresses = ",".join(f"127.0.0.1:{p}" for p in ports)
    children = [
        subprocess.Popen(
            [sys.executable, SCRIPT, "data", str(out)],
            env=child_env(KFACADE_JOB_ADDRESSES=addresses, KFACADE_NUM_PROCESSES=2,
                          KFACADE_PROCESS_ID=i, KFACADE_COLLECTIVE_TIMEOUT=30),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]
    outputs = []
    try:
        for child in children:
            outputs.append(child.communicate(timeout=120)[0])
    finally:
        for child in children:
            child.kill()
    assert all(c.returncode == 0 for c in children), "\n".join(o[-3000:] for o in outputs)
    result = json.loads(out.read_text())
    assert result["num_processes"] == 2 and len(result["devices"]) == 2
    assert_same_training(result)


# ------------------------------------------- a process dies mid-training
KILLED = os.path.join(HERE, "distribution_scripts", "killed_worker.py")


def check_checkpoint_loads(path):
    model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(4)])
    model.load_weights(str(path))
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_a_killed_process_stops_the_launched_job(tmp_path):
    """Under the launcher: the others are stopped and the launcher fails, in bounded time."""
    checkpoint = tmp_path / "last.weights.h5"
    launch = [sys.executable, "-m", "kfacade.distribution.launch", "--nproc", "2",
              "--timeout", "20", KILLED, str(checkpoint)]
    done = subprocess.run(launch, env=child_env(), capture_output=True, text=True, timeout=90)
    assert done.returncode != 0, done.stdout[-2000:] + done.stderr[-2000:]
    check_checkpoint_loads(checkpoint)


@pytest.mark.skipif(backend() == "tensorflow",
                    reason="TF's MultiWorkerMirroredStrategy: test_distribution_tensorflow.py")
def test_a_killed_process_makes_its_peer_fail_without_the_launcher(tmp_path):
    """No supervisor: the collective timeout alone makes the survivor exit non-zero."""
    import time

    checkpoint = tmp_path / "last.weights.h5"
    addresses = ",".join(f"127.0.0.1:{p}" for p in free_ports(2))
    start = time.monotonic()
    children = [
        subprocess.Popen(
            [sys.executable, KILLED, str(checkpoint)],
            env=child_env(KFACADE_JOB_ADDRESSES=addresses, KFACADE_NUM_PROCESSES=2,
                          KFACADE_PROCESS_ID=i, KFACADE_COLLECTIVE_TIMEOUT=15),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]
    try:
        output = children[0].communicate(timeout=90)[0]
        children[1].communicate(timeout=30)
    finally:
        for child in children:
            child.kill()
    assert children[1].returncode == -9
    assert children[0].returncode != 0, output[-3000:]
    assert time.monotonic() - start < 60  # the bound: start-up, two epochs, the timeout
    check_checkpoint_loads(checkpoint)


# ------------------------------------------------- Keras 2's multi_gpu_model
MULTI_GPU = os.path.join(HERE, "distribution_scripts", "multi_gpu.py")


@pytest.mark.skipif(backend() == "torch",
                    reason="torch replicates over processes, not devices of one process")
def test_multi_gpu_model_trains_on_two_virtual_devices(tmp_path):
    out = tmp_path / "result.json"
    env = child_env(XLA_FLAGS="--xla_force_host_platform_device_count=2")
    run_child([MULTI_GPU, str(out), "--tf-cpus", "2"], env)
    result = json.loads(out.read_text())
    assert result["shares_weights"]
    assert result["max_relative_difference"] < TOLERANCE
    assert result["reload_difference"] < 1e-6
