"""One side of the benchmark (kfacade, native or Keras 3) on one backend, in its own process.

Started by ``run.py`` with ``KERAS_BACKEND`` and the thread-pinning variables
set. Two modes:

- ``bench_worker.py SIDE SIZE``: a server. Reads one JSON command per line on
  stdin and answers one JSON line: ``{"op": "setup", "workload", "load",
  "save"}`` builds the workload (from the weights in the ``.npz`` `load`, or the
  library's seeded initialisation, saved to `save`) and answers its check (the
  first-step loss, or first outputs); ``{"op": "trial", "workload"}`` runs one
  trial and answers its seconds; ``{"op": "drop", "workload"}``; ``{"op": "quit"}``.
- ``bench_worker.py SIDE SIZE --fresh WEIGHTS``: builds the mnist_mlp (native:
  from the weights in the ``.npz`` WEIGHTS), fits its first epoch, and prints
  ``{"first_epoch": seconds, "peak_rss": MB, "peak_device_mem": MB or None}``:
  the time from building the model to the end of the first epoch (tracing
  included), the process's peak RSS, and on a GPU the framework's peak of
  allocated device memory.

SIDE is kfacade, native or keras3; ``--policy NAME`` (default float32) builds the
models under that Keras dtype policy, the native side with the framework's own
mixed precision (``native.POLICIES``). The device is whatever the framework
computes on by default (``run.py --device`` hides the GPU for a CPU run); the
server's greeting names it. Anything the frameworks print goes to stderr;
answers go to the original stdout.
"""
import json
import os
import resource
import sys
import tempfile
import time
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402


def pin_threads(backend):
    """Pins the framework's own thread pools to OMP_NUM_THREADS (the
    environment variables do the rest: TF_NUM_*_THREADS, XLA_FLAGS)."""
    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(threads)
        except RuntimeError:  # already set
            pass
    elif backend == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:
            pass


def device_name(backend):
    """The device the framework computes on by default: "cpu" or the GPU's name."""
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    if backend == "jax":
        import jax

        device = jax.devices()[0]
        return "cpu" if device.platform == "cpu" else device.device_kind
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_logical_devices("GPU")
        return gpus[0].name if gpus else "cpu"
    return "unknown"


def peak_device_memory(backend):
    """The framework's peak of allocated memory on its GPU in MB, or None on the CPU."""
    if device_name(backend) == "cpu":
        return None
    if backend == "torch":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    if backend == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return stats["peak_bytes_in_use"] / 2**20 if "peak_bytes_in_use" in stats else None
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    return None


def load_library(side):
    """(keras module or None, backend name, version string)."""
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if side == "kfacade":
        import kfacade

        return kfacade, kfacade.backend.backend(), kfacade.__version__
    if side == "keras3":
        os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp())  # Keras 3 writes keras.json there
        import keras

        if not keras.__version__.startswith("3"):
            raise ImportError(f"Keras {keras.__version__} is not Keras 3")
        return keras, keras.backend.backend(), keras.__version__
    return None, backend, "native"


def load_weights(path):
    if not path:
        return None
    with np.load(path) as archive:
        return [archive[f"w{i}"] for i in range(len(archive.files))]


def save_weights(path, weights):
    np.savez(path, **{f"w{i}": np.asarray(w) for i, w in enumerate(weights)})


def serve(side, size, policy, answer):
    keras, backend, version = load_library(side)
    pin_threads(backend)
    answer({"ready": True, "backend": backend, "version": version, "device": device_name(backend)})
    runners = {}
    for line in sys.stdin:
        command = json.loads(line)
        op, workload = command["op"], command.get("workload")
        try:
            if op == "quit":
                return
            if op == "setup":
                weights = load_weights(command.get("load"))
                if side == "native":
                    runner, check, notes = workloads.native_side(backend, workload, size, weights,
                                                                 policy)
                else:
                    try:
                        runner, weights, check = workloads.keras_side(keras, workload, size, weights,
                                                                      policy)
                        notes = ""
                    except ValueError:  # another weight order: its own initialisation
                        runner, weights, check = workloads.keras_side(keras, workload, size, None,
                                                                      policy)
                        notes = "own initial weights (set_weights refused kfacade's)"
                    if command.get("save"):
                        save_weights(command["save"], weights)
                runners[workload] = runner
                answer({"check": np.asarray(check, "float64").ravel().tolist(), "notes": notes})
            elif op == "trial":
                runner = runners[workload]
                start = time.perf_counter()
                runner()
                answer({"seconds": time.perf_counter() - start})
            elif op == "drop":
                runners.pop(workload, None)
                answer({"dropped": workload})
        except Exception as error:  # noqa: BLE001 - reported to run.py, which skips the row
            traceback.print_exc()
            answer({"error": f"{type(error).__name__}: {error}"})


def fresh(side, size, weights_path, policy, answer):
    """Time to the end of the first mnist_mlp epoch, the peak RSS and device memory."""
    keras, backend, _ = load_library(side)
    pin_threads(backend)
    config = workloads.SIZES[size]
    shape = config["shapes"]["mlp"]
    x, y = workloads.data("mlp", shape, config["steps"]["first_epoch"])
    batch = shape["batch"]
    start = time.perf_counter()
    if side == "native":
        import native

        model = native.build(backend, "mlp", load_weights(weights_path), shape, dropout=True,
                             policy=policy)
        loss = None
        for i in range(0, len(x), batch):
            loss = model.train_step(x[i:i + batch], y[i:i + batch])
        model.sync(loss)
    else:
        keras.utils.set_random_seed(0)
        keras.mixed_precision.set_global_policy(policy)
        model = workloads.compiled_model(keras, "mlp", shape)
        history = model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        float(history.history["loss"][-1])  # on the host: the last step has run
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    answer({"first_epoch": seconds, "peak_rss": peak, "peak_device_mem": peak_device_memory(backend)})


def main():
    side, size = sys.argv[1], sys.argv[2]
    policy = sys.argv[sys.argv.index("--policy") + 1] if "--policy" in sys.argv else "float32"
    # Answers go to the original stdout; everything else printed (by Python or
    # by the frameworks' C++ code) goes to stderr.
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def answer(message):
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    try:
        if "--fresh" in sys.argv:
            fresh(side, size, sys.argv[sys.argv.index("--fresh") + 1], policy, answer)
        else:
            serve(side, size, policy, answer)
    except Exception as error:  # noqa: BLE001
        traceback.print_exc()
        answer({"error": f"{type(error).__name__}: {error}"})


if __name__ == "__main__":
    main()
