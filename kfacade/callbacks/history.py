"""``History``: records the logs of every epoch; ``fit`` returns it."""
from kfacade.callbacks.callback import Callback
from kfacade.callbacks.monitor import KERAS2_LOG_NAMES


class _LogsByName(dict):
    """``History.history``: a dict that also answers the names Keras 2.2
    logged ("acc", "val_acc", "lr") with what kfacade logs under Keras 3's
    ("accuracy", ...). Its keys stay those logged."""

    def __missing__(self, key):
        current = KERAS2_LOG_NAMES.get(key)
        if current is None or current not in self:
            raise KeyError(key)
        return self[current]


class History(Callback):
    """Records each epoch's logs into ``history``.

    ``fit`` adds one automatically and returns it (it is also
    ``model.history``).

    Attributes:
        history: dict mapping each log key ("loss", "val_loss", ...) to the
            list of its values, one per epoch (a key absent at some epochs,
            e.g. validation run every other epoch, has fewer values).
        epoch: the list of epoch indices (0-based) recorded by the last ``fit``.

    Example:
        >>> history = model.fit(x, y, epochs=3, verbose=0)
        >>> history.history["loss"]  # three floats

    A Keras 2.2 program's ``history.history["acc"]`` (or "val_acc", "lr")
    reads "accuracy" ("val_accuracy", "learning_rate"), which Keras 2.3 and
    later log instead.
    """

    def __init__(self):
        super().__init__()
        self.history = _LogsByName()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        # Set again: a History passed to several fits points at the latest model.
        if self._model is not None:
            self._model.history = self
