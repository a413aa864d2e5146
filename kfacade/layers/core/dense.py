"""Dense: ``activation(inputs @ kernel + bias)``."""
import numbers

from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade.backend.active import adapter as _B
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.layer import Layer

#: The adapter's ``fused_dense`` (contract.OPTIONAL_HOOKS), looked up once: one
#: adapter serves the whole process. None when it has none.
_fused_dense = getattr(_B, "fused_dense", None)
#: The adapter's ``dense_kernel_layout`` (contract.OPTIONAL_HOOKS), or None.
_dense_kernel_layout = getattr(_B, "dense_kernel_layout", None)


class Dense(Layer):
    """A densely connected layer.

    Args:
        units: the output size.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias.
        kernel_initializer: default "glorot_uniform".
        bias_initializer: default "zeros".
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: constraints.

    Input shape: ``(batch, ..., input_dim)``. Output shape: ``(batch, ..., units)``.
    Weights: ``kernel (input_dim, units)``, ``bias (units,)``.

    Example:
        >>> model = kfacade.Sequential([Dense(64, activation="relu", input_dim=100)])
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if not isinstance(units, numbers.Integral) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                f"Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units!r}"
            )
        self.units = int(units)
        self.activation = activations.get(activation)
        self._linear = self.activation is activations.linear
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to Dense {self.name!r} must be known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.kernel = self.add_weight(
            name="kernel", shape=(input_dim, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        if _dense_kernel_layout is not None:
            _dense_kernel_layout(self.kernel.handle)
            self.kernel._dense_kernel_layout = True  # its optimizer slots follow
        self.bias = (
            self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
            if self.use_bias else None
        )
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def call(self, inputs):
        kernel = self.kernel.value
        if self.bias is None:
            outputs = ops.matmul(inputs, kernel)
        else:
            outputs = None
            if _fused_dense is not None:
                try:
                    outputs = _fused_dense(inputs, kernel, self.bias.value)
                except NotImplementedError:
                    pass  # a case the kernel does not compute: the generic ops
            if outputs is None:
                outputs = ops.add(ops.matmul(inputs, kernel), self.bias.value)
        if self._linear:
            return outputs
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return config
