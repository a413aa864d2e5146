"""Separable convolutions: SeparableConv1D, SeparableConv2D."""
from kfacade import ops
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.convolutional.base_conv import (
    add_bias, add_bias_and_activate, add_weight_with_options, conv_layer_config,
    conv_layer_output_shape, expect_input_channels, init_conv_layer, input_channels,
)
from kfacade.layers.layer import Layer

_WEIGHTS = ("depthwise", "pointwise", "bias")


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
        depth_multiplier = conv_utils.check_positive_int(depth_multiplier, "depth_multiplier", self)
        filters = conv_utils.check_positive_int(filters, "filters", self)
        self.depth_multiplier = depth_multiplier
        self.filters = filters
        init_conv_layer(self, rank, locals(), _WEIGHTS)

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        self.depthwise_kernel = add_weight_with_options(
            self, "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier),
            "depthwise")
        self.pointwise_kernel = add_weight_with_options(
            self, "pointwise_kernel",
            (1,) * self.rank + (channels * self.depth_multiplier, self.filters), "pointwise")
        self.bias = add_bias(self, self.filters)
        expect_input_channels(self, channels)
        self.built = True

    def call(self, inputs):
        depthwise = ops.depthwise_conv(
            inputs, self.depthwise_kernel.value, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        outputs = ops.conv(depthwise, self.pointwise_kernel.value, strides=1, padding="valid",
                           data_format=self.data_format)
        return add_bias_and_activate(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        return conv_layer_output_shape(self, input_shape, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            **conv_layer_config(self, ("depth_multiplier", "filters", "kernel_size", "strides",
                                       "padding", "data_format", "dilation_rate"),
                                _WEIGHTS),
        }


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
