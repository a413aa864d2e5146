"""GroupNormalization: normalizes each sample over groups of channels."""
from kfacade import constraints, initializers, ops, regularizers
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer


class GroupNormalization(Layer):
    """Splits the channels (`axis`) into `groups` and normalizes each sample
    over each group (its channels and all other non-batch axes).

    ``groups=1`` is LayerNormalization over all non-batch axes; ``groups=-1``
    (one group per channel) is InstanceNormalization.

    Args:
        groups: the number of groups, dividing the number of channels
            (default 32); -1 for one per channel.
        axis: the channels axis (default -1).
        epsilon: added to the variance (default 1e-3).
        center, scale: learn ``beta`` / ``gamma``.
        beta_initializer ("zeros"), gamma_initializer ("ones"),
        beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint.

    Weights, in Keras's order: ``gamma (channels,)``, ``beta (channels,)``.

    Raises:
        ValueError: `groups` is not a positive integer or -1; the channels
            are unknown, fewer than, or not a multiple of, `groups`.

    Example:
        >>> GroupNormalization(groups=2)(np.random.rand(2, 5, 4).astype("float32"))
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if not isinstance(groups, int) or isinstance(groups, bool) or (groups <= 0 and groups != -1):
            raise ValueError(
                f"Received an invalid value for argument `groups`, expected a positive "
                f"integer (or `-1` for instance normalization). Received: groups={groups!r}"
            )
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(
                f"GroupNormalization {self.name!r}: `axis` must name a non-batch axis of the "
                f"input. Received: axis={self.axis}, input_shape={tuple(input_shape)}"
            )
        axis = self.axis % ndim
        dim = input_shape[axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the "
                f"layer received an input with shape {tuple(input_shape)}."
            )
        groups = dim if self.groups == -1 else self.groups
        if dim < groups:
            raise ValueError(
                f"Number of groups ({groups}) cannot be more than the number of channels "
                f"({dim})."
            )
        if dim % groups != 0:
            raise ValueError(
                f"Number of channels ({dim}) must be a multiple of the number of groups "
                f"({groups})."
            )
        self._axis, self._groups = axis, groups
        self.input_spec = InputSpec(ndim=ndim, axes={axis: dim})
        self.gamma = (
            self.add_weight(name="gamma", shape=(dim,), initializer=self.gamma_initializer,
                            regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
            if self.scale else None
        )
        self.beta = (
            self.add_weight(name="beta", shape=(dim,), initializer=self.beta_initializer,
                            regularizer=self.beta_regularizer, constraint=self.beta_constraint)
            if self.center else None
        )
        # The grouped view: the channels axis becomes (groups, channels // groups).
        broadcast = [1] * ndim
        broadcast[axis] = dim // groups
        broadcast.insert(axis, groups)
        self._broadcast_shape = broadcast
        self._reduction_axes = [a for a in range(1, ndim + 1) if a != axis]
        self.built = True

    def call(self, inputs):
        shape = tuple(ops.shape(inputs))
        grouped_shape = list(shape)
        grouped_shape[self._axis] = shape[self._axis] // self._groups
        grouped_shape.insert(self._axis, self._groups)
        grouped = ops.reshape(inputs, grouped_shape)
        mean, variance = ops.moments(grouped, self._reduction_axes, keepdims=True)
        inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            inv = ops.multiply(inv, ops.reshape(self.gamma.value, self._broadcast_shape))
        shift = ops.negative(ops.multiply(mean, inv))
        if self.beta is not None:
            shift = ops.add(shift, ops.reshape(self.beta.value, self._broadcast_shape))
        return ops.reshape(ops.add(ops.multiply(grouped, inv), shift), shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return config
