"""``LearningRateScheduler``: sets the learning rate from a function of the epoch."""
import inspect
import numbers

import numpy as np

from kfacade.callbacks.callback import Callback
from kfacade.callbacks.logs import to_python_value
from kfacade.callbacks.monitor import learning_rate_of, rate_holders
from kfacade.utils.progbar import _write


def _accepts_two_arguments(function):
    """True/False when the signature tells whether `function(epoch, lr)` works; None if unknown."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    positional = 0
    for parameter in signature.parameters.values():
        if parameter.kind == parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


class LearningRateScheduler(Callback):
    """Sets the learning rate at the start of each epoch from `schedule`.

    Each epoch's logs gain "learning_rate".

    Args:
        schedule: a function ``schedule(epoch, lr) -> new_lr`` (epoch is
            0-based, lr the current rate as a float), or Keras 1's
            ``schedule(epoch) -> new_lr``.
        verbose: 1 prints the rate set at each epoch; 0 is silent.

    Raises:
        ValueError: the optimizer has no learning rate, or `schedule` does
            not return a number.

    Example:
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * 0.9
        >>> callback = kfacade.callbacks.LearningRateScheduler(scheduler)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _call_schedule(self, epoch, lr):
        takes_lr = _accepts_two_arguments(self.schedule)
        if takes_lr is None:  # a builtin or C function: try Keras's way
            try:
                return self.schedule(epoch, lr)
            except TypeError:
                return self.schedule(epoch)
        return self.schedule(epoch, lr) if takes_lr else self.schedule(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        for key, optimizer in rate_holders(self.model, "LearningRateScheduler"):
            new_lr = self._checked(self._call_schedule(epoch, learning_rate_of(optimizer)))
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                which = "" if key == "learning_rate" else f"{optimizer.name} "
                _write(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which}learning rate "
                    f"to {new_lr}.\n"
                )

    @staticmethod
    def _checked(new_lr):
        """`schedule`'s output as a finite Python float.

        Raises:
            ValueError: not a number, or not finite.
        """
        if not isinstance(new_lr, numbers.Real) or isinstance(new_lr, bool):
            value = to_python_value(new_lr)
            if not isinstance(value, float):
                raise ValueError(
                    f"The output of the `schedule` function should be a float. Got: {new_lr!r}"
                )
            new_lr = value
        new_lr = float(new_lr)
        if not np.isfinite(new_lr):
            raise ValueError(
                f"The output of the `schedule` function should be a finite float. Got: {new_lr}"
            )
        return new_lr

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for key, optimizer in rate_holders(self.model, "LearningRateScheduler"):
                logs[key] = learning_rate_of(optimizer)
