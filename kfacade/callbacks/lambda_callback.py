"""``LambdaCallback``: a callback made of functions given at construction."""
from kfacade.callbacks.callback import BATCH_HOOKS, OTHER_HOOKS, Callback


class LambdaCallback(Callback):
    """Calls the given functions at the matching hooks.

    The functions take the hook's arguments: ``on_epoch_begin/end(epoch,
    logs)``, ``on_batch_begin/end(batch, logs)`` (also
    ``on_train_batch_begin/end`` and the test/predict batch hooks), and
    ``on_train_begin/end(logs)`` (also test/predict begin/end).

    Args:
        on_epoch_begin, on_epoch_end, on_batch_begin, on_batch_end,
        on_train_begin, on_train_end: functions, or None.
        **kwargs: any other hook of `Callback` by name, e.g.
            ``on_test_end=function``.

    Raises:
        TypeError: a keyword names no hook, or a value is not callable.

    Example:
        >>> batch_print = kfacade.callbacks.LambdaCallback(
        ...     on_batch_begin=lambda batch, logs: print(batch))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super().__init__()
        functions = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                         on_batch_begin=on_batch_begin, on_batch_end=on_batch_end,
                         on_train_begin=on_train_begin, on_train_end=on_train_end)
        unknown = sorted(set(kwargs) - set(BATCH_HOOKS) - set(OTHER_HOOKS))
        if unknown:
            raise TypeError(
                f"LambdaCallback received unknown hooks {unknown}. Expected hooks among "
                f"{sorted(BATCH_HOOKS + OTHER_HOOKS)}."
            )
        functions.update(kwargs)
        for hook, function in functions.items():
            if function is None:
                continue
            if not callable(function):
                raise TypeError(f"LambdaCallback: {hook} must be callable. Received: {function!r}")
            # An instance attribute overrides the method, as Keras's LambdaCallback does.
            setattr(self, hook, function)
