"""FBetaScore and F1Score: per-class (or pooled) F-scores of thresholded predictions."""
from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.metrics.metric import Metric
from kfacade.metrics.metrics_utils import check_two_dimensional

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """The F-beta score, ``(1 + beta**2) * precision * recall / (beta**2 *
    precision + recall)``, of multi-label or one-hot predictions (Keras 3's).

    Args:
        average: None (one score per class), "micro" (counts pooled over
            classes), "macro" (the mean of the class scores) or "weighted"
            (their mean weighted by each class's true count).
        beta: a float > 0 (1.0: the F1 score).
        threshold: a float in (0, 1]: predictions above it count as
            positive; None: each sample's highest prediction (a one-hot
            decision), unless that prediction is 0.
        name: default "fbeta_score"; dtype: the state's dtype.

    Inputs ``(batch, num_classes)``; the state's size is fixed by the first
    inputs (or by ``compile``, from the model's output shape).

    Raises:
        ValueError: an invalid `average`, `beta` or `threshold`; inputs that
            are not 2-D with a known class count.
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                f"{{None, 'micro', 'macro', 'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._state_built = False

    def build_for_shapes(self, y_true_shape, y_pred_shape):
        """Creates the state for predictions of `y_pred_shape` ``(batch, num_classes)``."""
        if self._state_built:
            return
        check_two_dimensional(self, y_true_shape, y_pred_shape)
        size = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(size, name="true_positives")
        self.false_positives = self.add_variable(size, name="false_positives")
        self.false_negatives = self.add_variable(size, name="false_negatives")
        self.intermediate_weights = self.add_variable(size, name="intermediate_weights")
        self._state_built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.convert_to_tensor(y_true), self.dtype)
        y_pred = ops.cast(ops.convert_to_tensor(y_pred), self.dtype)
        self.build_for_shapes(tuple(y_true.shape), tuple(y_pred.shape))
        if self.threshold is None:
            top = ops.max(y_pred, axis=-1, keepdims=True)
            # A row of zeros stays all negative.
            y_pred = ops.logical_and(ops.greater_equal(y_pred, top),
                                     ops.greater(ops.abs(y_pred), 1e-9))
        else:
            y_pred = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(y_pred, self.dtype)
        if sample_weight is not None:
            sample_weight = ops.expand_dims(ops.cast(ops.convert_to_tensor(sample_weight),
                                                     self.dtype), 1)

        def weighted_sum(values):
            if sample_weight is not None:
                values = ops.multiply(values, sample_weight)
            return ops.sum(values, axis=self.axis)

        negatives, misses = ops.subtract(1.0, y_true), ops.subtract(1.0, y_pred)
        self.true_positives.assign_add(weighted_sum(ops.multiply(y_pred, y_true)))
        self.false_positives.assign_add(weighted_sum(ops.multiply(y_pred, negatives)))
        self.false_negatives.assign_add(weighted_sum(ops.multiply(misses, y_true)))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._state_built:
            raise ValueError(f"{type(self).__name__} has no state yet: call update_state first.")
        tp = self.true_positives.value
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives.value), epsilon()))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives.value), epsilon()))
        beta2 = self.beta ** 2
        score = ops.multiply(
            ops.divide(ops.multiply(precision, recall),
                       ops.add(ops.add(ops.multiply(beta2, precision), recall), epsilon())),
            1.0 + beta2)
        if self.average == "weighted":
            weights = self.intermediate_weights.value
            weights = ops.divide(weights, ops.add(ops.sum(weights), epsilon()))
            return ops.sum(ops.multiply(score, weights))
        if self.average is not None:
            return ops.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """``FBetaScore`` with beta 1: the harmonic mean of precision and recall.

    Args: average, threshold, name (default "f1_score"), dtype (as ``FBetaScore``).
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
