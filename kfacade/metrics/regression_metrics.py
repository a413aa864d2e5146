"""Regression metrics: running weighted means of the regression losses, and
``RootMeanSquaredError``."""
from kfacade import losses, ops
from kfacade.losses.loss import squeeze_or_expand_to_same_rank
from kfacade.losses.losses import (
    log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error,
)
from kfacade.metrics.metric import Metric
from kfacade.metrics.metrics_utils import check_two_dimensional
from kfacade.metrics.reduction_metrics import FunctionMean, Mean


class MeanSquaredError(FunctionMean):
    """The weighted mean of mean(square(y_true - y_pred), axis=-1) over samples.

    Args:
        name: default "mean_squared_error".
        dtype: the state's dtype.
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(FunctionMean):
    """The weighted mean of mean(abs(y_true - y_pred), axis=-1) over samples.

    Args:
        name: default "mean_absolute_error".
        dtype: the state's dtype.
    """

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(fn=mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(FunctionMean):
    """The weighted mean of ``100 * mean(abs((y_true - y_pred) / y_true), axis=-1)``.

    Args: name (default "mean_absolute_percentage_error"), dtype.
    """

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(fn=mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(FunctionMean):
    """The weighted mean of ``mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``.

    Args: name (default "mean_squared_logarithmic_error"), dtype.
    """

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(fn=mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(FunctionMean):
    """The weighted mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``.

    Args: name (default "logcosh"), dtype.
    """

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(fn=log_cosh, name=name, dtype=dtype)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine of the angle between `y_true` and `y_pred` along `axis`:
    the metric's sign, where the loss of that name is its negative."""
    return ops.negative(losses.cosine_similarity(y_true, y_pred, axis=axis))


class CosineSimilarity(FunctionMean):
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


_R2_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """The coefficient of determination, ``1 - SS_res / SS_tot``, per output
    column of ``(batch, outputs)`` data, accumulated over batches (Keras 3's).

    Args:
        class_aggregation: "uniform_average" (default: the columns' mean),
            "variance_weighted_average" (weighted by each column's total
            sum of squares), or None (one score per column).
        num_regressors: p > 0 gives the adjusted score, ``1 - (1 - R2) * (n
            - 1) / (n - p - 1)``, n the number of values seen; the plain
            score where ``p >= n - 1`` (Keras warns there; a compiled step
            cannot, so kfacade only falls back).
        name: default "r2_score"; dtype: the state's dtype.

    The per-column state is sized by the first inputs (or by ``compile``,
    from the model's output shape).

    Raises:
        ValueError: an invalid argument; inputs that are not 2-D with a
            known number of columns.
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in _R2_AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `class_aggregation`. Expected one of "
                f"{_R2_AGGREGATIONS}. Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable((), name="num_samples")
        self._state_built = False

    def build_for_shapes(self, y_true_shape, y_pred_shape):
        """Creates the per-column state for ``(batch, outputs)`` inputs."""
        if self._state_built:
            return
        check_two_dimensional(self, y_true_shape, y_pred_shape)
        columns = (y_pred_shape[-1],)
        self.squared_sum = self.add_variable(columns, name="squared_sum")
        self.sum = self.add_variable(columns, name="sum")
        self.total_mse = self.add_variable(columns, name="residual")
        self.count = self.add_variable(columns, name="count")
        self._state_built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        self.build_for_shapes(tuple(y_true.shape), tuple(y_pred.shape))
        if sample_weight is None:
            sample_weight = ops.ones_like(y_true)
        else:
            sample_weight = ops.cast(ops.convert_to_tensor(sample_weight), self.dtype)
            if ops.ndim(sample_weight) == 1:
                sample_weight = ops.expand_dims(sample_weight, 1)
            sample_weight = ops.broadcast_to(sample_weight, ops.shape(y_true))
        weighted = ops.multiply(y_true, sample_weight)
        self.sum.assign_add(ops.sum(weighted, axis=0))
        self.squared_sum.assign_add(ops.sum(ops.multiply(y_true, weighted), axis=0))
        self.total_mse.assign_add(ops.sum(
            ops.multiply(ops.square(ops.subtract(y_true, y_pred)), sample_weight), axis=0))
        self.count.assign_add(ops.sum(sample_weight, axis=0))
        self.num_samples.assign_add(ops.cast(ops.size(y_true), self.dtype))

    def result(self):
        if not self._state_built:
            raise ValueError("R2Score has no state yet: call update_state first.")
        total_sum = self.sum.value
        mean = ops.divide(total_sum, self.count.value)
        total = ops.subtract(self.squared_sum.value, ops.multiply(total_sum, mean))
        raw = ops.subtract(1.0, ops.divide(self.total_mse.value, total))
        infinite = ops.logical_and(ops.logical_not(ops.isfinite(raw)),
                                   ops.logical_not(ops.isnan(raw)))
        raw = ops.where(infinite, 0.0, raw)  # a constant column (SS_tot 0): 0, as Keras
        if self.class_aggregation == "uniform_average":
            score = ops.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = ops.divide(ops.sum(ops.multiply(total, raw)), ops.sum(total))
        else:
            score = raw
        if self.num_regressors:
            n, p = self.num_samples.value, float(self.num_regressors)
            adjusted = ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(1.0, score),
                                                                 ops.subtract(n, 1.0)),
                                                    ops.subtract(ops.subtract(n, p), 1.0)))
            score = ops.where(ops.less(p, ops.subtract(n, 1.0)), adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
