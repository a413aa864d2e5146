"""``BackupAndRestore``: a killed ``fit`` resumes exactly where it was.

The backup holds everything the run needs to continue as if it had never
stopped: every state variable (weights, optimizer slots and step count,
metric states, random seed states), the epoch and step reached, the
shuffle seed (with this callback, each epoch's order of array data comes
from ``seed + epoch``), the history so far, and the counters of the other
callbacks (``ModelCheckpoint``'s best value, ``EarlyStopping``'s wait and
best, ``ReduceLROnPlateau``'s, ``CSVLogger`` switching to append). Files
are written atomically; the previous backup is kept until the new one is
complete, and a damaged newest file is skipped with a warning. In a job of
several processes process 0 writes and every process reads the same file.
"""
import os
import shutil

import numpy as np

from kfacade import distribution
from kfacade.backend.active import adapter as _B
from kfacade.callbacks.callback import Callback
from kfacade.saving import training_checkpoint


class BackupAndRestore(Callback):
    """Backs up the training state, and restores it when ``fit`` starts again.

    Args:
        backup_dir: the folder of the backup files (created if needed).
        save_freq: "epoch", or an integer: back up every that many batches
            (and resume in the middle of an epoch).
        delete_checkpoint: delete the backup once training finishes.
        double_checkpoint: keep the two newest backups instead of one (the
            previous is always kept until the new one is complete).

    Example:
        >>> model.fit(x, y, epochs=10,
        ...           callbacks=[kfacade.callbacks.BackupAndRestore("/tmp/backup")])

    Raises:
        ValueError: an empty `backup_dir` or an invalid `save_freq`.
    """

    #: Run after the other callbacks: their on_train_begin resets what this
    #: restores, and a backup at an epoch's end includes their updates.
    _runs_last = True

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True,
                 double_checkpoint=False):
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(
                f"Invalid value for argument `save_freq`. Received: save_freq={save_freq!r}. "
                f"Expected either 'epoch' or a positive integer."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self.double_checkpoint = double_checkpoint
        self._callbacks = []
        self._epoch = 0
        self._batches_since_save = 0

    def _wants_hook(self, hook):
        return hook == "on_train_batch_end" and self.save_freq != "epoch"

    # ------------------------------------------------------------ restore
    def set_callbacks(self, callbacks):
        """The other callbacks of the run, whose counters are backed up too."""
        self._callbacks = [c for c in callbacks if c is not self]

    def on_train_begin(self, logs=None):
        model = self.model
        found = training_checkpoint.read_latest(self.backup_dir)
        if found is None:
            # A fresh run: its shuffle seed is drawn now (after the user's
            # set_random_seed), shared by every process, and backed up.
            seed = np.random.randint(2 ** 31) if distribution.is_chief() else 0
            if distribution.num_processes() > 1:
                seed = int(_B.process_sum(np.array([seed], "int64"))[0])
            model._shuffle_seed = int(seed)
            self._epoch, self._batches_since_save = 0, 0
            return
        path, values, meta, arrays = found
        variables = _state_variables(model)
        # Matched by order, as Keras matches weights (automatic layer names
        # differ between two models built in one process).
        shapes = [list(v.shape) for v in variables]
        if [list(np.shape(value)) for value in values] != shapes:
            raise ValueError(
                f"The backup {path!r} does not belong to this model: it holds "
                f"{len(values)} state variables ({meta['paths'][:4]}...) of shapes "
                f"{[list(np.shape(v)) for v in values][:6]}..., the model has {len(shapes)} "
                f"({[v.path for v in variables][:4]}...) of shapes {shapes[:6]}.... Delete "
                f"{self.backup_dir!r} to start afresh."
            )
        for variable, value in zip(variables, values):
            variable.assign(value)
        model._shuffle_seed = int(meta["shuffle_seed"])
        model._resume_point = (int(meta["epoch"]), int(meta["step"]))
        self._epoch = int(meta["epoch"])
        self._batches_since_save = 0
        history = getattr(model, "history", None)
        if history is not None and meta.get("history") is not None:
            history.history.clear()  # its own dict type (Keras 2 names) stays
            history.history.update((k, list(v)) for k, v in meta["history"]["history"])
            history.epoch = list(meta["history"]["epoch"])
        states = meta.get("callbacks", {})
        for key, callback in _keyed(self._callbacks):
            restore = getattr(callback, "_restore_backup_state", None)
            if restore is not None and key in states:
                restore(states[key], {name.split("/", 1)[1]: value for name, value in arrays.items()
                                      if name.split("/", 1)[0] == key})

    # ------------------------------------------------------------- backup
    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        self._batches_since_save += 1
        if self.save_freq != "epoch" and self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._backup(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        self._batches_since_save = 0
        self._backup(epoch + 1, 0)  # also with a batch frequency: an epoch's end is a clean point

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:  # reached only when fit finishes (an error skips it)
            if distribution.is_chief():
                shutil.rmtree(self.backup_dir, ignore_errors=True)
            distribution.barrier()

    def _backup(self, epoch, step):
        """Writes the state reached: the next step to run is `step` of `epoch`."""
        model = self.model
        variables = _state_variables(model)
        history = getattr(model, "history", None)
        meta = {
            "epoch": epoch, "step": step, "shuffle_seed": int(getattr(model, "_shuffle_seed", 0)),
            "paths": [v.path for v in variables],
            "history": None if history is None else {
                "history": [[k, [float(x) for x in v]] for k, v in history.history.items()],
                "epoch": [int(e) for e in history.epoch]},
            "callbacks": {},
        }
        arrays = {}
        for key, callback in _keyed(self._callbacks):
            get_state = getattr(callback, "_backup_state", None)
            if get_state is None:
                continue
            state, state_arrays = get_state()
            meta["callbacks"][key] = state
            for name, values in (state_arrays or {}).items():
                arrays[f"{key}/{name}"] = values
        # Every process reads its values (collectives, if any, run everywhere).
        values = [np.asarray(v.numpy()) for v in variables]
        try:
            if distribution.is_chief():
                training_checkpoint.write(self.backup_dir, values, meta, arrays,
                                          keep=1 if self.double_checkpoint else 0)
        finally:
            distribution.barrier()


def _state_variables(model):
    """Everything `fit` changes: weights, optimizer, metrics, seed states."""
    return model._state_variables(include_optimizer=True)


def _keyed(callbacks):
    """(key, callback): the key names its class and its rank among that class's callbacks."""
    counts = {}
    for callback in callbacks:
        name = type(callback).__name__
        index = counts.get(name, 0)
        counts[name] = index + 1
        yield f"{name}-{index}", callback
