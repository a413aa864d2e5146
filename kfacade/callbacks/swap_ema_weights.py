"""``SwapEMAWeights``: evaluate (and predict) with the optimizer's moving
averages of the weights instead of the weights themselves."""
from kfacade import ops
from kfacade.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Swaps the model's weights with the optimizer's EMA weights around
    evaluation and prediction, and back afterwards.

    Use it with an optimizer built with ``use_ema=True``. During ``fit``,
    the validation of each epoch then reports the averaged weights
    ("Polyak averaging") while training goes on from the raw ones. The
    swap exchanges values in place, so it costs no extra memory.

    Args:
        swap_on_epoch: also swap at the end of each epoch and back at the
            beginning of the next, so that other callbacks of
            ``on_epoch_end`` (``ModelCheckpoint``) see the EMA weights.

    Raises:
        ValueError: (at the first swap) the optimizer does not keep moving
            averages (``use_ema=False``).

    Example:
        >>> model.compile(optimizer=kfacade.optimizers.SGD(use_ema=True), loss="mse")
        >>> model.fit(x, y, validation_split=0.2, callbacks=[SwapEMAWeights()])

    Unlike Keras 3.15, whose ``on_predict_end`` tests the wrong flag and
    leaves the EMA weights in the model after a ``predict``, the raw
    weights come back after ``predict`` too.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._ema_weights_in_model = False

    def _pairs(self):
        """``(variable, average)`` of every optimizer keeping averages: the
        model's, its ``LossScaleOptimizer``'s inner one, or those of a
        ``MultiOptimizer``'s sub-optimizers that have ``use_ema``."""
        optimizer = self.model.optimizer
        optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # LossScaleOptimizer
        candidates = getattr(optimizer, "optimizers", None)
        if candidates is None:
            candidates = [optimizer]
        averaging = [o for o in candidates if getattr(o, "use_ema", False)]
        if not averaging:
            raise ValueError(
                "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer "
                "(or, for a MultiOptimizer, on at least one of its optimizers). Received: "
                f"use_ema={getattr(optimizer, 'use_ema', False)}"
            )
        return [pair for o in averaging
                for pair in zip(o._trainable_variables, o._model_variables_moving_average)]

    def _swap(self, into_model):
        """Exchanges weights and averages when the EMA weights are not yet
        where `into_model` wants them."""
        if self._ema_weights_in_model == into_model:
            return
        for variable, average in self._pairs():
            # A copy: an adapter may hand out the variable's own storage.
            current = ops.copy(variable.value)
            variable.assign(average.value)
            average.assign(current)
        self._ema_weights_in_model = into_model

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(into_model=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(into_model=True)
            if epoch == self.params["epochs"] - 1:
                # `fit` ends by writing the averages into the weights
                # (finalize_variable_values): the averages must hold them.
                for variable, average in self._pairs():
                    average.assign(ops.copy(variable.value))

    def on_test_begin(self, logs=None):
        self._swap(into_model=True)

    def on_test_end(self, logs=None):
        self._swap(into_model=False)

    def on_predict_begin(self, logs=None):
        self._swap(into_model=True)

    def on_predict_end(self, logs=None):
        self._swap(into_model=False)
