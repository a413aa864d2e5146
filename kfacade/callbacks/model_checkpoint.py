"""``ModelCheckpoint``: saves the model or its weights during training.

Every save is atomic: the model writes to a temporary file beside the
target and the file is moved into place only once complete, so an
interrupted or failed save leaves the previous checkpoint intact. In a job
of several processes only process 0 writes; the others wait for it.
"""
import os
import warnings

import numpy as np

from kfacade import distribution
from kfacade.callbacks.callback import Callback
from kfacade.callbacks.logs import logs_to_float
from kfacade.callbacks.monitor import (
    check_mode, initial_best, is_improvement, monitored_value, resolve_mode,
)
from kfacade.saving.atomic import atomic_write_path
from kfacade.utils.progbar import _write


class ModelCheckpoint(Callback):
    """Saves the model, or only its weights, at the end of epochs or every N batches.

    Args:
        filepath: where to save; may hold format fields filled from the
            epoch (1-based) and the logs, e.g. "weights.{epoch:02d}-{val_loss:.2f}.h5".
            With ``save_freq`` an integer, ``{batch}`` (1-based) is available too.
        monitor: the log key compared when ``save_best_only`` is set.
        verbose: 1 prints a message for each save; 0 is silent.
        save_best_only: save only when the monitored quantity improves on
            the best so far (with a fixed `filepath`, the best model is kept).
        save_weights_only: save with ``model.save_weights(path)`` rather
            than ``model.save(path)``. Paths ending in ".weights.h5" always
            save weights only.
        mode: "min", "max" or "auto" (inferred from the monitor's name).
        save_freq: "epoch", or an integer: save after that many batches.
        initial_value_threshold: the initial "best" value; with
            ``save_best_only`` nothing is saved until the quantity beats it.
        options: Keras 2's TensorFlow save options; accepted and unused.
        **kwargs: `period`, Keras 2's deprecated "save every N epochs".

    Raises:
        ValueError: `save_freq` is neither "epoch" nor a positive integer.
        KeyError: `filepath` names a field the logs do not have.

    Example:
        >>> checkpoint = kfacade.callbacks.ModelCheckpoint(
        ...     "ckpt/weights.{epoch:02d}-{val_loss:.2f}.h5",
        ...     save_weights_only=True, save_best_only=True)
        >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    """

    _raw_batch_logs = True  # batch logs become floats only when a save happens

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None, options=None, **kwargs):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = check_mode(mode, "ModelCheckpoint")
        self.save_freq = save_freq
        self.initial_value_threshold = initial_value_threshold
        self.options = options  # accepted for Keras 2 compatibility (TF SavedModel options)
        period = kwargs.pop("period", None)
        self.period = 1 if period is None else period
        if period is not None:
            warnings.warn(
                "`period` argument is deprecated. Please use `save_freq` to specify the "
                "frequency in number of batches seen.",
                stacklevel=2,
            )
        if kwargs:
            raise TypeError(f"ModelCheckpoint got unexpected keyword arguments {sorted(kwargs)}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are 'epoch' or "
                "a positive integer (a number of batches)."
            )
        self._direction = None
        self.best = initial_value_threshold
        self._current_epoch = 0
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self.epochs_since_last_save = 0

    def _wants_hook(self, hook):
        return hook == "on_train_batch_end" and self.save_freq != "epoch"

    def on_train_begin(self, logs=None):
        if self._direction is None:
            self._direction = resolve_mode(self.monitor, self.mode, self._model)
        if self.best is None:
            self.best = initial_best(self._direction)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def _backup_state(self):
        """What BackupAndRestore keeps: the best value and the save counters."""
        best = None if self.best is None else float(self.best)
        return {"best": best, "epochs_since_last_save": self.epochs_since_last_save,
                "batches_seen": self._batches_seen_since_last_saving,
                "last_batch": self._last_batch_seen}, None

    def _restore_backup_state(self, state, arrays):
        self.best = state["best"]
        self.epochs_since_last_save = state["epochs_since_last_save"]
        self._batches_seen_since_last_saving = state["batches_seen"]
        self._last_batch_seen = state["last_batch"]

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs_to_float(logs))

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_since_last_save += 1
        if self.save_freq == "epoch" and self.epochs_since_last_save >= self.period:
            self.epochs_since_last_save = 0
            self._save_model(epoch, None, logs or {})

    # ------------------------------------------------------------- internals
    def _should_save_on_batch(self, batch):
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1  # batch is 0-based
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch, batch, logs):
        """`filepath` with its fields filled from the epoch, batch and logs."""
        fields = dict(logs)
        fields["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}. '
                f"Available keys: {sorted(fields)}"
            ) from None

    def _should_save(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                _write(f"\nEpoch {epoch + 1}: saving model to {filepath}\n")
            return True
        if self._direction is None:
            self.on_train_begin()
        current = monitored_value(logs, self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available, skipping. "
                f"Available metrics are: {','.join(logs.keys())}",
                stacklevel=3,
            )
            return False
        if isinstance(current, np.ndarray) and current.size != 1:
            warnings.warn(
                f"Can save best model only when `monitor` is a scalar value. Received: "
                f"{current}. Falling back to `save_best_only=False`.",
                stacklevel=3,
            )
            return True
        if is_improvement(self._direction, current, self.best):
            if self.verbose > 0:
                _write(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {filepath}\n"
                )
            self.best = current
            return True
        if self.verbose > 0:
            _write(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}\n")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        # Every process decides alike (the logs are global); process 0 writes.
        if not self._should_save(epoch, logs, filepath):
            return
        try:
            if distribution.is_chief():
                self._write_checkpoint(filepath)
        finally:
            distribution.barrier()

    def _write_checkpoint(self, filepath):
        if os.path.isdir(filepath):
            raise IOError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used "
                f"is an existing directory: {filepath}"
            )
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        weights_only = self.save_weights_only or filepath.endswith(".weights.h5")
        with atomic_write_path(filepath) as temp:
            if weights_only:
                self.model.save_weights(temp, overwrite=True)
            else:
                self.model.save(temp, overwrite=True)
