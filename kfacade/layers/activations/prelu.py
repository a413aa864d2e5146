"""PReLU: a leaky ReLU whose negative slope is a learned weight."""
from kfacade import constraints, initializers, ops, regularizers
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer


class PReLU(Layer):
    """``x`` for ``x >= 0``, else ``alpha * x``, with ``alpha`` learned.

    Args:
        alpha_initializer: default "zeros".
        alpha_regularizer, alpha_constraint: of the ``alpha`` weight.
        shared_axes: axes (counted with the batch axis as 0) along which
            one slope is shared, e.g. ``[1, 2]`` for one slope per channel
            of ``(batch, height, width, channels)`` images.

    Weights: ``alpha`` of the input's shape without the batch axis, with 1
    on the shared axes.

    Example:
        >>> layer = PReLU(shared_axes=[1])
        >>> layer(np.ones((2, 5, 3))); layer.alpha.shape
        (1, 3)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
                 shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        elif not isinstance(shared_axes, (list, tuple)):
            self.shared_axes = [shared_axes]
        else:
            self.shared_axes = list(shared_axes)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        param_shape = list(input_shape[1:])
        for axis in self.shared_axes or ():
            if not 1 <= axis < ndim:
                raise ValueError(
                    f"PReLU {self.name!r}: `shared_axes` must name non-batch axes (1 to "
                    f"{ndim - 1}) of the input. Received: shared_axes={self.shared_axes}, "
                    f"input_shape={tuple(input_shape)}"
                )
            param_shape[axis - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(
                f"PReLU {self.name!r}: every non-shared axis of the input must be known. "
                f"Received: input_shape={tuple(input_shape)}, shared_axes={self.shared_axes}"
            )
        self.alpha = self.add_weight(
            name="alpha", shape=tuple(param_shape), initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer, constraint=self.alpha_constraint,
        )
        shared = set(self.shared_axes or ())
        self.input_spec = InputSpec(
            ndim=ndim, axes={i: input_shape[i] for i in range(1, ndim) if i not in shared}
        )
        self.built = True

    def call(self, inputs):
        positive = ops.relu(inputs)
        negative = ops.multiply(ops.negative(self.alpha.value), ops.relu(ops.negative(inputs)))
        return ops.add(positive, negative)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return config
