"""``Sum``, ``Mean`` and ``MeanMetricWrapper``: weighted running reductions."""
from kfacade import ops
from kfacade.engine import object_registry
from kfacade.engine.masks import get_keras_mask
from kfacade.losses.loss import apply_mask, divide_no_nan, squeeze_or_expand_to_same_rank
from kfacade.metrics.metric import Metric


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """(per-sample values weighted by `sample_weight`, per-sample weights).

    Keras 3's rule: `values` are reduced with `reduce_fn` over the axes the
    weights do not have; weights of higher rank than 1 are reduced over
    their non-batch axes.
    """
    values = ops.cast(ops.convert_to_tensor(values), dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = ops.ndim(sample_weight)
        values_ndim = ops.ndim(values)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = ops.broadcast_to(sample_weight, ops.shape(values))
        values = ops.multiply(values, sample_weight)
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    values_ndim = ops.ndim(values)
    if values_ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values_ndim)))
    return values, sample_weight


class Sum(Metric):
    """The running (weighted) sum of the values given.

    Args:
        name: default "sum".
        dtype: the dtype of the state (default floatx).

    Example:
        >>> m = Sum(); m.update_state([1, 3, 5, 7]); m.result()  # 16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def result(self):
        return ops.cast(self.total.value, self.dtype)


class Mean(Metric):
    """The running weighted mean: sum(weight * value) / sum(weight).

    Values of shape ``(batch, ...)`` are first averaged per sample; without
    weights every sample weighs 1.

    Args:
        name: default "mean".
        dtype: the dtype of the state (default floatx).

    Example:
        >>> m = Mean(); m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        >>> m.result()  # 2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        weight_kind = type(sample_weight)
        if (weight_kind is int or weight_kind is float) and ops.ndim(values) == 0:
            # The trainer's loss tracker, every step: a scalar loss weighted by
            # the batch size. The general rule below gives the same values
            # (value * weight, weight) through seven more ops.
            weight = float(sample_weight)
            self.total.assign_add(ops.multiply(ops.cast(values, self.dtype), weight))
            # A Python number next to the state takes its dtype: no tensor made.
            self.count.assign_add(weight)
            return
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, ops.mean, self.dtype
        )
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            num_samples = ops.sum(sample_weight)
        else:
            # A static count: the batch size is known when tracing.
            shape = ops.shape(values)
            num_samples = float(shape[0]) if shape else 1.0
        self.count.assign_add(ops.cast(num_samples, self.dtype))

    def result(self):
        return divide_no_nan(self.total.value, self.count.value)


class MeanMetricWrapper(Mean):
    """The weighted mean of ``fn(y_true, y_pred, **kwargs)``'s per-sample values.

    Args:
        fn: a function returning per-sample values (a loss, an accuracy).
        name: the metric's name.
        dtype: the dtype of the state (default floatx).
        **kwargs: passed to `fn` on every update.

    Example:
        >>> m = MeanMetricWrapper(kfacade.losses.mean_squared_error, name="mse")
        >>> m.update_state(y_true, y_pred, sample_weight=w)
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = get_keras_mask(y_pred)
        with_mask = getattr(self._fn, "_with_mask", None)
        if with_mask is not None:
            values, fn_mask = with_mask(y_true, y_pred, **self._fn_kwargs)
            if fn_mask is not None:
                mask = fn_mask if mask is None else ops.logical_and(
                    ops.cast(mask, "bool"), ops.cast(fn_mask, "bool"))
        else:
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = apply_mask(sample_weight, mask, dtype=self.dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        config = {**super().get_config(), "fn": getattr(self._fn, "__name__", None)}
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" not in config:  # a subclass whose config names no function
            return cls(**config)
        config = dict(config)
        fn = config.pop("fn")
        if isinstance(fn, str):
            fn = _metric_function(fn)
        return cls(fn, **config)


class FunctionMean(MeanMetricWrapper):
    """``MeanMetricWrapper`` of a function fixed by the subclass (``Accuracy``,
    ``MeanSquaredError``, ``BinaryCrossentropy``, ...): its config is its
    name, dtype and the function's arguments, as Keras's classes write it."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, **self._fn_kwargs}


def _metric_function(name):
    """The per-sample function registered as `name` (``kfacade.metrics`` registers them)."""
    fn = object_registry.get("metric_functions", name)
    if fn is None:
        raise ValueError(
            f"Could not interpret metric function name: {name!r}. Known functions: "
            f"{object_registry.names('metric_functions')}"
        )
    return fn
