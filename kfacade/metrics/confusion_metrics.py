"""Metrics over thresholded confusion-matrix counts: Precision, Recall, AUC, tp/fp/tn/fn."""
import numpy as np

from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.losses.loss import divide_no_nan
from kfacade.metrics import metrics_utils as mu
from kfacade.metrics.metric import Metric


def _scalar_or_vector(values, num_thresholds):
    return values[0] if num_thresholds == 1 else values


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    _key = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=0.5)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator")

    def update_state(self, y_true, y_pred, sample_weight=None):
        mu.update_confusion_matrix_variables(
            {self._key: self.accumulator}, y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self):
        return _scalar_or_vector(self.accumulator.value, len(self.thresholds))

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted above the threshold(s) (0.5)."""

    _key = mu.TRUE_POSITIVES


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted above the threshold(s) (0.5)."""

    _key = mu.FALSE_POSITIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted at or below the threshold(s)."""

    _key = mu.TRUE_NEGATIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted at or below the threshold(s)."""

    _key = mu.FALSE_NEGATIVES


class _PrecisionRecall(Metric):
    _second = None  # the count besides tp: "fp" (precision) or "fn" (recall)

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        # With top_k, every kept prediction is positive (> NEG_INF) by default.
        default_threshold = 0.5 if top_k is None else mu.NEG_INF
        self.thresholds = mu.parse_init_thresholds(thresholds, default_threshold=default_threshold)
        self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", name="true_positives")
        second = "false_positives" if self._second == mu.FALSE_POSITIVES else "false_negatives"
        setattr(self, second, self.add_variable(shape=(n,), initializer="zeros", name=second))
        self._second_variable = getattr(self, second)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates tp and fp (or fn) of a batch.

        Args:
            y_true: 0/1 labels (any nonzero value is positive).
            y_pred: scores, of `y_true`'s shape; compared with the thresholds.
            sample_weight: None or weights broadcastable to `y_pred`.
        """
        mu.update_confusion_matrix_variables(
            {mu.TRUE_POSITIVES: self.true_positives, self._second: self._second_variable},
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k, class_id=self.class_id, sample_weight=sample_weight,
        )

    def result(self):
        tp = self.true_positives.value
        value = divide_no_nan(tp, ops.add(tp, self._second_variable.value))
        return _scalar_or_vector(value, len(self.thresholds))

    def get_config(self):
        return {
            **super().get_config(), "thresholds": self.init_thresholds,
            "top_k": self.top_k, "class_id": self.class_id,
        }


class Precision(_PrecisionRecall):
    """tp / (tp + fp) of predictions thresholded at `thresholds`.

    Args:
        thresholds: a float or list of floats in [0, 1]; a prediction above
            one counts as positive (default 0.5, or "all of the top k" with
            `top_k`). With a list the result has one value per threshold.
        top_k: count only the `top_k` largest predictions of each sample.
        class_id: compute the metric for this class only.
        name: default "precision"; dtype: the state's dtype.

    Example:
        >>> m = Precision(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()  # 2/3
    """

    _second = mu.FALSE_POSITIVES


class Recall(_PrecisionRecall):
    """tp / (tp + fn) of predictions thresholded at `thresholds`.

    Args: as ``Precision``; name default "recall".

    Example:
        >>> m = Recall(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()  # 2/3
    """

    _second = mu.FALSE_NEGATIVES


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = ("interpolation", "majoring", "minoring")


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at fixed thresholds.

    Keras's algorithm: counts at `num_thresholds` evenly spaced thresholds
    (``-eps, 1/(n-1), ..., 1+eps``), then a Riemann sum over the curve
    (interpolated for PR as Davis & Goadrich 2006).

    Args:
        num_thresholds: number of thresholds (> 1, default 200).
        curve: "ROC" (default), "PR" or "PRGAIN".
        summation_method: "interpolation" (default), "majoring" or "minoring".
        name: default "auc"; dtype: the state's dtype.
        thresholds: explicit thresholds in [0, 1] (overrides `num_thresholds`).
        multi_label: one curve per label (last axis), averaged; else all
            labels flattened into one curve.
        num_labels: the number of labels with `multi_label`; without it the
            state is created on the first update (do that eagerly before a
            compiled step).
        label_weights: per-label weights of the average (or of the counts
            when not `multi_label`).
        from_logits: apply a sigmoid to `y_pred` first.

    Example:
        >>> m = AUC(num_thresholds=3)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result()  # 0.75
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        curve_key = str(curve).lower()
        if curve_key not in _CURVES:
            raise ValueError(
                f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]'
            )
        if str(summation_method).lower() not in _SUMMATIONS:
            raise ValueError(
                f'Invalid AUC summation method value: "{summation_method}". Expected values '
                f'are ["interpolation", "majoring", "minoring"]'
            )
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(mu.parse_init_thresholds(thresholds))
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = mu.is_evenly_distributed_thresholds(
                np.array([0.0] + thresholds + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        # The end points lie just outside [0, 1] so that predictions of
        # exactly 0 and 1 are counted.
        self._thresholds = [0.0 - epsilon()] + list(thresholds) + [1.0 + epsilon()]
        self.curve = _CURVES[curve_key]
        self.summation_method = str(summation_method).lower()
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else [float(w) for w in label_weights]
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, end points included."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {shape}"
                )
            self._num_labels = int(shape[1])
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        for name in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, name, self.add_variable(shape=variable_shape, initializer="zeros", name=name))
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the counts of a batch.

        Args:
            y_true: 0/1 labels (any nonzero value is positive).
            y_pred: probabilities (logits with `from_logits`), `y_true`'s shape.
            sample_weight: None or weights broadcastable to `y_pred`.
        """
        if not self._built:
            self._build(ops.shape(y_pred))
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        mu.update_confusion_matrix_variables(
            {
                mu.TRUE_POSITIVES: self.true_positives, mu.TRUE_NEGATIVES: self.true_negatives,
                mu.FALSE_POSITIVES: self.false_positives, mu.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true, y_pred, self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average_over_labels(self, by_threshold):
        if not self.multi_label:
            return ops.sum(by_threshold)
        by_label = ops.sum(by_threshold, axis=0)
        if self.label_weights is None:
            return ops.mean(by_label)
        weights = ops.convert_to_tensor(np.asarray(self.label_weights), dtype=self.dtype)
        return divide_no_nan(ops.sum(ops.multiply(by_label, weights)), ops.sum(weights))

    def interpolate_pr_auc(self):
        """The PR AUC with precision interpolated between thresholds (Davis & Goadrich)."""
        n = self.num_thresholds
        tp = self.true_positives.value
        fp = self.false_positives.value
        fn = self.false_negatives.value
        dtp = ops.subtract(tp[: n - 1], tp[1:])
        p = ops.add(tp, fp)
        dp = ops.subtract(p[: n - 1], p[1:])
        prec_slope = divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp[1:], ops.multiply(prec_slope, p[1:]))
        safe_p_ratio = ops.where(
            ops.logical_and(ops.greater(p[: n - 1], 0.0), ops.greater(p[1:], 0.0)),
            divide_no_nan(p[: n - 1], ops.maximum(p[1:], 0.0)),
            ops.ones_like(p[1:]),
        )
        increments = divide_no_nan(
            ops.multiply(prec_slope, ops.add(dtp, ops.multiply(intercept, ops.log(safe_p_ratio)))),
            ops.maximum(ops.add(tp[1:], fn[1:]), 0.0),
        )
        return self._average_over_labels(increments)

    def result(self):
        if not self._built:
            return ops.convert_to_tensor(0.0, dtype=self.dtype)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        n = self.num_thresholds
        tp = self.true_positives.value
        fp = self.false_positives.value
        tn = self.true_negatives.value
        fn = self.false_negatives.value
        recall = divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, ops.add(fp, tn)), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, ops.add(tp, fp))
        else:  # PRGAIN
            scaling = divide_no_nan(ops.add(tp, fn), ops.add(tn, fp))
            recall_gain = ops.subtract(1.0, ops.multiply(scaling, divide_no_nan(fn, tp)))
            precision_gain = ops.subtract(1.0, ops.multiply(scaling, divide_no_nan(fp, tp)))
            no_tp = ops.equal(tp, 0.0)
            recall_gain = ops.maximum(ops.where(no_tp, ops.zeros_like(tp), recall_gain), 0.0)
            precision_gain = ops.where(no_tp, ops.ones_like(tp), precision_gain)
            x, y = recall_gain, precision_gain
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y[: n - 1], y[1:]), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[: n - 1], y[1:])
        else:
            heights = ops.maximum(y[: n - 1], y[1:])
        return self._average_over_labels(ops.multiply(ops.subtract(x[: n - 1], x[1:]), heights))

    def reset_state(self):
        if self._built:
            super().reset_state()

    def get_config(self):
        config = {
            **super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
            "summation_method": self.summation_method, "multi_label": self.multi_label,
            "num_labels": self.num_labels, "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
