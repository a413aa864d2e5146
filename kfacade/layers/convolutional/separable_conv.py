"""Separable convolutions: SeparableConv1D, SeparableConv2D."""
from kfacade import activations, constraints, initializers, ops, regularizers
from kfacade.backend.config import standardize_data_format
from kfacade.engine.input_spec import InputSpec
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.convolutional.base_conv import add_bias_and_activate, serialize_or_none
from kfacade.layers.layer import Layer


class BaseSeparableConv(Layer):
    """A depthwise convolution (each channel through `depth_multiplier`
    filters) followed by a pointwise (1x1) convolution mixing the channels.

    Args:
        rank: the number of spatial dimensions (1 or 2).
        depth_multiplier: depthwise filters per input channel (positive int).
        filters: output channels of the pointwise convolution (positive int).
        kernel_size, strides, padding ("valid"/"same"), data_format,
        dilation_rate, activation, use_bias: as ``Conv2D``; they apply to the
            depthwise step.
        depthwise_initializer, pointwise_initializer, bias_initializer.
        depthwise_regularizer, pointwise_regularizer, bias_regularizer,
        activity_regularizer; depthwise_constraint, pointwise_constraint,
        bias_constraint.

    Weights (Keras's names, in this order): ``depthwise_kernel (*kernel_size,
    in_channels, depth_multiplier)``, ``pointwise_kernel (1, ..., in_channels
    * depth_multiplier, filters)``, ``bias (filters,)``.
    """

    def __init__(self, rank, depth_multiplier, filters, kernel_size, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        conv_utils.check_positive_int(depth_multiplier, "depth_multiplier", self)
        conv_utils.check_positive_int(filters, "filters", self)
        self.depth_multiplier = depth_multiplier
        self.filters = filters
        self.kernel_size = conv_utils.standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = conv_utils.standardize_tuple(strides, rank, "strides")
        self.dilation_rate = conv_utils.standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = conv_utils.standardize_padding(padding, self)
        self.data_format = standardize_data_format(data_format)
        conv_utils.check_strides_and_dilation(self.strides, self.dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_constraint = constraints.get(pointwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=rank + 2)

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
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (channels, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint,
        )
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel",
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint,
        )
        self.bias = (
            self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
            if self.use_bias else None
        )
        self.input_spec = InputSpec(min_ndim=self.rank + 2, axes={axis: channels})
        self.built = True

    def call(self, inputs):
        depthwise = ops.depthwise_conv(
            inputs, self.depthwise_kernel.value, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        outputs = ops.conv(depthwise, self.pointwise_kernel.value, strides=1, padding="valid",
                           data_format=self.data_format)
        return add_bias_and_activate(self, outputs, self.bias, self.filters)

    def compute_output_shape(self, input_shape):
        return conv_utils.conv_output_shape(
            self, input_shape, self.filters, self.kernel_size, self.strides, self.padding,
            self.dilation_rate, self.data_format,
        )

    def get_config(self):
        config = super().get_config()
        config.update({
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": serialize_or_none(regularizers.serialize, self.depthwise_regularizer),
            "pointwise_regularizer": serialize_or_none(regularizers.serialize, self.pointwise_regularizer),
            "bias_regularizer": serialize_or_none(regularizers.serialize, self.bias_regularizer),
            "activity_regularizer": serialize_or_none(regularizers.serialize, self.activity_regularizer),
            "depthwise_constraint": serialize_or_none(constraints.serialize, self.depthwise_constraint),
            "pointwise_constraint": serialize_or_none(constraints.serialize, self.pointwise_constraint),
            "bias_constraint": serialize_or_none(constraints.serialize, self.bias_constraint),
        })
        return config


class SeparableConv1D(BaseSeparableConv):
    """1-D separable convolution: ``(batch, steps, channels)`` -> ``(batch, new_steps, filters)``.

    Args: as ``BaseSeparableConv``.

    Example:
        >>> y = SeparableConv1D(8, 3, depth_multiplier=2)(np.zeros((2, 10, 4)))  # (2, 8, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            1, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


class SeparableConv2D(BaseSeparableConv):
    """2-D separable convolution: ``(batch, rows, cols, channels)`` -> ``(..., filters)``.

    Args: as ``BaseSeparableConv``.

    Example:
        >>> y = SeparableConv2D(16, 3, padding="same")(np.zeros((1, 8, 8, 3)))  # (1, 8, 8, 16)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            2, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
            data_format=data_format, dilation_rate=dilation_rate, activation=activation,
            use_bias=use_bias, depthwise_initializer=depthwise_initializer,
            pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
            depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
