"""Times kfacade against the native framework (and Keras 3 when installed)
on the active backend, side by side in this one process.

Run through ``benchmarks/run.py``; alone: ``KERAS_BACKEND=torch python
benchmarks/bench_backend.py``. Prints one JSON object of timings.
Workloads: the tiny-model eager call (issue 2), the mnist_mlp fit step and
predict (784-512-512-10, dropout 0.2, batch 128, RMSprop, issue 3).
"""
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

BATCH = 128
STEPS = 40
TRIALS = 7


def median_time(fn, trials=TRIALS, warmup=2):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(trials):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def mnist_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH * STEPS, 784)).astype("float32")
    y = rng.integers(0, 10, BATCH * STEPS).astype("int64")
    return x, y


def kfacade_mlp(keras, dims, dropout):
    layers = [keras.Input(shape=(dims[0],))]
    for units in dims[1:-1]:
        layers.append(keras.layers.Dense(units, activation="relu"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(dims[-1]))
    return keras.Sequential(layers)


def bench_library(keras, backend_name, x, y, native=None):
    """Timings for one Keras-API library (kfacade or Keras 3)."""
    results = {}
    keras.utils.set_random_seed(0)
    model = kfacade_mlp(keras, (784, 512, 512, 10), 0.2)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    fit = lambda: model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)  # noqa: E731
    results["fit_step_ms"] = median_time(fit, trials=5) / STEPS * 1e3
    predict = lambda: model.predict(x, batch_size=BATCH, verbose=0)  # noqa: E731
    results["predict_ms"] = median_time(predict) / STEPS * 1e3
    tiny = kfacade_mlp(keras, (32, 64, 10), 0.0)
    x_tiny = keras.ops.convert_to_tensor(np.random.default_rng(1).standard_normal((32, 32)).astype("float32"))
    calls = 300
    results["eager_call_us"] = median_time(lambda: [tiny(x_tiny) for _ in range(calls)]) / calls * 1e6
    return results, model, tiny


def bench_native(backend_name, x, y, model, tiny):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from native import BUILDERS

    build = BUILDERS[backend_name]
    mlp = build([w.numpy() for w in model.weights], 0.2, 1e-3)
    batches = [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)]
    if backend_name == "tensorflow":
        batches = [(bx, by.astype("int32")) for bx, by in batches]

    def loop():
        loss = None
        for bx, by in batches:
            loss = mlp["train_step"](bx, by)
        mlp["sync"](loss)

    results = {"fit_step_ms": median_time(loop, trials=5) / STEPS * 1e3}
    results["predict_ms"] = median_time(
        lambda: np.concatenate([mlp["predict"](bx) for bx, _ in batches])) / STEPS * 1e3
    small = build([w.numpy() for w in tiny.weights], 0.0, 1e-3)
    x_tiny = small["to_native"](np.random.default_rng(1).standard_normal((32, 32)).astype("float32"))
    calls = 300
    results["eager_call_us"] = median_time(lambda: [small["eager_call"](x_tiny) for _ in range(calls)]) / calls * 1e6
    return results


def main():
    import kfacade

    backend_name = kfacade.backend.backend()
    if backend_name == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    x, y = mnist_data()
    report = {"backend": backend_name, "threads": os.environ.get("OMP_NUM_THREADS")}
    report["kfacade"], model, tiny = bench_library(kfacade, backend_name, x, y)
    report["native"] = bench_native(backend_name, x, y, model, tiny)
    if os.environ.get("KFACADE_BENCH_KERAS3", "1") == "1":
        try:
            os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp())  # Keras 3 writes keras.json
            import keras

            if keras.__version__.startswith("3"):
                report["keras3"], _, _ = bench_library(keras, backend_name, x, y)
                report["keras3_version"] = keras.__version__
        except ImportError:
            report["keras3"] = None
    print(json.dumps(report))


if __name__ == "__main__":
    main()
