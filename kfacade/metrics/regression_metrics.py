"""Regression metrics: running weighted means of the regression losses, and
``RootMeanSquaredError``."""
from kfacade import losses, ops
from kfacade.losses.loss import squeeze_or_expand_to_same_rank
from kfacade.losses.losses import (
    log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error,
)
from kfacade.metrics.reduction_metrics import Mean, MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """The weighted mean of mean(square(y_true - y_pred), axis=-1) over samples.

    Args:
        name: default "mean_squared_error".
        dtype: the state's dtype.
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanAbsoluteError(MeanMetricWrapper):
    """The weighted mean of mean(abs(y_true - y_pred), axis=-1) over samples.

    Args:
        name: default "mean_absolute_error".
        dtype: the state's dtype.
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class _NamedLossMean(MeanMetricWrapper):
    """The weighted mean of a per-sample function `_fn` fixed by the subclass;
    its config is its name, dtype and the function's arguments (as Keras's)."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


class MeanAbsolutePercentageError(_NamedLossMean):
    """The weighted mean of ``100 * mean(abs((y_true - y_pred) / y_true), axis=-1)``.

    Args: name (default "mean_absolute_percentage_error"), dtype.
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(fn=mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_NamedLossMean):
    """The weighted mean of ``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``.

    Args: name (default "mean_squared_logarithmic_error"), dtype.
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(fn=mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(_NamedLossMean):
    """The weighted mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Args: name (default "logcosh"), dtype.
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(fn=log_cosh, name=name, dtype=dtype)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between `y_true` and `y_pred` along `axis`:
    the metric's sign, where the loss of that name is its negative."""
    return ops.negative(losses.cosine_similarity(y_true, y_pred, axis=axis))


class CosineSimilarity(_NamedLossMean):
    """The weighted mean of the cosine similarity of `y_true` and `y_pred` along `axis`.

    Args: name (default "cosine_similarity"), dtype, axis (default -1).
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(fn=cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the weighted mean of ``square(y_pred - y_true)`` (per sample,
    averaged over its values first, as ``Mean`` does).

    Args: name (default "root_mean_squared_error"), dtype.

    Example:
        >>> m = RootMeanSquaredError(); m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
        >>> m.result()  # 0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return super().update_state(ops.square(ops.subtract(y_pred, y_true)),
                                    sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(super().result())
