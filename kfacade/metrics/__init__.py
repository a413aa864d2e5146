"""``kfacade.metrics``: stateful metrics, their per-sample functions, and ``get``.

``get`` resolves what ``compile(metrics=...)`` accepts. "accuracy" and
"acc" are returned as strings: which accuracy they mean depends on the
loss and the shapes, which ``resolve_accuracy`` decides once the trainer
knows them.

Example:
    >>> from kfacade import metrics
    >>> m = metrics.get("auc")          # AUC(name="auc")
    >>> m.update_state(y_true, y_pred); m.result()
    >>> metrics.resolve_accuracy("sparse_categorical_crossentropy", (32,), (32, 10))
    <SparseCategoricalAccuracy name=accuracy>
"""
import inspect

from kfacade.engine import object_registry as _object_registry

from kfacade import losses as _losses
from kfacade.metrics.accuracy_metrics import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, in_top_k, sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy, top_k_categorical_accuracy,
)
from kfacade.metrics.confusion_metrics import (
    AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives,
)
from kfacade.metrics.correlation_metrics import (
    ConcordanceCorrelation, PearsonCorrelation, concordance_correlation, pearson_correlation,
)
from kfacade.metrics.f_score_metrics import F1Score, FBetaScore
from kfacade.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from kfacade.metrics.metric import Metric
from kfacade.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from kfacade.metrics.probabilistic_metrics import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge, KLDivergence, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge,
)
from kfacade.metrics.regression_metrics import (
    CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredError, MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError,
)
from kfacade.metrics.sensitivity_metrics import (
    PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
)
from kfacade.losses.losses import (  # noqa: F401  (Keras exports these as metrics too)
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, cosine_similarity, hinge, huber, kl_divergence, kld, log_cosh, logcosh, mae, mape, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error, mse,
    msle, poisson, sparse_categorical_crossentropy, squared_hinge,
)

_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, Precision, Recall, AUC,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCoshError, CosineSimilarity,
    RootMeanSquaredError, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge,
    PearsonCorrelation, ConcordanceCorrelation, FBetaScore, F1Score, R2Score,
    SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision,
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
)
_CLASS_BY_NAME = {cls.__name__: cls for cls in _CLASSES}

#: Names that give a metric object of the class, named as written.
_NAMED_INSTANCES = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "mse": MeanSquaredError, "MSE": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "precision": Precision,
    "recall": Recall,
    "auc": AUC, "AUC": AUC,
    "root_mean_squared_error": RootMeanSquaredError,
}

#: Per-sample functions: a name gives ``MeanMetricWrapper(fn, name=the name)``.
_FUNCTION_BY_NAME = {
    fn.__name__: fn for fn in (
        accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
        top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
        pearson_correlation, concordance_correlation,
    )
}
_FUNCTION_BY_NAME.update(
    {name: obj for name, obj in _losses.ALL_OBJECTS_DICT.items() if not inspect.isclass(obj)}
)
_object_registry.register("metric_functions", _FUNCTION_BY_NAME)

ACCURACY_NAMES = ("accuracy", "acc")


def _known_names():
    names = set(ACCURACY_NAMES) | set(_NAMED_INSTANCES) | set(_CLASS_BY_NAME) | set(_FUNCTION_BY_NAME)
    return sorted(names - {"Metric", "MeanMetricWrapper"})


def _unknown(identifier):
    return ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Known metrics: {_known_names()}"
    )


def _function_by_name(name):
    if name not in _FUNCTION_BY_NAME:
        raise _unknown(name)
    return _FUNCTION_BY_NAME[name]


def serialize(metric):
    """A ``Metric`` as ``{"class_name", "config"}``; a named function as its name."""
    if isinstance(metric, Metric):
        return {"class_name": _object_registry.get_registered_name(type(metric)),
                "config": metric.get_config()}
    if isinstance(metric, str):
        return metric
    name = _object_registry.get_registered_name(metric) if hasattr(metric, "__name__") else None
    if name is None:
        raise ValueError(f"Cannot serialize metric {metric!r}: it is neither a Metric nor a named function.")
    return name


def deserialize(config, custom_objects=None):
    """The metric a ``serialize`` output describes.

    Args:
        config: a name or ``{"class_name", "config"}``.
        custom_objects: optional ``{name: class or function}`` searched first.

    Raises:
        ValueError: an unknown name.
    """
    custom_objects = _object_registry.custom_objects_in_effect(custom_objects)
    if isinstance(config, dict) and "class_name" in config:
        class_name = config["class_name"]
        if class_name == "function":
            return deserialize(config.get("config"), custom_objects)
        cls = custom_objects.get(class_name) or _CLASS_BY_NAME.get(class_name)
        if cls is None:
            raise _unknown(class_name)
        if not inspect.isclass(cls):
            return MeanMetricWrapper(cls, name=class_name)
        return cls.from_config(config.get("config", {}))
    if isinstance(config, str) and config in custom_objects:
        return get(custom_objects[config])
    return get(config)


def get(identifier):
    """A metric from a name, a config dict, a ``Metric`` instance or class, or a callable.

    "accuracy" and "acc" come back as strings (see ``resolve_accuracy``);
    "binary_accuracy", "mse", "precision", "auc", ... give metric objects
    named as written; class names give default instances; other callables
    are wrapped in ``MeanMetricWrapper`` named after them.

    Raises:
        ValueError: an unknown name (the message lists the known ones) or
            an object that is no metric.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ACCURACY_NAMES:
            return identifier
        if identifier in _NAMED_INSTANCES:
            return _NAMED_INSTANCES[identifier](name=identifier)
        if identifier in _CLASS_BY_NAME and identifier not in ("Metric", "MeanMetricWrapper"):
            return _CLASS_BY_NAME[identifier]()
        if identifier in _FUNCTION_BY_NAME:
            return MeanMetricWrapper(_FUNCTION_BY_NAME[identifier], name=identifier)
        raise _unknown(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        name = getattr(identifier, "name", None) or getattr(identifier, "__name__", None)
        return MeanMetricWrapper(identifier, name=name)
    raise ValueError(f"Could not interpret metric identifier: {identifier!r}")


_BINARY_LOSSES = ("binary_crossentropy", "bce", "BCE", "BinaryCrossentropy")
_SPARSE_LOSSES = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


def _loss_kind(loss):
    """"binary", "sparse" or None for a loss identifier (name, Loss, function)."""
    if isinstance(loss, _losses.BinaryCrossentropy):
        return "binary"
    if isinstance(loss, _losses.SparseCategoricalCrossentropy):
        return "sparse"
    if isinstance(loss, _losses.LossFunctionWrapper):
        loss = loss.fn
    if isinstance(loss, dict):
        loss = loss.get("class_name")
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", None)
    if name in _BINARY_LOSSES:
        return "binary"
    if name in _SPARSE_LOSSES:
        return "sparse"
    return None


def resolve_accuracy(loss_identifier, y_true_shape, y_pred_shape, name="accuracy"):
    """The accuracy metric that "accuracy"/"acc" means for this loss and these shapes.

    Keras's rule: a binary cross-entropy loss or an output whose last axis
    is 1 gives ``BinaryAccuracy``; else a sparse categorical cross-entropy
    loss, or targets of lower rank than the output, or targets whose last
    axis is 1 (against several classes), give ``SparseCategoricalAccuracy``;
    else ``CategoricalAccuracy``.

    Args:
        loss_identifier: the output's loss as given to ``compile`` (name,
            ``Loss``, function or None).
        y_true_shape: the targets' shape, or None when unknown.
        y_pred_shape: the output's shape, or None when unknown.
        name: the metric's name: "accuracy", or "acc" when written so.

    Returns:
        A new metric named `name`.
    """
    kind = _loss_kind(loss_identifier)
    y_pred_last = y_pred_shape[-1] if y_pred_shape else None
    if kind == "binary" or y_pred_last == 1:
        return BinaryAccuracy(name=name)
    sparse_by_shape = False
    if y_true_shape is not None and y_pred_shape is not None:
        sparse_by_shape = len(y_true_shape) < len(y_pred_shape) or (
            len(y_true_shape) > 0 and y_true_shape[-1] == 1
        )
    if kind == "sparse" or sparse_by_shape:
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)
