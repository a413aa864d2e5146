"""Depthwise convolutions: DepthwiseConv1D, DepthwiseConv2D."""
from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.convolutional.base_conv import add_bias_and_activate, serialize_or_none
from kfacade.layers.layer import Layer


class BaseDepthwiseConv(Layer):
    """An N-D depthwise convolution: each input channel is convolved with its
    own `depth_multiplier` filters; output channel ``c * depth_multiplier + m``
    is input channel c through filter m.

    Args:
        rank: the number of spatial dimensions (1 or 2).
        depth_multiplier: filters per input channel (positive int).
        kernel_size, strides, padding ("valid"/"same"), data_format,
        dilation_rate, activation, use_bias: as ``Conv2D``.
        depthwise_initializer, bias_initializer: default "glorot_uniform", "zeros".
        depthwise_regularizer, bias_regularizer, activity_regularizer: penalties.
        depthwise_constraint, bias_constraint: constraints.

    Weights (Keras 3's names and layout): ``kernel (*kernel_size, in_channels,
    depth_multiplier)`` and ``bias (in_channels * depth_multiplier,)``. Keras 2
    called the kernel ``depthwise_kernel``; that attribute name still works.
    """

    def __init__(self, rank, depth_multiplier, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        conv_utils.check_positive_int(depth_multiplier, "depth_multiplier", self)
        self.depth_multiplier = depth_multiplier
        self.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = conv_utils.standardize_padding(padding, self)
        self.data_format = standardize_data_format(data_format)
        conv_utils.check_strides_and_dilation(self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)

    @property
    def depthwise_kernel(self):
        """Keras 2's name of ``kernel``."""
        return self.kernel

    def build(self, input_shape):
        conv_utils.check_rank(self, input_shape, self.rank)
        axis = conv_utils.channel_axis(self.data_format)
        channels = input_shape[axis]
        if channels is None:
            raise ValueError(
                f"The channel dimension of the inputs to {type(self).__name__} {self.name!r} "
                f"must be known. Received: input_shape={tuple(input_shape)}"
            )
        self.compute_output_shape(input_shape)
        self.kernel = self.add_weight(
            name="kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(channels * self.depth_multiplier,),
                            initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                            constraint=self.bias_constraint)
            if self.use_bias else None
        )
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        outputs = ops.depthwise_conv(
            inputs, self.kernel.value, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        channels = self.kernel.shape[-2] * self.depth_multiplier
        return add_bias_and_activate(self, outputs, self.bias, channels)

    def compute_output_shape(self, input_shape):
        channels = input_shape[conv_utils.channel_axis(self.data_format)]
        filters = None if channels is None else channels * self.depth_multiplier
        # filters=None keeps the (unknown) channel size of the input.
        return conv_utils.conv_output_shape(
            self, input_shape, filters, self.kernel_size, self.strides, self.padding,
            self.dilation_rate, self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": serialize_or_none(regularizers.serialize, self.depthwise_regularizer),
            "bias_regularizer": serialize_or_none(regularizers.serialize, self.bias_regularizer),
            "activity_regularizer": serialize_or_none(regularizers.serialize, self.activity_regularizer),
            "depthwise_constraint": serialize_or_none(constraints.serialize, self.depthwise_constraint),
            "bias_constraint": serialize_or_none(constraints.serialize, self.bias_constraint),
        })
        return config


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-D depthwise convolution: ``(batch, steps, channels)`` ->
    ``(batch, new_steps, channels * depth_multiplier)``.

    Args: as ``BaseDepthwiseConv``. Kernel ``(k, channels, depth_multiplier)``.

    Example:
        >>> y = DepthwiseConv1D(3, depth_multiplier=2)(np.zeros((2, 8, 4)))  # (2, 6, 8)
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            1, depth_multiplier, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs,
        )


class DepthwiseConv2D(BaseDepthwiseConv):
    """2-D depthwise convolution: ``(batch, rows, cols, channels)`` ->
    ``(batch, new_rows, new_cols, channels * depth_multiplier)`` (channels_last).

    Args: as ``BaseDepthwiseConv``. Kernel ``(kh, kw, channels, depth_multiplier)``.

    Example:
        >>> y = DepthwiseConv2D(3, padding="same")(np.zeros((1, 8, 8, 3)))  # (1, 8, 8, 3)
    """

    def __init__(self, kernel_size, strides=(1, 1), padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            2, depth_multiplier, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs,
        )
