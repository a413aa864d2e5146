"""``TerminateOnNaN``: stops training when the loss becomes NaN or infinite."""
import math

from kfacade.callbacks.callback import Callback
from kfacade.callbacks.logs import to_python_value
from kfacade.utils.progbar import _write


class TerminateOnNaN(Callback):
    """Sets ``model.stop_training`` when a batch's loss is NaN or infinite.

    It reads the loss after every batch, which waits for the device each
    step; only the loss is copied to the host.

    Example:
        >>> model.fit(x, y, callbacks=[kfacade.callbacks.TerminateOnNaN()])
    """

    _raw_batch_logs = True  # converts only "loss"

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = to_python_value(loss)
        if isinstance(loss, float) and (math.isnan(loss) or math.isinf(loss)):
            _write(f"Batch {batch}: Invalid loss, terminating training\n")
            self.model.stop_training = True
