"""Weight and activity regularizers: penalties added to the training loss."""
import math

from kfacade import ops
from kfacade.engine import object_registry


class Regularizer:
    """Base class: ``__call__(x)`` returns a scalar penalty."""

    def __call__(self, x):
        return 0.0

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """l1 * sum(|x|) + l2 * sum(x**2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x):
        penalty = 0.0
        if self.l1:
            penalty = ops.multiply(self.l1, ops.sum(ops.abs(x)))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(self.l2, ops.sum(ops.square(x))))
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum(|x|); Keras's default l1=0.01."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum(x**2); Keras's default l2=0.01."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D kernel towards orthogonality:
    ``factor * mean |cosine|`` over the pairs of distinct L2-normalized rows
    (``mode="rows"``) or columns (``mode="columns"``)."""

    def __init__(self, factor=0.01, mode="rows"):
        if (not isinstance(factor, (int, float)) or isinstance(factor, bool)
                or math.isinf(factor) or math.isnan(factor) or factor < 0):
            raise ValueError(
                f"Invalid value for argument factor: expected a non-negative float."
                f"Received: factor={factor}")
        if mode not in {"rows", "columns"}:
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode}')
        self.factor, self.mode = float(factor), mode

    def __call__(self, x):
        if len(ops.shape(x)) != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(ops.shape(x))}")
        if self.mode == "rows":
            x = ops.normalize(x, axis=1)
            product, size = ops.matmul(x, ops.transpose(x)), ops.shape(x)[0]
        else:
            x = ops.normalize(x, axis=0)
            product, size = ops.matmul(ops.transpose(x), x), ops.shape(x)[1]
        off_diagonal = ops.multiply(product, ops.subtract(1.0, ops.eye(size, dtype=ops.dtype(x))))
        pairs = size * (size - 1.0) / 2.0
        if not pairs:  # one row (column): no pair to keep apart (Keras divides by zero)
            return ops.multiply(0.0, ops.sum(off_diagonal))
        # Each pair appears twice in the product: half the sum of |cos| over pairs.
        return ops.multiply(self.factor * 0.5 / pairs, ops.sum(ops.abs(off_diagonal)))

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


orthogonal_regularizer = OrthogonalRegularizer


def l1_l2(l1=0.01, l2=0.01):
    """Keras 2's helper: both penalties, 0.01 each by default."""
    return L1L2(l1=l1, l2=l2)


l1, l2 = L1, L2
_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "L1": L1, "L2": L2, "L1L2": L1L2,
            "OrthogonalRegularizer": OrthogonalRegularizer,
            "orthogonal_regularizer": OrthogonalRegularizer}


def serialize(regularizer):
    return object_registry.serialize_instance(regularizer)


def deserialize(config, custom_objects=None):
    """The regularizer a ``serialize`` output (or Keras 3's config dict) describes.

    Args:
        config: a name or a ``{"class_name", "config"}`` dict.
        custom_objects: ``{name: class or function}`` searched before the built-in ones.
    """
    return object_registry.deserialize_with(get, config, custom_objects)


def get(identifier):
    """A regularizer from a name, a config dict, an instance or a callable."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        custom = object_registry.custom_objects_in_effect().get(identifier)
        if identifier not in _BY_NAME and custom is not None:
            return custom() if isinstance(custom, type) else custom
        if identifier not in _BY_NAME:
            raise ValueError(
                f"Could not interpret regularizer identifier: {identifier!r}; expected "
                f"one of 'l1', 'l2', 'l1_l2'."
            )
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and "class_name" in identifier:
        cls = (_BY_NAME.get(identifier["class_name"])
               or object_registry.custom_objects_in_effect().get(identifier["class_name"]))
        if cls is None:
            raise ValueError(
                f"Unknown regularizer class_name: {identifier['class_name']!r}; register it "
                "with kfacade.saving.register_keras_serializable or pass it in custom_objects.")
        return cls(**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier!r}")
