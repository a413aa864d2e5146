"""Regression metrics: running weighted means of the regression losses."""
from kfacade.losses.losses import mean_absolute_error, mean_squared_error
from kfacade.metrics.reduction_metrics import MeanMetricWrapper


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
