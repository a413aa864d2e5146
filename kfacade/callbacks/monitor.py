"""What the monitoring callbacks share: the direction of a monitored quantity
and reading the model's learning rate."""
import re
import warnings

import numpy as np

_MODES = ("auto", "min", "max")

# Metrics that improve upwards, beyond the "acc"/"auc" rule of Keras 2.
_MAXIMIZED = frozenset({
    "precision", "recall", "f1_score", "fbeta_score", "r2_score", "iou", "mean_iou",
    "binary_iou", "one_hot_iou", "one_hot_mean_iou", "true_positives", "true_negatives",
    "precision_at_recall", "recall_at_precision", "sensitivity_at_specificity",
    "specificity_at_sensitivity", "cosine_similarity",
})


#: Names Keras 2.0-2.2 logged where Keras 2.3+ (and kfacade) log another:
#: ``metrics=["accuracy"]`` logged "acc", the learning-rate callbacks "lr".
#: Programs of that time monitor and plot them ("val_acc", ``history["acc"]``).
KERAS2_LOG_NAMES = {"acc": "accuracy", "val_acc": "val_accuracy", "lr": "learning_rate"}


def monitored_value(logs, monitor):
    """``logs[monitor]``, else the value of what Keras 2.2 called `monitor`
    ("val_acc": "val_accuracy"), else None."""
    value = logs.get(monitor)
    if value is None and monitor in KERAS2_LOG_NAMES:
        value = logs.get(KERAS2_LOG_NAMES[monitor])
    return value


def check_mode(mode, owner):
    """`mode`, or "auto" with a warning (as Keras) when it is not a known mode."""
    if mode not in _MODES:
        warnings.warn(
            f"{owner} mode {mode!r} is unknown, fallback to auto mode. "
            f"Expected one of {list(_MODES)}.",
            stacklevel=3,
        )
        return "auto"
    return mode


def _metric_direction(model, name):
    """"up"/"down" from a compiled metric's ``_direction`` (Keras 3), else None."""
    try:
        metrics = list(getattr(model, "metrics", None) or ())
    except Exception:  # an uncompiled model may refuse to list its metrics
        return None
    pending = metrics
    while pending:
        metric = pending.pop()
        pending.extend(getattr(metric, "metrics", None) or ())
        if getattr(metric, "name", None) == name and getattr(metric, "_direction", None):
            return metric._direction
    return None


def resolve_mode(monitor, mode, model=None):
    """"min" or "max" for `monitor` under `mode`.

    "auto" looks for a compiled metric of that name declaring its direction,
    then uses Keras 2's rule: quantities whose name contains "acc" or "auc"
    (accuracy, val_auc, ...), starts with "fmeasure", or is a score such as
    precision/recall/f1_score are maximized; everything else (losses,
    errors) is minimized.
    """
    if mode in ("min", "max"):
        return mode
    name = monitor[4:] if monitor.startswith("val_") else monitor
    direction = _metric_direction(model, name) if model is not None else None
    if direction is not None:
        return "max" if direction == "up" else "min"
    base = re.sub(r"_\d+$", "", name)  # "precision_1" -> "precision"
    if "acc" in name or "auc" in name or name.startswith("fmeasure") or base in _MAXIMIZED:
        return "max"
    return "min"


def is_improvement(mode, current, reference, min_delta=0.0):
    """Whether `current` beats `reference` by more than `min_delta` in `mode`'s direction."""
    if reference is None:
        return True
    if mode == "min":
        return current < reference - min_delta
    return current > reference + min_delta


def initial_best(mode):
    return np.inf if mode == "min" else -np.inf


def optimizer_of(model, owner):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            f'{owner}: the optimizer must have a "learning_rate" attribute. '
            f"Received: optimizer={optimizer!r}. Compile the model with an optimizer first."
        )
    return optimizer


def rate_holders(model, owner):
    """``[(log key, optimizer)]`` of the optimizers whose learning rate a
    callback sets: the model's optimizer ("learning_rate"), or each of a
    ``MultiOptimizer``'s ("learning_rate_<name>"), as Keras logs them."""
    sub_optimizers = getattr(getattr(model, "optimizer", None), "optimizers", None)
    if sub_optimizers is not None:
        return [(f"learning_rate_{optimizer.name}", optimizer) for optimizer in sub_optimizers]
    return [("learning_rate", optimizer_of(model, owner))]


def learning_rate_of(optimizer):
    """`optimizer`'s current learning rate as a Python float."""
    from kfacade import ops

    value = optimizer.learning_rate
    if isinstance(value, (int, float)):
        return float(value)
    return float(np.asarray(ops.convert_to_numpy(value)))
