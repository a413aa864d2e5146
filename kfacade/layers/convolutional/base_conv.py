"""BaseConv: the shared body of Conv1D, Conv2D and Conv3D."""
from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.layer import Layer


def serialize_or_none(serialize, value):
    """`serialize(value)`, or None for an unset regularizer/constraint."""
    return None if value is None else serialize(value)


def add_bias_and_activate(layer, outputs, bias, channels):
    """``layer.activation(outputs + bias)``, the bias broadcast along the channel axis.

    Args:
        layer: a convolution layer (its `rank`, `data_format`, `activation`).
        outputs: the convolution's output.
        bias: the bias Variable, or None.
        channels: the number of output channels (the bias's length).
    """
    if bias is not None:
        value = bias.value
        if layer.data_format == "channels_first":
            value = ops.reshape(value, (1, channels) + (1,) * layer.rank)
        outputs = ops.add(outputs, value)
    if layer.activation is activations.linear:
        return outputs
    return layer.activation(outputs)


class BaseConv(Layer):
    """An N-D convolution layer: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        rank: the number of spatial dimensions (1, 2 or 3).
        filters: the number of output channels, a positive int divisible by `groups`.
        kernel_size: an int or `rank` ints, the window size.
        strides: an int or `rank` ints (default 1). `strides > 1` is
            incompatible with `dilation_rate > 1`.
        padding: "valid", "same" (case-insensitive), or "causal" (rank 1 only:
            left padding so that output t sees inputs up to t).
        data_format: "channels_last" (default from ``image_data_format()``)
            or "channels_first".
        dilation_rate: an int or `rank` ints (default 1).
        groups: splits the input channels into `groups` groups convolved
            separately; must divide both the input channels and `filters`.
        activation: an activation name or callable (None: linear).
        use_bias: whether to add a bias.
        kernel_initializer, bias_initializer: default "glorot_uniform", "zeros".
        kernel_regularizer, bias_regularizer, activity_regularizer: penalties.
        kernel_constraint, bias_constraint: constraints.

    Weights (Keras's layout): ``kernel (*kernel_size, in_channels // groups,
    filters)`` and ``bias (filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        conv_utils.check_positive_int(filters, "filters", self)
        conv_utils.check_positive_int(groups, "groups", self)
        self.filters = filters
        self.groups = groups
        self.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = conv_utils.standardize_padding(padding, self, allow_causal=rank == 1)
        self.data_format = standardize_data_format(data_format)
        if filters % groups:
            raise ValueError(
                f"The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={groups}, filters={filters}."
            )
        conv_utils.check_strides_and_dilation(self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)

    def _input_channels(self, input_shape):
        axis = conv_utils.channel_axis(self.data_format)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} {self.name!r} "
                f"must be known. Received: input_shape={tuple(input_shape)}"
            )
        return channels

    def build(self, input_shape):
        conv_utils.check_rank(self, input_shape, self.rank)
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"The number of input channels must be evenly divisible by the number of "
                f"groups. Received groups={self.groups}, but the input has {channels} "
                f"channels (full input shape is {tuple(input_shape)})."
            )
        self.compute_output_shape(input_shape)  # validates the spatial sizes
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
            if self.use_bias else None
        )
        self.input_spec = InputSpec(
            min_ndim=self.rank + 2, axes={conv_utils.channel_axis(self.data_format): channels}
        )
        self.built = True

    def convolution_op(self, inputs, kernel):
        """The convolution without bias and activation."""
        return ops.conv(inputs, kernel, strides=self.strides, padding=self.padding,
                        data_format=self.data_format, dilation_rate=self.dilation_rate,
                        groups=self.groups)

    def call(self, inputs):
        outputs = self.convolution_op(inputs, self.kernel.value)
        return add_bias_and_activate(self, outputs, self.bias, self.filters)

    def compute_output_shape(self, input_shape):
        return conv_utils.conv_output_shape(
            self, input_shape, self.filters, self.kernel_size, self.strides, self.padding,
            self.dilation_rate, self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "groups": self.groups,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_or_none(regularizers.serialize, self.kernel_regularizer),
            "bias_regularizer": serialize_or_none(regularizers.serialize, self.bias_regularizer),
            "activity_regularizer": serialize_or_none(regularizers.serialize, self.activity_regularizer),
            "kernel_constraint": serialize_or_none(constraints.serialize, self.kernel_constraint),
            "bias_constraint": serialize_or_none(constraints.serialize, self.bias_constraint),
        })
        return config
