"""``kfacade.losses``: Keras's loss functions and ``Loss`` classes.

``get`` resolves what ``compile(loss=...)`` accepts: a function name or
alias ("mse", "categorical_crossentropy"), a class name
("CategoricalCrossentropy"), a config dict, a ``Loss`` instance or class,
or any callable. A name of a function gives the function (as Keras), which
takes no `sample_weight`: wrap it in ``LossFunctionWrapper`` to weight and
reduce it.

Example:
    >>> from kfacade import losses
    >>> losses.get("mse")                       # the function
    >>> losses.get({"class_name": "Huber", "config": {"delta": 2.0}})
    >>> losses.CategoricalCrossentropy(from_logits=True)(y_true, logits)
"""
import inspect

from kfacade.engine import object_registry as _object_registry

from kfacade.losses.loss import Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank
from kfacade.losses.losses import (
    KLD, MAE, MAPE, MSE, MSLE,
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    Huber, KLDivergence, LogCosh, LossFunctionWrapper, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge,
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky,
    binary_focal_crossentropy, categorical_focal_crossentropy, dice, tversky,
    CategoricalGeneralizedCrossEntropy, categorical_generalized_cross_entropy,
    CTC, Circle, ctc, circle,
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity, hinge,
    huber, kl_divergence, kld, kullback_leibler_divergence, log_cosh, logcosh, mae, mape,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, mse, msle, poisson, sparse_categorical_crossentropy,
    squared_hinge,
)

_CLASSES = (
    Loss, LossFunctionWrapper, BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge,
    CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge, BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy, Dice, Tversky, CategoricalGeneralizedCrossEntropy,
    CTC, Circle,
)
_FUNCTIONS = (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, cosine_similarity, hinge,
    huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy,
    squared_hinge, binary_focal_crossentropy, categorical_focal_crossentropy, dice, tversky,
    categorical_generalized_cross_entropy, ctc, circle,
)

#: Every name ``get`` and ``deserialize`` know: functions, aliases, classes.
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in _CLASSES + _FUNCTIONS}
ALL_OBJECTS_DICT.update({
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "kld": kl_divergence, "KLD": kl_divergence,
    "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh,
})

_object_registry.register("losses", ALL_OBJECTS_DICT)

def _known_names():
    return sorted(ALL_OBJECTS_DICT)


def serialize(loss):
    """A ``Loss`` as ``{"class_name", "config"}``; a known function as its name."""
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"class_name": _object_registry.get_registered_name(type(loss)),
                "config": loss.get_config()}
    name = _object_registry.get_registered_name(loss) if hasattr(loss, "__name__") else None
    if name is None:
        raise ValueError(f"Cannot serialize loss {loss!r}: it is neither a Loss nor a named function.")
    return name


def deserialize(config, custom_objects=None):
    """The loss that `config` (a name or ``{"class_name", "config"}``) describes.

    Args:
        config: the output of ``serialize``.
        custom_objects: optional ``{name: class or function}`` searched first.

    Raises:
        ValueError: an unknown name.
    """
    objects = dict(ALL_OBJECTS_DICT)
    objects.update(_object_registry.custom_objects_in_effect(custom_objects))
    if isinstance(config, str):
        if config not in objects:
            raise ValueError(
                f"Could not interpret loss identifier: {config!r}. Known losses: {_known_names()}"
            )
        obj = objects[config]
        return obj() if inspect.isclass(obj) else obj
    if isinstance(config, dict) and "class_name" in config:
        class_name = config["class_name"]
        if class_name == "function":  # Keras 3's form of a serialized function
            return deserialize(config.get("config"), custom_objects)
        obj = objects.get(class_name)
        if obj is None:
            raise ValueError(
                f"Could not interpret loss identifier: {class_name!r}. Known losses: {_known_names()}"
            )
        if not inspect.isclass(obj):
            return obj
        return obj.from_config(config.get("config", {}))
    raise ValueError(f"Could not interpret loss identifier: {config!r}")


def get(identifier):
    """A loss from a name, a config dict, a ``Loss`` instance or class, or a callable.

    Returns:
        None for None; a function for a function name; else a ``Loss`` or
        the given callable.

    Raises:
        ValueError: an unknown name (the message lists the known ones) or
            an object that is no loss.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")
