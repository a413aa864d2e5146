"""``EarlyStopping``: stops training when a monitored quantity stops improving."""
import warnings

from kfacade.callbacks.callback import Callback
from kfacade.callbacks.monitor import (
    check_mode, initial_best, is_improvement, monitored_value, resolve_mode,
)
from kfacade.utils.progbar import _write


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving.

    At the end of each epoch the monitored value is compared with the best
    so far; after `patience` epochs without an improvement larger than
    `min_delta`, ``model.stop_training`` is set and ``fit`` ends after that
    epoch.

    Args:
        monitor: the quantity to monitor, a key of the epoch logs.
        min_delta: the minimum change that counts as an improvement
            (its absolute value is used).
        patience: epochs with no improvement after which training stops.
        verbose: 1 prints a message when the callback acts; 0 is silent.
        mode: "min", "max" or "auto" (the direction inferred from the name:
            accuracy/AUC-like names are maximized, the rest minimized).
        baseline: a value the quantity must beat; while it does not, the
            patience counter is not reset, so training stops after
            `patience` epochs that fail to beat it.
        restore_best_weights: at the end of training, set the weights back
            to those of the best epoch (even if training did not stop early).
        start_from_epoch: epochs to wait before monitoring (a warm-up).

    Example:
        >>> callback = kfacade.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> history = model.fit(x, y, epochs=10, callbacks=[callback], verbose=0)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor = monitor
        self.min_delta = abs(min_delta)
        self.patience = patience
        self.verbose = verbose
        self.mode = check_mode(mode, "EarlyStopping")
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self._direction = None  # "min"/"max", resolved at the first epoch end
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_train_begin(self, logs=None):
        # Allows the same instance to be used for several fits.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def _backup_state(self):
        """What BackupAndRestore keeps: the counters, the best value and weights."""
        state = {"wait": self.wait, "stopped_epoch": self.stopped_epoch,
                 "best": None if self.best is None else float(self.best),
                 "best_epoch": self.best_epoch, "has_best_weights": self.best_weights is not None}
        arrays = {"best_weights": list(self.best_weights)} if self.best_weights is not None else None
        return state, arrays

    def _restore_backup_state(self, state, arrays):
        self.wait = state["wait"]
        self.stopped_epoch = state["stopped_epoch"]
        self.best = state["best"]
        self.best_epoch = state["best_epoch"]
        self.best_weights = arrays.get("best_weights") if state["has_best_weights"] else None

    def _improves(self, current, reference):
        return is_improvement(self._direction, current, reference, self.min_delta)

    def on_epoch_end(self, epoch, logs=None):
        if self._direction is None:
            self._direction = resolve_mode(self.monitor, self.mode, self._model)
        if self.best is None:
            self.best = initial_best(self._direction)
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until some epoch improves, the first monitored weights are the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The patience counter restarts only when the baseline is beaten too.
            if self.baseline is None or self._improves(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            _write(f"Epoch {self.stopped_epoch + 1}: early stopping\n")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _write(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}.\n"
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value from `logs`, or None with a warning listing the keys."""
        logs = logs or {}
        value = monitored_value(logs, self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs.keys())}",
                stacklevel=2,
            )
        return value
