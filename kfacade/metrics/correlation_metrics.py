"""Correlation metrics: running weighted means of per-sample correlations along an axis."""
from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.losses.loss import squeeze_or_expand_to_same_rank
from kfacade.losses.losses import _pair
from kfacade.metrics.reduction_metrics import FunctionMean


def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of `y_true` and `y_pred` along `axis`, per sample."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    true_centred = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    pred_centred = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    true_centred = ops.divide(true_centred, ops.std(true_centred, axis=axis, keepdims=True))
    pred_centred = ops.divide(pred_centred, ops.std(pred_centred, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(true_centred, pred_centred), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation along `axis`, per sample, as Keras 3.15
    computes it: its covariance term centres `y_true` on the mean of
    `y_pred` (so that the same inputs give Keras's numbers)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pair(y_true, y_pred))
    true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    true_var = ops.var(ops.subtract(y_true, true_mean), axis=axis, keepdims=True)
    pred_var = ops.var(ops.subtract(y_pred, pred_mean), axis=axis, keepdims=True)
    covariance = ops.multiply(ops.subtract(y_true, pred_mean), ops.subtract(y_pred, pred_mean))
    norm = ops.add(ops.add(true_var, pred_var), ops.square(ops.subtract(true_mean, pred_mean)))
    return ops.mean(ops.divide(ops.multiply(2.0, covariance), ops.add(norm, epsilon())), axis=axis)


class PearsonCorrelation(FunctionMean):
    """The weighted mean over samples of ``pearson_correlation`` along `axis`
    (maximised by EarlyStopping's "auto" mode).

    Args: name (default "pearson_correlation"), dtype, axis (default -1).
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self._direction = "up"


class ConcordanceCorrelation(FunctionMean):
    """The weighted mean over samples of ``concordance_correlation`` along `axis`.

    Args: name (default "concordance_correlation"), dtype, axis (default -1).
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self._direction = "up"
