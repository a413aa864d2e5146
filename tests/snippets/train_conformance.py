"""Trains Dense+BatchNormalization+ReLU+Dense for 20 steps with SGD and with
Adam from identical initial weights, on the active backend, and saves the
final weights. Run per backend by tests/test_cross_backend.py, which compares
the backends with each other and with the NumPy reference in numpy_training.py."""
import numpy as np

import kfacade as keras

STEPS, BATCH, FEATURES, HIDDEN, OUTPUTS = 20, 8, 5, 6, 3


def data():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((STEPS * BATCH, FEATURES)).astype("float32")
    y = rng.standard_normal((STEPS * BATCH, OUTPUTS)).astype("float32")
    return x, y


def initial_weights():
    rng = np.random.default_rng(11)
    # No bias before BatchNormalization: its gradient would be exactly zero in
    # exact arithmetic, i.e. rounding noise that Adam's normalisation amplifies.
    return [rng.standard_normal((FEATURES, HIDDEN)).astype("float32") * 0.5,
            np.ones(HIDDEN, "float32"), np.zeros(HIDDEN, "float32"),
            np.zeros(HIDDEN, "float32"), np.ones(HIDDEN, "float32"),
            rng.standard_normal((HIDDEN, OUTPUTS)).astype("float32") * 0.5,
            rng.standard_normal(OUTPUTS).astype("float32") * 0.1]


def train(optimizer):
    model = keras.Sequential([
        keras.layers.Dense(HIDDEN, use_bias=False, input_shape=(FEATURES,)),
        keras.layers.BatchNormalization(),
        keras.layers.Activation("relu"),
        keras.layers.Dense(OUTPUTS),
    ])
    model.set_weights(initial_weights())
    model.compile(optimizer=optimizer, loss="mse")
    x, y = data()
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


def conv_initial_weights():
    rng = np.random.default_rng(13)
    return [rng.standard_normal((3, 3, 2, 4)).astype("float32") * 0.3,
            rng.standard_normal(4).astype("float32") * 0.1,
            rng.standard_normal((6 * 6 * 4, OUTPUTS)).astype("float32") * 0.1,
            rng.standard_normal(OUTPUTS).astype("float32") * 0.1]


def train_conv(optimizer):
    """Conv2D(valid)+MaxPool-free CNN: Conv2D-Flatten-Dense on 8x8x2 inputs."""
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 2)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(OUTPUTS),
    ])
    model.set_weights(conv_initial_weights())
    model.compile(optimizer=optimizer, loss="mse")
    rng = np.random.default_rng(17)
    x = rng.standard_normal((STEPS * BATCH, 8, 8, 2)).astype("float32")
    y = rng.standard_normal((STEPS * BATCH, OUTPUTS)).astype("float32")
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return model.get_weights()


def results():
    out = {}
    for name, optimizer in (("conv_sgd", keras.optimizers.SGD(learning_rate=0.05)),
                            ("conv_adam", keras.optimizers.Adam(learning_rate=0.01))):
        for i, w in enumerate(train_conv(optimizer)):
            out[f"{name}_{i}"] = w
    for name, optimizer in (("sgd", keras.optimizers.SGD(learning_rate=0.1)),
                            ("adam", keras.optimizers.Adam(learning_rate=0.01))):
        for i, w in enumerate(train(optimizer)):
            out[f"{name}_{i}"] = w
    return out


if __name__ == "__main__":
    import sys

    np.savez(sys.argv[1], **results())
