"""LayerNormalization: normalizes each sample over its feature axes.

An adapter may run it in its fused kernel: the optional hook
``fused_layer_normalization`` (``kfacade.backend.contract.OPTIONAL_HOOKS``;
not tried with ``rms_scaling``). Half-precision inputs are normalized in
float32, as Keras does (``kfacade.layers.normalization.precision``).
"""
import warnings

from kfacade import constraints, initializers, ops, regularizers
from kfacade.backend.active import adapter as _B
from kfacade.layers.layer import Layer
from kfacade.layers.normalization import precision


def standardize_axis(axis):
    """`axis` as an int or a list of ints (the normalization layers' argument)."""
    if isinstance(axis, (list, tuple)):
        return [int(a) for a in axis]
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise TypeError(
            f"Expected an int or a list/tuple of ints for the argument 'axis', but "
            f"received: {axis!r}"
        )
    return axis


def resolve_axes(layer, input_shape):
    """`layer.axis` as sorted non-negative axes of `input_shape`."""
    axes = layer.axis if isinstance(layer.axis, list) else [layer.axis]
    ndim = len(input_shape)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(
                f"Axis {a} is out of bounds for input shape {tuple(input_shape)} in layer "
                f"{layer.name!r}. Received: axis={layer.axis}"
            )
    return sorted(a % ndim for a in axes)


def normalized_axes_and_shape(layer, input_shape):
    """(resolved axes, their sizes): the shape of the layer's per-feature weights."""
    axes = resolve_axes(layer, input_shape)
    shape = tuple(input_shape[a] for a in axes)
    if any(d is None for d in shape):
        raise ValueError(
            f"{type(layer).__name__} {layer.name!r}: the normalized axes {axes} of the input "
            f"must be known. Received: input_shape={tuple(input_shape)}"
        )
    return axes, shape


class LayerNormalization(Layer):
    """Normalizes each sample to mean 0 and variance 1 over `axis`, then
    scales by ``gamma`` and shifts by ``beta``.

    ``outputs = (x - mean) / sqrt(variance + epsilon) * gamma + beta``, the
    statistics taken per sample over `axis` (not over the batch).

    Args:
        axis: an int or a list of ints, the axes normalized (default -1).
        epsilon: added to the variance (default 1e-3).
        center: learn ``beta``; scale: learn ``gamma``.
        beta_initializer ("zeros"), gamma_initializer ("ones"),
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint.
        rms_scaling: Keras 3's deprecated option: ``x / sqrt(variance +
            epsilon) * gamma`` without centring and without ``beta``.

    Weights, in Keras's order: ``gamma``, ``beta``, each of shape
    ``tuple(input_shape[a] for a in sorted(axis))``.

    Example:
        >>> LayerNormalization(axis=-1)(np.random.rand(2, 5).astype("float32"))
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, rms_scaling=False, **kwargs):
        super().__init__(**kwargs)
        axis = standardize_axis(axis)
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated (as in Keras 3): it scales "
                "the input by the variance, not the root mean square.", stacklevel=2)
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        # As Keras: inputs are not cast to a mixed compute dtype on the way in
        # (float32 inputs are normalized as they are; half ones in float32).
        self.autocast = False

    def build(self, input_shape):
        axes, shape = normalized_axes_and_shape(self, input_shape)
        # Read in their own dtype under a mixed policy (Keras's autocast=False):
        # the layer computes in float32 (``precision``).
        self.gamma = (
            self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                            autocast=False)
            if self.scale or self.rms_scaling else None
        )
        self.beta = (
            self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint,
                            autocast=False)
            if self.center and not self.rms_scaling else None
        )
        ndim = len(input_shape)
        self._axes = axes
        self._broadcast_shape = [input_shape[a] if a in axes else 1 for a in range(ndim)]
        self.built = True

    def _broadcast(self, value):
        if self._axes == [len(self._broadcast_shape) - 1]:
            return value  # already broadcasts along the last axis
        return ops.reshape(value, self._broadcast_shape)

    def call(self, inputs):
        dtype = precision.computation_dtype(inputs)
        outputs = self._normalize(_B.cast(inputs, dtype), dtype)
        return _B.cast(outputs, self.compute_dtype)

    def _normalize(self, inputs, dtype):
        gamma, beta = precision.read(self.gamma, dtype), precision.read(self.beta, dtype)
        if self.rms_scaling:
            variance = ops.var(inputs, axis=self._axes, keepdims=True)
            outputs = ops.divide(inputs, ops.sqrt(ops.add(variance, self.epsilon)))
            if gamma is not None:
                outputs = ops.multiply(outputs, self._broadcast(gamma))
            return outputs
        hook = getattr(_B, "fused_layer_normalization", None)
        if hook is not None:
            try:
                return hook(inputs, self._axes, gamma, beta, self.epsilon)
            except NotImplementedError:
                pass
        mean, variance = ops.moments(inputs, self._axes, keepdims=True)
        inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        if gamma is not None:
            inv = ops.multiply(inv, self._broadcast(gamma))
        shift = ops.negative(ops.multiply(mean, inv))
        if beta is not None:
            shift = ops.add(shift, self._broadcast(beta))
        return ops.add(ops.multiply(inputs, inv), shift)

    def compute_output_shape(self, input_shape):
        resolve_axes(self, input_shape)
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config
