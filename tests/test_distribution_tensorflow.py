"""TensorFlow's distribute family: ``MirroredStrategy`` over logical CPUs and
``MultiWorkerMirroredStrategy`` over two processes train the digits MLP to
the one-device weights and logs.

Each run is a child process (``tests/distribution_scripts/digits_steps.py``):
TensorFlow fixes its logical devices and its cross-process collectives when
its runtime starts.
"""
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

import kfacade
from kfacade import distribution

pytestmark = pytest.mark.skipif(
    kfacade.backend.backend() != "tensorflow",
    reason=f"backend {kfacade.backend.backend()!r}: these run tf.distribute strategies "
           "(KERAS_BACKEND=tensorflow)")

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "distribution_scripts",
                      "digits_steps.py")
CHILD_TIMEOUT = 110


def _child_env(**extra):
    return dict(os.environ, KERAS_BACKEND="tensorflow", TF_ENABLE_ONEDNN_OPTS="0",
                OMP_NUM_THREADS="1", TF_CPP_MIN_LOG_LEVEL="2", **extra)


def _assert_matches_one_device(result):
    assert result["max_relative_difference"] < 1e-5, result["max_relative_difference"]
    for key in ("loss", "accuracy"):
        np.testing.assert_allclose(result["history"][key], result["single_history"][key],
                                   rtol=1e-5, atol=1e-5, err_msg=key)
    assert set(result["evaluate"]) == set(result["single_evaluate"])
    for key, value in result["single_evaluate"].items():
        np.testing.assert_allclose(result["evaluate"][key], value, rtol=1e-5, atol=1e-5,
                                   err_msg=key)
    assert result["predict_difference"] < 1e-5, result["predict_difference"]
    assert all(layout == [None] * len(layout) for layout in result["layouts"].values())


def _run_children(tmp_path, commands):
    """Starts every ``(name, argv, env)`` child at once (each imports TensorFlow
    alone for several seconds); returns their exit codes and their logs' ends."""
    children = []
    try:
        for name, argv, env in commands:
            log = open(tmp_path / f"{name}.log", "w")
            children.append((subprocess.Popen([sys.executable, SCRIPT, *argv], env=env, stdout=log,
                                              stderr=subprocess.STDOUT, cwd=str(tmp_path)), log))
        codes = [child.wait(timeout=CHILD_TIMEOUT) for child, _ in children]
    finally:
        for child, log in children:
            if child.poll() is None:
                child.kill()
                child.wait()
            log.close()
    logs = "\n".join(f"--- {name}:\n" + (tmp_path / f"{name}.log").read_text()[-2000:]
                     for name, _, _ in commands)
    return codes, logs


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(tmp_path):
    """10 SGD steps over 2 replicas; the last batch is 30 (15 + 15) or 29 (15 + 14)
    samples; with 33 samples the last batch of 1 leaves replica 1 an empty share."""
    runs = {samples: tmp_path / f"result{samples}.json" for samples in (318, 317, 33)}
    codes, logs = _run_children(tmp_path, [
        (f"samples{samples}",
         ["data", str(out), "--tf-cpus", "2", "--samples", str(samples)], _child_env())
        for samples, out in runs.items()])
    assert codes == [0] * len(runs), logs
    for out in runs.values():
        result = json.loads(out.read_text())
        assert result["devices"] == ["cpu:0", "cpu:1"]
        assert result["num_processes"] == 1
        _assert_matches_one_device(result)


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def test_multi_worker_mirrored_strategy_over_two_processes_matches_one_device(tmp_path):
    """Two workers on loopback, one CPU replica each; the last batch of 29 splits 15 + 14."""
    out = tmp_path / "result.json"
    addresses = ",".join(f"127.0.0.1:{port}" for port in _free_ports(2))
    codes, logs = _run_children(tmp_path, [
        (f"worker{process_id}", ["data", str(out), "--samples", "317"],
         _child_env(KFACADE_JOB_ADDRESSES=addresses, KFACADE_NUM_PROCESSES="2",
                    KFACADE_PROCESS_ID=str(process_id), KFACADE_COLLECTIVE_TIMEOUT="30"))
        for process_id in range(2)])
    assert codes == [0, 0], logs
    result = json.loads(out.read_text())
    assert result["num_processes"] == 2
    assert result["devices"] == ["worker0/cpu:0", "worker1/cpu:0"]
    _assert_matches_one_device(result)


def _model():
    model = kfacade.Sequential([kfacade.layers.Input((4,)), kfacade.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_model_parallel_raises_naming_the_alternative():
    mesh = distribution.DeviceMesh((1, 1), ["batch", "model"], ["cpu:0"])
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    model = _model()
    x, y = np.ones((4, 4), "float32"), np.ones((4, 2), "float32")
    with distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch").scope():
        with pytest.raises(NotImplementedError, match="MirroredStrategy keeps a full copy of every "
                                                      "variable on each replica; use DataParallel"):
            model.fit(x, y, verbose=0)


def test_a_device_tensorflow_lacks_is_refused():
    mesh = distribution.DeviceMesh((1,), ["batch"], ["cpu:7"])
    with pytest.raises(ValueError, match="'cpu:7' is not available to TensorFlow"):
        mesh.backend_mesh


def test_one_process_outside_a_step():
    adapter = kfacade.backend.adapter
    assert adapter.process_info() == (0, 1)
    summed = adapter.process_sum(np.array([1, 2], "int32"))
    np.testing.assert_array_equal(summed, [1, 2])
    assert adapter.cross_replica_sum([]) is None
    assert adapter.distribution_devices() == adapter.list_devices(
        "gpu" if adapter.list_devices("gpu") else "cpu")


def test_mirrored_variables_behave_as_plain_ones_outside_the_step(tmp_path):
    """One-replica MirroredStrategy in this process: the mirrored and on-read
    (metric) variables train as plain ones, and read, assign, reset and save
    as plain ones outside the step."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 4)).astype("float32")
    y = rng.normal(size=(10, 2)).astype("float32")
    kfacade.utils.set_random_seed(3)
    plain = _model()
    kfacade.utils.set_random_seed(3)
    mirrored = _model()
    plain.fit(x, y, batch_size=4, verbose=0, shuffle=False)
    with distribution.DataParallel(devices=["cpu:0"]).scope():
        mirrored.fit(x, y, batch_size=4, verbose=0, shuffle=False)
        evaluated = mirrored.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    for a, b in zip(plain.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    assert evaluated["loss"] == pytest.approx(
        plain.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)["loss"], rel=1e-6)
    # Eager reads of the on-read metric state: the strategy's sum of its copies.
    assert float(mirrored.get_metrics_result()["loss"]) == pytest.approx(evaluated["loss"], rel=1e-6)
    for metric in mirrored.metrics:
        metric.reset_state()
        assert all(float(np.sum(v.numpy())) == 0.0 for v in metric.variables)
    path = str(tmp_path / "mirrored.weights.h5")
    mirrored.save_weights(path)
    mirrored.set_weights([np.zeros_like(w) for w in plain.get_weights()])
    assert all(not np.any(w) for w in mirrored.get_weights())
    mirrored.load_weights(path)
    for a, b in zip(plain.get_weights(), mirrored.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)
    handle = mirrored.layers[0].kernel.value
    assert kfacade.backend.adapter.variable_layout(handle) == (None, None)
