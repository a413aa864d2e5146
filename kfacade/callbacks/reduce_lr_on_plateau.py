"""``ReduceLROnPlateau``: lowers the learning rate when a quantity stops improving."""
import warnings

import numpy as np

from kfacade.callbacks.callback import Callback
from kfacade.callbacks.monitor import (
    check_mode,
    initial_best,
    is_improvement,
    learning_rate_of,
    monitored_value,
    rate_holders,
    resolve_mode,
)
from kfacade.utils.progbar import _write


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` after `patience` epochs without improvement.

    Each epoch's logs gain "learning_rate": the rate used during that epoch.

    Args:
        monitor: the quantity to monitor, a key of the epoch logs.
        factor: the multiplier of the learning rate, below 1.
        patience: epochs with no improvement after which the rate is reduced.
        verbose: 1 prints a message at each reduction; 0 is silent.
        mode: "min", "max" or "auto" (accuracy/AUC-like names are maximized).
        min_delta: the change below which the quantity has not improved.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the lower bound of the learning rate.
        **kwargs: `epsilon`, Keras 2's deprecated name of `min_delta`.

    Raises:
        ValueError: `factor` >= 1.

    Example:
        >>> reduce_lr = kfacade.callbacks.ReduceLROnPlateau(
        ...     monitor="val_loss", factor=0.2, patience=5, min_lr=0.001)
        >>> model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn(
                "`epsilon` argument is deprecated and will be removed, use `min_delta` "
                "instead.",
                stacklevel=2,
            )
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword arguments {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received: factor={factor}"
            )
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode(mode, "Learning rate reduction")
        self.min_delta = min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self._reset()

    def _reset(self):
        self._direction = resolve_mode(self.monitor, self.mode, self._model)
        self.best = initial_best(self._direction)
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def _backup_state(self):
        """What BackupAndRestore keeps (the learning rate itself is optimizer state)."""
        return {"best": float(self.best), "cooldown_counter": self.cooldown_counter,
                "wait": self.wait}, None

    def _restore_backup_state(self, state, arrays):
        self.best = state["best"]
        self.cooldown_counter = state["cooldown_counter"]
        self.wait = state["wait"]

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        holders = rate_holders(self.model, "ReduceLROnPlateau")
        for key, optimizer in holders:
            logs[key] = learning_rate_of(optimizer)
        current = monitored_value(logs, self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is "
                f"not available. Available metrics are: {','.join(logs.keys())}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if is_improvement(self._direction, current, self.best, self.min_delta):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for key, optimizer in holders:
                    old_lr = learning_rate_of(optimizer)
                    if old_lr > np.float32(self.min_lr):
                        new_lr = max(old_lr * self.factor, self.min_lr)
                        optimizer.learning_rate = new_lr
                        reduced = True
                        if self.verbose > 0:
                            which = "" if key == "learning_rate" else f"{optimizer.name} "
                            _write(
                                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing {which}"
                                f"learning rate to {new_lr}.\n"
                            )
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
