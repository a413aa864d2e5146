"""Depthwise convolutions: DepthwiseConv1D, DepthwiseConv2D."""
from kfacade import ops
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.convolutional.base_conv import (
    add_bias, add_bias_and_activate, add_weight_with_options, conv_layer_config,
    conv_layer_output_shape, expect_input_channels, init_conv_layer, input_channels,
)
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
        depth_multiplier = conv_utils.check_positive_int(depth_multiplier, "depth_multiplier", self)
        self.depth_multiplier = depth_multiplier
        init_conv_layer(self, rank, locals(), ("depthwise", "bias"))

    @property
    def depthwise_kernel(self):
        """Keras 2's name of ``kernel``."""
        return self.kernel

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.compute_output_shape(input_shape)
        self.kernel = add_weight_with_options(
            self, "kernel", self.kernel_size + (channels, self.depth_multiplier), "depthwise")
        self.bias = add_bias(self, channels * self.depth_multiplier)
        expect_input_channels(self, channels)
        self.built = True

    def call(self, inputs):
        outputs = ops.depthwise_conv(
            inputs, self.kernel.value, strides=self.strides, padding=self.padding,
            data_format=self.data_format, dilation_rate=self.dilation_rate,
        )
        return add_bias_and_activate(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        channels = input_shape[conv_utils.channel_axis(self.data_format)]
        filters = None if channels is None else channels * self.depth_multiplier
        # filters=None keeps the (unknown) channel size of the input.
        return conv_layer_output_shape(self, input_shape, filters)

    def get_config(self):
        return {
            **super().get_config(),
            **conv_layer_config(self, ("depth_multiplier", "kernel_size", "strides", "padding",
                                       "data_format", "dilation_rate"),
                                ("depthwise", "bias")),
        }


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
