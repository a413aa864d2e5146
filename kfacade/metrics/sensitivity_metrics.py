"""One rate maximised while another is held at a minimum, over thresholded
confusion counts: SensitivityAtSpecificity, SpecificityAtSensitivity,
PrecisionAtRecall, RecallAtPrecision.

The counts come from ``metrics_utils.update_confusion_matrix_variables`` (the
path Precision, Recall and AUC take) at `num_thresholds` evenly spaced
thresholds ``0, 1/(n-1), ..., 1``; the result is the best value of one rate
over the thresholds where the other rate reaches the target.
"""
from kfacade import ops
from kfacade.losses.loss import divide_no_nan
from kfacade.metrics import metrics_utils as mu
from kfacade.metrics.metric import Metric

_COUNT_NAMES = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _rate(name, tp, fp, tn, fn):
    if name in ("sensitivity", "recall"):
        return divide_no_nan(tp, ops.add(tp, fn))
    if name == "specificity":
        return divide_no_nan(tn, ops.add(tn, fp))
    return divide_no_nan(tp, ops.add(tp, fp))  # precision


class _SensitivitySpecificityBase(Metric):
    """The best `_maximized` rate over the thresholds where the
    `_constrained` rate is >= `value` (0 where no threshold qualifies).

    Subclasses name the two rates; their constructor's first argument is the
    constrained rate's target, stored under that rate's name.
    """

    _constrained = None  # "specificity", "sensitivity", "recall" or "precision"
    _maximized = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._constrained}` must be in the range [0, 1]. "
                f"Received: {self._constrained}={value}"
            )
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        super().__init__(name=name, dtype=dtype)
        setattr(self, self._constrained, value)
        self.value = value
        self.num_thresholds = num_thresholds
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        for count_name in _COUNT_NAMES:
            setattr(self, count_name, self.add_variable(
                shape=(len(self.thresholds),), initializer="zeros", name=count_name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates tp, fp, tn and fn of a batch at every threshold.

        Args:
            y_true: 0/1 labels (any nonzero value is positive).
            y_pred: scores in [0, 1], of `y_true`'s shape; a score above a
                threshold is positive there.
            sample_weight: None or weights broadcastable to `y_pred`.
        """
        mu.update_confusion_matrix_variables(
            {
                mu.TRUE_POSITIVES: self.true_positives, mu.FALSE_POSITIVES: self.false_positives,
                mu.TRUE_NEGATIVES: self.true_negatives, mu.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true, y_pred, thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id, sample_weight=sample_weight,
        )

    def result(self):
        counts = [getattr(self, count_name).value for count_name in _COUNT_NAMES]
        constrained = _rate(self._constrained, *counts)
        maximized = _rate(self._maximized, *counts)
        feasible = ops.greater_equal(constrained, self.value)
        best = ops.max(ops.where(feasible, maximized, ops.zeros_like(maximized)))
        return ops.maximum(best, 0.0)

    def get_config(self):
        return {
            **super().get_config(), "class_id": self.class_id,
            "num_thresholds": self.num_thresholds, self._constrained: self.value,
        }


class SensitivityAtSpecificity(_SensitivitySpecificityBase):
    """The best sensitivity, tp / (tp + fn), where specificity, tn / (tn + fp), is >= `specificity`.

    Args:
        specificity: the minimum specificity, in [0, 1].
        num_thresholds: how many evenly spaced thresholds in [0, 1] to try
            (default 200; 1 tries 0.5 only).
        class_id: compute the metric for this class (last axis) only.
        name: default "sensitivity_at_specificity"; dtype: the state's dtype.

    Example:
        >>> m = SensitivityAtSpecificity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()  # 0.5
    """

    _constrained, _maximized = "specificity", "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class SpecificityAtSensitivity(_SensitivitySpecificityBase):
    """The best specificity, tn / (tn + fp), where sensitivity, tp / (tp + fn), is >= `sensitivity`.

    Args:
        sensitivity: the minimum sensitivity, in [0, 1].
        num_thresholds, class_id, dtype: as ``SensitivityAtSpecificity``;
        name: default "specificity_at_sensitivity".

    Example:
        >>> m = SpecificityAtSensitivity(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()  # 0.6667
    """

    _constrained, _maximized = "sensitivity", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class PrecisionAtRecall(_SensitivitySpecificityBase):
    """The best precision, tp / (tp + fp), where recall, tp / (tp + fn), is >= `recall`.

    Args:
        recall: the minimum recall, in [0, 1].
        num_thresholds, class_id, dtype: as ``SensitivityAtSpecificity``;
        name: default "precision_at_recall".

    Example:
        >>> m = PrecisionAtRecall(0.5)
        >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8]); m.result()  # 0.5
    """

    _constrained, _maximized = "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)


class RecallAtPrecision(_SensitivitySpecificityBase):
    """The best recall, tp / (tp + fn), where precision, tp / (tp + fp), is >= `precision`
    (0 when no threshold reaches that precision).

    Args:
        precision: the minimum precision, in [0, 1].
        num_thresholds, class_id, dtype: as ``SensitivityAtSpecificity``;
        name: default "recall_at_precision".

    Example:
        >>> m = RecallAtPrecision(0.8)
        >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9]); m.result()  # 0.5
    """

    _constrained, _maximized = "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id,
                         name=name, dtype=dtype)
