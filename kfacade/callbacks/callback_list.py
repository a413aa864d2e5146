"""``CallbackList``: dispatches each hook to a list of callbacks.

Logs arrive from the training loop as dicts of native tensors (or floats).
Turning a tensor into a float waits for the device, so batch-level logs are
converted only when some callback that expects floats overrides that batch
hook; callbacks marked ``_raw_batch_logs`` (the progress bar, checkpoints,
TerminateOnNaN) get the tensors and convert only what they need, when they
need it. A batch hook nobody overrides costs one dict lookup. Epoch-level
logs are converted once, in place, and the same dict goes to every
callback, so keys one adds ("learning_rate") are seen by the ones after it.
"""
from kfacade.callbacks.callback import BATCH_HOOKS, Callback
from kfacade.callbacks.history import History
from kfacade.callbacks.logs import logs_to_float, to_python_value  # noqa: F401  (public here)
from kfacade.callbacks.progbar_logger import ProgbarLogger

# Batch hooks whose logs are never numbers (predictions), passed through as they are.
_PASSTHROUGH_HOOKS = ("on_predict_batch_begin", "on_predict_batch_end")


def _flatten(callbacks):
    if isinstance(callbacks, (list, tuple)):
        return [c for item in callbacks for c in _flatten(item)]
    return [callbacks]


class CallbackList(Callback):
    """Calls every hook on a list of callbacks.

    Args:
        callbacks: a list of `Callback` instances (nested lists are flattened).
        add_history: append a `History` unless the list holds one already.
        add_progbar: append a `ProgbarLogger` unless the list holds one already.
        model: the model, given to every callback with `set_model`.
        **params: the run's parameters ("epochs", "steps", "verbose"), given
            to every callback with `set_params`.

    Example:
        >>> callbacks = CallbackList([EarlyStopping()], add_history=True,
        ...                          add_progbar=True, model=model,
        ...                          epochs=5, steps=60, verbose=1)
        >>> callbacks.on_train_begin()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None,
                 **params):
        super().__init__()
        self.callbacks = _flatten(callbacks) if callbacks else []
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "Each callback must be an instance of kfacade.callbacks.Callback. "
                    f"Received: {callback!r} (of type {type(callback).__name__})"
                )
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        # Callbacks that must see the others' work (BackupAndRestore) run last.
        self.callbacks.sort(key=lambda c: bool(getattr(c, "_runs_last", False)))
        for callback in self.callbacks:
            if hasattr(callback, "set_callbacks"):
                callback.set_callbacks(self.callbacks)
        self._batch_table = {}
        self.set_model(model)
        self.set_params(params)

    def append(self, callback):
        """Adds a callback at the end."""
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)
        self._refresh()

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)
        self._refresh()

    def set_model(self, model):
        if model is None:
            self._refresh()
            return
        self._model = model
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)
        self._refresh()

    def _refresh(self):
        """Lists, per batch hook, the callbacks to call and whether each gets floats."""
        self._batch_table = {
            hook: tuple(
                (callback, callback._raw_batch_logs or hook in _PASSTHROUGH_HOOKS)
                for callback in self.callbacks
                if callback._wants_hook(hook)
            )
            for hook in BATCH_HOOKS
        }

    def reads_batch_logs(self, hook):
        """Whether any callback is called at batch hook `hook` (a name from
        BATCH_HOOKS); when none is, the trainer need not build that hook's logs."""
        return bool(self._batch_table[hook])

    # ------------------------------------------------------------ dispatch
    def _dispatch_batch(self, hook, batch, logs):
        entries = self._batch_table[hook]
        if not entries:
            return
        if logs is None:
            logs = {}
        float_logs = None
        for callback, raw in entries:
            if raw:
                getattr(callback, hook)(batch, logs=logs)
            else:
                if float_logs is None:
                    float_logs = logs_to_float(logs)
                getattr(callback, hook)(batch, logs=float_logs)

    def _dispatch(self, hook, *args, logs=None, convert=True):
        if logs is None:
            logs = {}
        elif convert and logs:
            converted = logs_to_float(logs)
            logs.clear()
            logs.update(converted)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)
        return logs

    def on_train_begin(self, logs=None):
        self._dispatch("on_train_begin", logs=logs)
        self._refresh()  # callbacks may change what they listen to once training starts

    def on_train_end(self, logs=None):
        self._dispatch("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._dispatch("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._dispatch("on_epoch_end", epoch, logs=logs)

    def on_test_begin(self, logs=None):
        self._dispatch("on_test_begin", logs=logs)
        self._refresh()

    def on_test_end(self, logs=None):
        self._dispatch("on_test_end", logs=logs)

    def on_predict_begin(self, logs=None):
        self._dispatch("on_predict_begin", logs=logs, convert=False)
        self._refresh()

    def on_predict_end(self, logs=None):
        self._dispatch("on_predict_end", logs=logs, convert=False)

    def on_batch_begin(self, batch, logs=None):
        self._dispatch_batch("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._dispatch_batch("on_batch_end", batch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._dispatch_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._dispatch_batch("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._dispatch_batch("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._dispatch_batch("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._dispatch_batch("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._dispatch_batch("on_predict_batch_end", batch, logs)
