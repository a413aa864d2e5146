"""Trains the digits MLP for a few SGD steps with and without a distribution; reports both.

Run by tests/test_distribution.py in a child process (devices and processes
are fixed when a framework starts). Usage:

    python digits_steps.py MODE OUT.json [--tf-cpus N]

MODE is "data" (``DataParallel`` over every device) or "model"
(``ModelParallel``: a (P/2, 2) mesh, Dense kernels and biases sharded on
its "model" axis). Under ``python -m kfacade.distribution.launch`` the
process joins the job first. Every process trains the one-device model too,
on the same batches; process 0 writes OUT.json: the largest relative weight
difference, both runs' logs, each variable's layout, the devices.
"""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("mode", choices=["data", "model"])
parser.add_argument("out")
parser.add_argument("--tf-cpus", type=int, default=0)
parser.add_argument("--samples", type=int, default=318)  # 9 batches of 32 and one of 30
parser.add_argument("--checkpoint", default=None)
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()

if args.tf_cpus and os.environ.get("KERAS_BACKEND") == "tensorflow":
    import tensorflow as tf  # the user's own set-up: logical CPU devices for MirroredStrategy

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args.tf_cpus)

import numpy as np  # noqa: E402

import kfacade as keras  # noqa: E402
from kfacade import distribution  # noqa: E402

if os.environ.get("KFACADE_JOB_ADDRESSES"):
    distribution.initialize()


def build():
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.layers.Input((64,)),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


(x, y), _ = keras.datasets.digits.load_data()
x = (x.reshape(len(x), -1).astype("float32") / 16.0)[:args.samples]
y = y[:args.samples]

single = build()
single_history = single.fit(x, y, batch_size=32, epochs=args.epochs, shuffle=False, verbose=0)

if args.mode == "data":
    dist = distribution.DataParallel()
else:
    devices = distribution.list_devices()
    mesh = distribution.DeviceMesh((len(devices) // 2, 2), ["batch", "model"], devices)
    layout_map = distribution.LayoutMap(mesh)
    layout_map["dense.*kernel"] = (None, "model")
    layout_map["dense.*bias"] = ("model",)
    dist = distribution.ModelParallel(layout_map=layout_map, batch_dim_name="batch")

callbacks = []
if args.checkpoint:
    callbacks.append(keras.callbacks.ModelCheckpoint(args.checkpoint, save_weights_only=True))
with dist.scope():
    model = build()
    history = model.fit(x, y, batch_size=32, epochs=args.epochs, shuffle=False, verbose=0,
                        callbacks=callbacks)
    evaluated = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    predicted = model.predict(x[:50], batch_size=32, verbose=0)

differences = [
    float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a))), 1e-12))
    for a, b in zip(single.get_weights(), model.get_weights())
]
result = {
    "max_relative_difference": max(differences),
    "single_history": single_history.history,
    "history": history.history,
    "single_evaluate": single.evaluate(x, y, batch_size=32, verbose=0, return_dict=True),
    "evaluate": evaluated,
    "predict_difference": float(np.max(np.abs(predicted - single.predict(x[:50], verbose=0)))),
    "layouts": {v.path: list(keras.backend.adapter.variable_layout(v.value))
                for v in model.trainable_variables},
    "devices": [str(d) for d in dist.device_mesh.devices.flat],
    "num_processes": distribution.num_processes(),
}
if distribution.is_chief():
    with open(args.out, "w") as file:
        json.dump(result, file)
distribution.barrier()
sys.exit(0)
