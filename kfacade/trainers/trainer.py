"""Trainer: compile, fit, evaluate, predict, written once for every backend."""
import numpy as np

from kfacade.backend import adapter as _B


class Trainer:
    """The training and inference API mixed into ``Model``."""

    def __init__(self):
        self.compiled = False
        self.stop_training = False

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Runs the model in inference mode on `x` in batches; returns NumPy."""
        batch_size = batch_size or 32
        n = len(x)
        outputs = []
        for start in range(0, n, batch_size):
            outputs.append(_B.convert_to_numpy(self(x[start:start + batch_size], training=False)))
        return np.concatenate(outputs, axis=0)
