"""``Callback``: the base class of objects that ``fit``/``evaluate``/``predict`` call.

Every hook is a no-op here. ``CallbackList`` looks at which hooks a
callback overrides to skip the per-batch calls (and the device sync that
turning batch logs into floats costs) when nobody listens.
"""

#: Hooks called once per batch; logs turn into floats only for those who override them.
BATCH_HOOKS = (
    "on_batch_begin",
    "on_batch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)

#: Hooks called once per run or per epoch.
OTHER_HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_test_begin",
    "on_test_end",
    "on_predict_begin",
    "on_predict_end",
)

# Keras 2's aliases: the train batch hooks call these by default.
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


class Callback:
    """Base class for callbacks: override the hooks you need.

    Attributes:
        params: dict of the run's parameters: "epochs", "steps", "verbose".
        model: the model being trained, evaluated or used for prediction.

    Logs: epoch-level hooks receive a dict of Python floats ("loss",
    "val_loss", metrics...); batch-level hooks receive the running averages
    of the epoch so far, also as floats. `on_predict_batch_end` receives
    {"outputs": <the batch's predictions>}.

    Example:
        >>> class PrintLoss(kfacade.callbacks.Callback):
        ...     def on_epoch_end(self, epoch, logs=None):
        ...         print(epoch, logs["loss"])
    """

    #: True for callbacks that accept batch logs as native tensors and turn
    #: into floats only what they need, when they need it.
    _raw_batch_logs = False

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        """The model (None until ``set_model``)."""
        # getattr: subclasses written for Keras 2 may not call Callback.__init__.
        return getattr(self, "_model", None)

    @model.setter
    def model(self, model):
        self._model = model

    def _overrides(self, hook):
        """Whether this callback defines `hook` itself (class or instance attribute)."""
        if hook in self.__dict__:
            return True
        return getattr(type(self), hook) is not getattr(Callback, hook)

    def _wants_hook(self, hook):
        """Whether `CallbackList` must call `hook` (a name from BATCH_HOOKS).

        Subclasses that override a batch hook but act only in some
        configurations return False in the others.
        """
        alias = _ALIASES.get(hook)
        return self._overrides(hook) or (alias is not None and self._overrides(alias))

    # ------------------------------------------------------------- global
    def on_train_begin(self, logs=None):
        """Called at the start of training."""

    def on_train_end(self, logs=None):
        """Called at the end of training; `logs` are the last epoch's."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch; `logs` hold training and validation results."""

    def on_test_begin(self, logs=None):
        """Called at the start of evaluation or validation."""

    def on_test_end(self, logs=None):
        """Called at the end of evaluation or validation."""

    def on_predict_begin(self, logs=None):
        """Called at the start of prediction."""

    def on_predict_end(self, logs=None):
        """Called at the end of prediction."""

    # ------------------------------------------------------------- batches
    def on_batch_begin(self, batch, logs=None):
        """Keras 2 alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Keras 2 alias of `on_train_batch_end`."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch `batch` (0-based, within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch; `logs` are the epoch's running results."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Called before an evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after an evaluation batch."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after a prediction batch; `logs` = {"outputs": predictions}."""
