"""Activation functions by name or callable (``Dense(activation="relu")``)."""
from kfacade import ops
from kfacade.engine import object_registry


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0), with Keras's optional slope, cap and threshold."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if negative_slope != 0.0:
        negative = ops.multiply(negative_slope, ops.subtract(x, threshold))
    else:
        negative = 0.0
    positive = ops.where(ops.greater(x, threshold), x, negative)
    if max_value is not None:
        positive = ops.minimum(positive, max_value)
    return positive


def sigmoid(x):
    return ops.sigmoid(x)


def tanh(x):
    return ops.tanh(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def linear(x):
    """The identity."""
    return x


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def exponential(x):
    return ops.exp(x)


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def silu(x):
    return ops.silu(x)


def relu6(x):
    return ops.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


def celu(x, alpha=1.0):
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``."""
    return ops.celu(x, alpha=alpha)


def glu(x, axis=-1):
    """``a * sigmoid(b)`` for the two halves ``a, b`` of `x` along `axis`."""
    return ops.glu(x, axis=axis)


def hard_shrink(x, threshold=0.5):
    """`x` where ``|x| > threshold``, else 0."""
    return ops.hard_shrink(x, threshold=threshold)


def hard_silu(x):
    """``x * hard_sigmoid(x)``, also called hard swish."""
    return ops.hard_silu(x)


def hard_tanh(x):
    """`x` clipped to [-1, 1]."""
    return ops.hard_tanh(x)


def log_sigmoid(x):
    """``log(sigmoid(x))``, as ``-softplus(-x)``."""
    return ops.log_sigmoid(x)


def mish(x):
    """``x * tanh(softplus(x))`` (Misra, 2019)."""
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above `threshold`, ``x + threshold`` below ``-threshold``, else 0."""
    return ops.soft_shrink(x, threshold=threshold)


def sparse_plus(x):
    """0 for ``x <= -1``, ``(x + 1) ** 2 / 4`` on (-1, 1), `x` for ``x >= 1``."""
    return ops.sparse_plus(x)


def sparse_sigmoid(x):
    """0 for ``x <= -1``, ``(x + 1) / 2`` on (-1, 1), 1 for ``x >= 1``."""
    return ops.sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    """The projection of `x` onto the probability simplex along `axis` (sums to 1, sparse)."""
    return ops.sparsemax(x, axis=axis)


def squareplus(x, b=4):
    """``(x + sqrt(x ** 2 + b)) / 2``."""
    return ops.squareplus(x, b=b)


def tanh_shrink(x):
    """``x - tanh(x)``."""
    return ops.tanh_shrink(x)


def threshold(x, threshold, default_value):
    """`x` where ``x > threshold``, else `default_value`."""
    return ops.threshold(x, threshold, default_value)


swish = silu
hard_swish = hard_silu

_BY_NAME = {
    fn.__name__: fn
    for fn in (relu, sigmoid, tanh, softmax, log_softmax, linear, elu, selu, softplus,
               softsign, hard_sigmoid, exponential, gelu, silu, relu6, leaky_relu,
               celu, glu, hard_shrink, hard_silu, hard_tanh, log_sigmoid, mish, soft_shrink,
               sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink, threshold)
}
# Aliases after the functions' own names: ``serialize`` answers the first
# name it finds, "silu" and "hard_silu", as Keras 3 does.
_BY_NAME["swish"] = silu
_BY_NAME["hard_swish"] = hard_silu


def serialize(activation):
    """The name of a built-in activation, else the callable's name."""
    for name, fn in _BY_NAME.items():
        if fn is activation:
            return name
    if hasattr(activation, "__name__"):
        return object_registry.get_registered_name(activation)
    return str(activation)


def deserialize(config, custom_objects=None):
    """The activation a ``serialize`` output (or Keras 3's config dict) describes.

    Args:
        config: a name or a ``{"class_name", "config"}`` dict.
        custom_objects: ``{name: class or function}`` searched before the built-in ones.
    """
    return object_registry.deserialize_with(get, config, custom_objects)


def get(identifier):
    """An activation function from a name, None (linear) or a callable.

    Raises:
        ValueError: an unknown name, listing the known ones.
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier) or object_registry.custom_objects_in_effect().get(identifier)
        if fn is None:
            raise ValueError(
                f"Could not interpret activation function identifier: {identifier!r}. "
                f"Expected one of {sorted(_BY_NAME)} or a callable."
            )
        return fn
    if isinstance(identifier, dict) and "class_name" in identifier:
        return get(identifier["class_name"] if "config" not in identifier else identifier["config"].get("name", identifier["class_name"]))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}")
