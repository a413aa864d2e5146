"""``ProgbarLogger``: prints the progress bar and metrics of fit/evaluate/predict.

Batch logs reach it as native tensors; it turns them into floats only when
the bar is about to be redrawn (at most every ``_REDRAW_INTERVAL`` seconds
on a terminal, and never mid-epoch when stdout is not a terminal), so a
training step does not wait for the device just to feed the display.
"""
from kfacade.callbacks.callback import Callback
from kfacade.callbacks.logs import logs_to_float, to_python_value
from kfacade.utils.progbar import Progbar, _write

#: Seconds between two redraws of the bar on a terminal (about 10 per second).
_REDRAW_INTERVAL = 0.1

_COUNT_MODES = ("steps", "samples")


class ProgbarLogger(Callback):
    """Prints metrics to stdout: a progress bar (verbose=1) or a line per epoch (2).

    ``fit``, ``evaluate`` and ``predict`` add one when ``verbose`` is not 0.
    Inside ``fit`` the validation run is silent: its results appear on the
    epoch's line as ``val_*``.

    Args:
        count_mode: "steps" (the bar counts batches) or "samples" (it counts
            samples, from the batch logs' "size" or the run's "batch_size").
        stateful_metrics: kept for Keras 2 compatibility. Every value in the
            logs is already the epoch's running result, so all are shown as
            given rather than averaged again.

    Example output (verbose=1, then verbose=2):
        ```
        Epoch 1/5
        12/60 [=====>........................] - ETA: 3s - loss: 0.2345
        60/60 [==============================] - 2s 33ms/step - loss: 0.2012 - val_loss: 0.2101
        Epoch 2/5
        60/60 - 2s - loss: 0.1811 - val_loss: 0.1934 - 2s/epoch - 33ms/step
        ```
    """

    _raw_batch_logs = True

    def __init__(self, count_mode="steps", stateful_metrics=None):
        super().__init__()
        if count_mode not in _COUNT_MODES:
            raise ValueError(
                f"Unknown `count_mode`: {count_mode!r}. Expected values are {list(_COUNT_MODES)}."
            )
        self.use_steps = count_mode == "steps"
        self.stateful_metrics = set(stateful_metrics or ())
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        verbose = params.get("verbose", 1)
        self.verbose = 1 if verbose == "auto" else verbose
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps") if self.use_steps else params.get("samples")

    def _wants_hook(self, hook):
        if hook in ("on_train_batch_end", "on_predict_batch_end"):
            return self.verbose == 1
        if hook == "on_test_batch_end":
            return self.verbose == 1 and not self._called_in_fit
        return False

    # ------------------------------------------------------------- hooks
    def on_train_begin(self, logs=None):
        # Inside fit, validation runs silently: its results join the epoch line.
        self._called_in_fit = True

    def on_train_end(self, logs=None):
        self._called_in_fit = False

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            _write(f"Epoch {epoch + 1}/{self.epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._update_progbar(batch, None)  # predictions are not shown

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(None)

    # ------------------------------------------------------------- internals
    def _reset_progbar(self):
        self.seen = 0
        self.progbar = Progbar(
            target=self.target,
            verbose=self.verbose,
            interval=_REDRAW_INTERVAL,
            stateful_metrics=self.stateful_metrics,
            unit_name="step" if self.use_steps else "sample",
        )

    def _batch_size(self, logs):
        size = (logs or {}).get("size", self.params.get("batch_size", 1))
        return int(to_python_value(size))

    def _update_progbar(self, batch, logs):
        if self.progbar is None:
            self._reset_progbar()
        if self.use_steps:
            self.seen = batch + 1  # batch is 0-based
        else:
            self.seen += self._batch_size(logs)
        if self.progbar.will_draw():
            self.progbar.update(self.seen, self._values(logs), finalize=False)
        else:
            self.progbar.skip(self.seen)

    def _finalize_progbar(self, logs):
        if self.progbar is None:
            self._reset_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.seen
        self.progbar.update(self.target, self._values(logs), finalize=True)

    def _values(self, logs):
        """The logs to display, as floats, in their order; all shown as given."""
        values = logs_to_float(logs)
        values.pop("size", None)
        values.pop("batch", None)
        self.progbar.stateful_metrics.update(values)
        return list(values.items())
