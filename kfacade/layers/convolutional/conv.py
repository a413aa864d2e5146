"""Conv1D, Conv2D, Conv3D: convolutions over steps, images and volumes."""
from kfacade import ops
from kfacade.layers.convolutional.base_conv import BaseConv


class Conv1D(BaseConv):
    """1-D convolution over steps: ``(batch, steps, channels)`` -> ``(batch, new_steps, filters)``.

    Args: as ``BaseConv``; `padding` may also be "causal": the input is
    padded on the left by ``dilation_rate * (kernel_size - 1)`` so that
    output step t depends only on input steps up to t (WaveNet).

    Example:
        >>> y = Conv1D(32, 3, padding="causal")(np.zeros((4, 10, 8)))  # (4, 10, 32)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            1, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )

    def convolution_op(self, inputs, kernel):
        if self.padding != "causal":
            return super().convolution_op(inputs, kernel)
        left = self.dilation_rate[0] * (self.kernel_size[0] - 1)
        steps = [(0, 0), (left, 0), (0, 0)] if self.data_format == "channels_last" else \
            [(0, 0), (0, 0), (left, 0)]
        return ops.conv(ops.pad(inputs, steps), kernel, strides=self.strides, padding="valid",
                        data_format=self.data_format, dilation_rate=self.dilation_rate,
                        groups=self.groups)


class Conv2D(BaseConv):
    """2-D convolution over images: ``(batch, rows, cols, channels)`` (channels_last).

    Args: as ``BaseConv``. Kernel ``(kh, kw, in_channels // groups, filters)``.

    Example:
        >>> y = Conv2D(16, (3, 3), strides=2, padding="same")(np.zeros((1, 28, 28, 3)))  # (1, 14, 14, 16)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


class Conv3D(BaseConv):
    """3-D convolution over volumes: ``(batch, d1, d2, d3, channels)`` (channels_last).

    Args: as ``BaseConv``. Kernel ``(k1, k2, k3, in_channels // groups, filters)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            3, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, **kwargs,
        )


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
