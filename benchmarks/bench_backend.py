"""Times kfacade against the native framework (and Keras 3 when installed)
on the active backend, side by side in this one process.

Run through ``benchmarks/run.py``; alone: ``KERAS_BACKEND=torch python
benchmarks/bench_backend.py``. Prints one JSON object of timings.
Workloads: the tiny-model eager call (issue 2), the mnist_mlp fit step and
predict (784-512-512-10, dropout 0.2, batch 128, RMSprop, issue 3), the
fit step of an LSTM(128) regressor (length-80 sequences of 64 features,
batch 32, Dense(1), MSE, RMSprop) and of the small mnist CNN (Conv2D(32, 3,
relu) - Conv2D(64, 3, relu) - MaxPool2D - Dropout(0.25) - Flatten -
Dense(128, relu) - Dropout(0.5) - Dense(10), 28x28x1, batch 128, sparse
cross-entropy from logits, RMSprop); natives in ``native.py``.

Every measurement interleaves kfacade's, the native model's and Keras 3's
trials (``TRIALS`` / ``RNN_CNN_TRIALS`` rounds, the median of each), so
that a slow spell of a shared machine hits all three alike. A trial of
the MLP is one epoch of ``STEPS`` steps; the LSTM and CNN workloads time
one epoch of few steps (``LSTM_STEPS``, ``CNN_STEPS``; a step there takes
tens to hundreds of milliseconds, so the epoch's fixed cost is small
beside it). The whole ``run.py`` takes about 3 minutes on
2 cores with ``--threads 1``.
``KFACADE_BENCH_WORKLOADS=lstm,cnn`` (any of mlp, lstm, cnn) runs a subset,
to rerun noisy rows.
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
EAGER_CALLS = 300
LSTM_BATCH, LSTM_TIMESTEPS, LSTM_FEATURES, LSTM_UNITS = 32, 80, 64, 128
LSTM_STEPS = 12
CNN_BATCH = 128
CNN_STEPS = 4
RNN_CNN_TRIALS = 7
WORKLOADS = os.environ.get("KFACADE_BENCH_WORKLOADS", "mlp,lstm,cnn").split(",")


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


def lstm_data():
    rng = np.random.default_rng(2)
    n = LSTM_BATCH * LSTM_STEPS
    x = rng.standard_normal((n, LSTM_TIMESTEPS, LSTM_FEATURES)).astype("float32")
    return x, rng.standard_normal((n, 1)).astype("float32")


def cnn_data():
    rng = np.random.default_rng(3)
    n = CNN_BATCH * CNN_STEPS
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n).astype("int64")


def lstm_model(keras):
    return keras.Sequential([keras.Input(shape=(LSTM_TIMESTEPS, LSTM_FEATURES)),
                             keras.layers.LSTM(LSTM_UNITS), keras.layers.Dense(1)])


def cnn_model(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2), layers.Dropout(0.25), layers.Flatten(),
        layers.Dense(128, activation="relu"), layers.Dropout(0.5), layers.Dense(10),
    ])


def fit_runner(keras, workload, data):
    """``(one epoch of fit, model)`` of a compiled LSTM or CNN model of `keras`."""
    keras.utils.set_random_seed(0)
    if workload == "lstm":
        model, loss, batch = lstm_model(keras), "mse", LSTM_BATCH
    else:
        model, batch = cnn_model(keras), CNN_BATCH
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3), loss=loss)
    x, y = data[workload]
    return (lambda: model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)), model


def native_runner(backend_name, workload, data, model):
    """One epoch of the native train step on `model`'s initial weights."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from native import CNN_BUILDERS, LSTM_BUILDERS

    builders, batch = (LSTM_BUILDERS, LSTM_BATCH) if workload == "lstm" else (CNN_BUILDERS, CNN_BATCH)
    native = builders[backend_name]([np.asarray(w.numpy()) for w in model.weights], 1e-3)
    x, y = data[workload]
    to_native_x = native.get("to_native_x", lambda value: value)
    batches = [(to_native_x(x[i:i + batch]), y[i:i + batch]) for i in range(0, len(x), batch)]

    def loop():
        loss = None
        for bx, by in batches:
            loss = native["train_step"](bx, by)
        native["sync"](loss)

    return loop


def alternating_median_times(runners, trials=RNN_CNN_TRIALS, warmup=1):
    """{name: median seconds} with the runners' trials interleaved, so that a
    slow spell of a shared machine hits all of them rather than one."""
    for fn in runners.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in runners}
    for _ in range(trials):
        for name, fn in runners.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def bench_rnn_cnn(backend_name, keras_modules, data):
    """{library: {"lstm_fit_ms": ..., "cnn_fit_ms": ...}} for kfacade, the
    native model and (when in `keras_modules`) Keras 3, interleaved."""
    results = {name: {} for name in list(keras_modules) + ["native"]}
    for workload, steps in (("lstm", LSTM_STEPS), ("cnn", CNN_STEPS)):
        if workload not in WORKLOADS:
            continue
        runners = {}
        for name, keras in keras_modules.items():
            runners[name], model = fit_runner(keras, workload, data)
            if name == "kfacade":
                runners["native"] = native_runner(backend_name, workload, data, model)
        for name, seconds in alternating_median_times(runners).items():
            results[name][f"{workload}_fit_ms"] = seconds / steps * 1e3
    return results


def mlp_runners(keras, x, y):
    """{"fit", "predict", "eager"} runners of one Keras-API library, and its models."""
    keras.utils.set_random_seed(0)
    model = kfacade_mlp(keras, (784, 512, 512, 10), 0.2)
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    tiny = kfacade_mlp(keras, (32, 64, 10), 0.0)
    x_tiny = keras.ops.convert_to_tensor(np.random.default_rng(1).standard_normal((32, 32)).astype("float32"))
    runners = {
        "fit": lambda: model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0),
        "predict": lambda: model.predict(x, batch_size=BATCH, verbose=0),
        "eager": lambda: [tiny(x_tiny) for _ in range(EAGER_CALLS)],
    }
    return runners, model, tiny


def native_mlp_runners(backend_name, x, y, model, tiny):
    """The same three runners for the hand-written native model."""
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

    small = build([w.numpy() for w in tiny.weights], 0.0, 1e-3)
    x_tiny = small["to_native"](np.random.default_rng(1).standard_normal((32, 32)).astype("float32"))
    return {
        "fit": loop,
        "predict": lambda: np.concatenate([mlp["predict"](bx) for bx, _ in batches]),
        "eager": lambda: [small["eager_call"](x_tiny) for _ in range(EAGER_CALLS)],
    }


def bench_mlp(backend_name, keras_modules, x, y):
    """{library: MLP timings} for kfacade, the native model and (when in
    `keras_modules`) Keras 3, each measurement's trials interleaved."""
    runners = {}
    for name, keras in keras_modules.items():
        runners[name], model, tiny = mlp_runners(keras, x, y)
        if name == "kfacade":
            runners["native"] = native_mlp_runners(backend_name, x, y, model, tiny)
    results = {name: {} for name in runners}
    for kind, key, scale in (("fit", "fit_step_ms", 1e3 / STEPS), ("predict", "predict_ms", 1e3 / STEPS),
                             ("eager", "eager_call_us", 1e6 / EAGER_CALLS)):
        times = alternating_median_times({name: r[kind] for name, r in runners.items()}, trials=TRIALS)
        for name, seconds in times.items():
            results[name][key] = seconds * scale
    return results


def main():
    import kfacade

    backend_name = kfacade.backend.backend()
    if backend_name == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    x, y = mnist_data()
    data = {"lstm": lstm_data(), "cnn": cnn_data()}
    report = {"backend": backend_name, "threads": os.environ.get("OMP_NUM_THREADS"),
              "kfacade": {}, "native": {}}
    libraries = {"kfacade": kfacade}
    if os.environ.get("KFACADE_BENCH_KERAS3", "1") == "1":
        try:
            os.environ.setdefault("KERAS_HOME", tempfile.mkdtemp())  # Keras 3 writes keras.json
            import keras

            if keras.__version__.startswith("3"):
                report["keras3"] = {}
                report["keras3_version"] = keras.__version__
                libraries["keras3"] = keras
        except ImportError:
            report["keras3"] = None
    if "mlp" in WORKLOADS:
        for name, results in bench_mlp(backend_name, libraries, x, y).items():
            report[name].update(results)
    for name, results in bench_rnn_cnn(backend_name, libraries, data).items():
        report[name].update(results)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
