"""Keras 2's multi_gpu_model over two devices, against one-device training.

Usage: python multi_gpu.py OUT.json [--tf-cpus N]. Writes the largest
relative weight difference after 5 steps, whether the parallel model shares
the original's weights, and the reload difference of the saved original.
"""
import json
import os
import sys

if "--tf-cpus" in sys.argv and os.environ.get("KERAS_BACKEND") == "tensorflow":
    import tensorflow as tf  # the user's own set-up: logical CPU devices

    count = int(sys.argv[sys.argv.index("--tf-cpus") + 1])
    tf.config.set_logical_device_configuration(
        tf.config.list_physical_devices("CPU")[0], [tf.config.LogicalDeviceConfiguration()] * count)

import numpy as np  # noqa: E402

import kfacade as keras  # noqa: E402


def build():
    keras.utils.set_random_seed(5)
    return keras.Sequential([keras.layers.Input((12,)), keras.layers.Dense(16, activation="tanh"),
                             keras.layers.Dense(3)])


rng = np.random.RandomState(0)
x = rng.rand(150, 12).astype("float32")  # 4 batches of 32 and one of 22
y = rng.rand(150, 3).astype("float32")

single = build()
single.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
single.fit(x, y, batch_size=32, shuffle=False, verbose=0)

model = build()
parallel = keras.utils.multi_gpu_model(model, gpus=2)
parallel.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
parallel.fit(x, y, batch_size=32, shuffle=False, verbose=0)

path = os.path.join(os.path.dirname(sys.argv[1]), "original.h5")
model.save(path)
reloaded = keras.models.load_model(path)
result = {
    "max_relative_difference": max(
        float(np.max(np.abs(a - b)) / np.max(np.abs(a)))
        for a, b in zip(single.get_weights(), model.get_weights())),
    "shares_weights": all(a is b for a, b in zip(model.weights, parallel.weights)),
    "reload_difference": float(np.max(np.abs(reloaded.predict(x, verbose=0)
                                             - model.predict(x, verbose=0)))),
}
with open(sys.argv[1], "w") as file:
    json.dump(result, file)
