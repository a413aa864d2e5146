"""A fit that BackupAndRestore makes resumable, killed on request (tests/test_backup_and_restore.py).

Usage: python resumable_fit.py WORKDIR [--kill-at-step N] [--kill-in-write K]

Trains a model with Dropout and BatchNormalization, SGD with momentum, on
shuffled data, backing up every 5 steps, with a ModelCheckpoint that keeps
the best epoch. ``--kill-at-step N`` SIGKILLs the process after its N-th
step; ``--kill-in-write K`` SIGKILLs it in the middle of its K-th backup
write (after part of the file is written). On success it writes
WORKDIR/final.npy (all weights, flattened) and WORKDIR/history.json.
"""
import argparse
import json
import os
import signal

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("workdir")
parser.add_argument("--kill-at-step", type=int, default=0)
parser.add_argument("--kill-in-write", type=int, default=0)
args = parser.parse_args()

import h5py  # noqa: E402

import kfacade as keras  # noqa: E402

if args.kill_in_write:
    writes = [0]
    original = h5py.Group.create_dataset

    def create_dataset(self, name, *a, **k):
        # The K-th backup dies after writing its first dataset.
        if self.name == "/state" and name == "0":
            writes[0] += 1
        if self.name == "/state" and name == "1" and writes[0] == args.kill_in_write:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, name, *a, **k)

    h5py.Group.create_dataset = create_dataset


class KillAtStep(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1
        if self.steps == args.kill_at_step:
            os.kill(os.getpid(), signal.SIGKILL)


keras.utils.set_random_seed(11)
rng = np.random.RandomState(0)
x = rng.rand(160, 10).astype("float32")
y = (x[:, :5].sum(1) + 0.3 * rng.randn(160) > 2.5).astype("int64")
model = keras.Sequential([
    keras.layers.Input((10,)),
    keras.layers.Dense(16),
    keras.layers.BatchNormalization(),
    keras.layers.Activation("relu"),
    keras.layers.Dropout(0.3),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
callbacks = [
    keras.callbacks.ModelCheckpoint(os.path.join(args.workdir, "best.weights.h5"),
                                    monitor="loss", save_best_only=True, save_weights_only=True),
    keras.callbacks.BackupAndRestore(os.path.join(args.workdir, "backup"), save_freq=5),
    KillAtStep(),
]
history = model.fit(x, y, batch_size=16, epochs=4, shuffle=True, verbose=0, callbacks=callbacks)
np.save(os.path.join(args.workdir, "final.npy"),
        np.concatenate([w.ravel() for w in model.get_weights()]))
with open(os.path.join(args.workdir, "history.json"), "w") as f:
    json.dump(history.history, f)
