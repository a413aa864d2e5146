"""Keras 2's device-parallel model: a shared LSTM encodes two inputs, each on its own device.

The Keras FAQ's example ("How can I run a Keras model on multiple GPUs?",
device parallelism): each branch is built under its own device scope, and
the merge under the CPU's. A functional model remembers those scopes and
runs each branch's ops on its device again at every call, in ``fit`` too
(the LSTM's weights, made on the first branch's device, are copied to the
second's for its branch).

The task: do two handwritten digits (scikit-learn's bundled 8x8 scans,
read as sequences of 8 rows of 8 pixels) show the same number? Runs on any
backend, with the devices there are: two GPUs when the machine has them,
else two CPU devices where the framework has several (JAX with
``XLA_FLAGS=--xla_force_host_platform_device_count=2``), else ``cpu:0``
twice:

    KERAS_BACKEND=jax XLA_FLAGS=--xla_force_host_platform_device_count=2 \\
        python examples/device_parallel.py
"""
import argparse

import numpy as np

import kfacade as keras
from kfacade.datasets import digits
from kfacade.layers import LSTM, Dense, Input, concatenate
from kfacade.models import Model
from kfacade.optimizers import RMSprop
from kfacade.utils import set_random_seed

TIMESTEPS, FEATURES = 8, 8


def branch_devices():
    """The devices of the two branches: two GPUs, else two CPU devices, else
    the one there is (used twice)."""
    devices = keras.distribution.list_devices("gpu") or keras.distribution.list_devices("cpu")
    return devices[0], devices[min(1, len(devices) - 1)]


def build_model(devices, units=32):
    """The FAQ's model: one LSTM shared by two inputs, each branch under
    ``keras.device(devices[i])``, concatenated and classified on the CPU."""
    input_a = Input(shape=(TIMESTEPS, FEATURES))
    input_b = Input(shape=(TIMESTEPS, FEATURES))
    shared_lstm = LSTM(units)

    # Process the first sequence on one device...
    with keras.device(devices[0]):
        encoded_a = shared_lstm(input_a)
    # ...and the next sequence on another.
    with keras.device(devices[1]):
        encoded_b = shared_lstm(input_b)

    # Concatenate the results on the CPU.
    with keras.device("cpu:0"):
        merged_vector = concatenate([encoded_a, encoded_b], axis=-1)
        hidden = Dense(64, activation="relu")(merged_vector)
        predictions = Dense(1, activation="sigmoid")(hidden)

    return Model(inputs=[input_a, input_b], outputs=predictions)


def digit_pairs(x, y, count, rng):
    """`count` pairs of scans, half of them the same digit; label 1 when same."""
    by_digit = [np.flatnonzero(y == d) for d in range(10)]
    first = rng.integers(0, len(x), count)
    same = np.arange(count) % 2 == 0
    second = np.empty(count, dtype=np.int64)
    for i, (index, is_same) in enumerate(zip(first, same)):
        if is_same:
            second[i] = rng.choice(by_digit[y[index]])
        else:
            other = (y[index] + rng.integers(1, 10)) % 10
            second[i] = rng.choice(by_digit[other])
    images = x.reshape(len(x), TIMESTEPS, FEATURES).astype("float32") / 16.0
    return [images[first], images[second]], same.astype("float32")[:, None]


def main(epochs=10, batch_size=64, pairs=4000, verbose=2):
    set_random_seed(1337)
    rng = np.random.default_rng(1337)
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    train_inputs, train_labels = digit_pairs(x_train, y_train, pairs, rng)
    test_inputs, test_labels = digit_pairs(x_test, y_test, pairs // 4, rng)

    devices = branch_devices()
    model = build_model(devices)
    model.compile(optimizer=RMSprop(), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(train_inputs, train_labels, batch_size=batch_size, epochs=epochs,
                        verbose=verbose)
    loss, accuracy = model.evaluate(test_inputs, test_labels, verbose=0)
    losses = " ".join(f"{value:.4f}" for value in history.history["loss"])
    print(f"backend={keras.backend.backend()} branches={devices[0]},{devices[1]} merge=cpu:0 "
          f"train_loss_per_epoch=[{losses}] test_loss={loss:.4f} test_accuracy={accuracy:.4f}")
    return history.history["loss"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--pairs", type=int, default=4000)
    parser.add_argument("--verbose", type=int, default=2)
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.pairs, args.verbose)
