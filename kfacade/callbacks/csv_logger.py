"""``CSVLogger``: streams each epoch's logs to a CSV file."""
import collections.abc
import csv
import os

import numpy as np

from kfacade import distribution
from kfacade.callbacks.callback import Callback


def _csv_value(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
        isinstance(value, np.ndarray) and value.ndim == 0
    ):
        return f"\"[{', '.join(map(str, value))}]\""
    return value


class CSVLogger(Callback):
    """Writes one CSV row per epoch: "epoch" (0-based), then the log keys, sorted.

    The columns are fixed by the first epoch (plus the model's expected
    ``val_*`` metrics, for validation that starts later); a key missing
    at some epoch is written "NA". Rows use Excel's CSV dialect ("\\r\\n"
    line ends) with `separator` between fields.

    Args:
        filename: the CSV file, e.g. "run/log.csv".
        separator: the field separator.
        append: True appends to an existing file (no second header when it
            has content), False overwrites it.

    Example:
        >>> csv_logger = kfacade.callbacks.CSVLogger("training.log")
        >>> model.fit(x, y, callbacks=[csv_logger])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def _backup_state(self):
        """The log's length at the backup (BackupAndRestore)."""
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.flush()
        size = os.path.getsize(self.filename) if os.path.exists(self.filename) else 0
        return {"size": size, "keys": self.keys}, None

    def _restore_backup_state(self, state, arrays):
        """A resumed run appends to the log as it was at the backup: rows of
        epochs run after it (and lost) are cut, so none appears twice."""
        if not getattr(self, "_writes", True):
            return
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        if os.path.exists(self.filename) and os.path.getsize(self.filename) > state["size"]:
            with open(self.filename, "r+b") as f:
                f.truncate(state["size"])
        self.csv_file = open(self.filename, "a", newline="")
        self.writer = None
        self.keys = state["keys"]
        self.append_header = state["size"] == 0

    def on_train_begin(self, logs=None):
        self._writes = distribution.is_chief()  # one file per job: process 0 writes it
        if not self._writes:
            return
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, newline="") as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        # newline="": the csv module writes its own line ends.
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        if not getattr(self, "_writes", True):
            return
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            try:
                expected = list(getattr(self._model, "metrics_names", None) or ())
            except Exception:  # an uncompiled model may refuse to name its metrics
                expected = []
            self.keys += [name for name in expected
                          if name.startswith("val_") and name not in self.keys]
        if self.writer is None:
            class Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + self.keys, dialect=Dialect
            )
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
