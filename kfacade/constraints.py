"""Weight constraints, applied to a variable after each optimizer update."""
from kfacade import ops
from kfacade.engine import object_registry
from kfacade.backend.config import epsilon


class Constraint:
    """Base class: ``__call__(w)`` returns the constrained value."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescales slices along `axis` whose L2 norm exceeds `max_value`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.clip(norms, 0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(epsilon(), norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zeroes negative weights."""

    def __call__(self, w):
        return ops.multiply(w, ops.cast(ops.greater_equal(w, 0.0), ops.dtype(w)))


class UnitNorm(Constraint):
    """Scales slices along `axis` to unit L2 norm."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        return ops.divide(w, ops.add(epsilon(), norms))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Keeps slice norms in [min_value, max_value], moving them by `rate`."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = ops.sqrt(ops.sum(ops.square(w), axis=self.axis, keepdims=True))
        desired = ops.add(
            ops.multiply(self.rate, ops.clip(norms, self.min_value, self.max_value)),
            ops.multiply(1.0 - self.rate, norms),
        )
        return ops.multiply(w, ops.divide(desired, ops.add(epsilon(), norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {
    "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
    "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm,
}


def serialize(constraint):
    return object_registry.serialize_instance(constraint)


def deserialize(config, custom_objects=None):
    """The constraint a ``serialize`` output (or Keras 3's config dict) describes.

    Args:
        config: a name or a ``{"class_name", "config"}`` dict.
        custom_objects: ``{name: class or function}`` searched before the built-in ones.
    """
    return object_registry.deserialize_with(get, config, custom_objects)


def get(identifier):
    """A constraint from a name, a config dict, an instance or a callable."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str):
        custom = object_registry.custom_objects_in_effect().get(identifier)
        if identifier not in _BY_NAME and custom is not None:
            return custom() if isinstance(custom, type) else custom
        if identifier not in _BY_NAME:
            raise ValueError(
                f"Could not interpret constraint identifier: {identifier!r}; expected one "
                f"of 'max_norm', 'non_neg', 'unit_norm', 'min_max_norm'."
            )
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = (_BY_NAME.get(identifier["class_name"])
               or object_registry.custom_objects_in_effect().get(identifier["class_name"]))
        if cls is None:
            raise ValueError(
                f"Unknown constraint class_name: {identifier['class_name']!r}; register it "
                "with kfacade.saving.register_keras_serializable or pass it in custom_objects.")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier!r}")
