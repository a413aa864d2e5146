"""A 2-process DataParallel fit whose process 1 SIGKILLs itself after epoch 2.

Process 0 writes a weights checkpoint each epoch (ModelCheckpoint). Run by
tests/test_distribution.py with or without the launcher: the survivor must
exit with an error within the collective timeout, never hang, and the last
checkpoint must stay loadable. Usage: python killed_worker.py CHECKPOINT
"""
import os
import signal
import sys

import numpy as np

import kfacade as keras
from kfacade import distribution

distribution.initialize()
distribution.set_distribution(distribution.DataParallel())


class DieAfterEpoch2(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1 and distribution.process_id() == 1:
            os.kill(os.getpid(), signal.SIGKILL)


keras.utils.set_random_seed(3)
model = keras.Sequential([keras.layers.Input((8,)), keras.layers.Dense(4)])
model.compile(optimizer="sgd", loss="mse")
x = np.random.rand(64, 8).astype("float32")
y = np.random.rand(64, 4).astype("float32")
model.fit(x, y, batch_size=16, epochs=1000, verbose=0, shuffle=False,
          callbacks=[keras.callbacks.ModelCheckpoint(sys.argv[1], save_weights_only=True),
                     DieAfterEpoch2()])
sys.exit(0)  # never reached: process 0 must fail once its peer is gone
