"""Transposed convolutions: Conv1DTranspose, Conv2DTranspose, Conv3DTranspose."""
from kfacade import ops
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.convolutional.base_conv import (
    add_bias, add_bias_and_activate, add_weight_with_options, conv_layer_config,
    expect_input_channels, init_conv_layer, input_channels,
)
from kfacade.layers.layer import Layer


class BaseConvTranspose(Layer):
    """An N-D transposed convolution ("deconvolution"), the gradient of a
    convolution with respect to its input: it maps a convolution's output
    shape back to its input shape.

    Args:
        rank: the number of spatial dimensions (1, 2 or 3).
        filters: the number of output channels (positive int).
        kernel_size: an int or `rank` ints.
        strides: an int or `rank` ints (default 1); `strides > 1` is
            incompatible with `dilation_rate > 1`.
        padding: "valid" or "same".
        output_padding: None, or an int or `rank` ints, each < its stride:
            the extra size added on one side of the output. None infers it.
        data_format: "channels_last" (default) or "channels_first".
        dilation_rate: an int or `rank` ints.
        activation, use_bias, kernel_initializer, bias_initializer,
        kernel_regularizer, bias_regularizer, activity_regularizer,
        kernel_constraint, bias_constraint: as ``Conv2D``.

    Output length per spatial axis (k the dilated kernel size): with
    `output_padding` None, ``n * s + max(k - s, 0)`` for "valid" and ``n * s``
    for "same"; else ``(n - 1) * s + k - 2 * pad + output_padding`` with
    ``pad = k // 2`` for "same" and 0 for "valid".

    Weights (Keras's layout): ``kernel (*kernel_size, filters, in_channels)``,
    ``bias (filters,)``.
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        filters = conv_utils.check_positive_int(filters, "filters", self)
        self.filters = filters
        init_conv_layer(self, rank, locals(), ("kernel", "bias"))
        self.output_padding = (
            None if output_padding is None
            else conv_utils.standardize_tuple(output_padding, rank, "output_padding", allow_zero=True)
        )
        if self.output_padding is not None and any(
            p >= s for p, s in zip(self.output_padding, self.strides)
        ):
            raise ValueError(
                f"`output_padding` must be < `strides`. output_padding={self.output_padding}, "
                f"strides={self.strides}"
            )

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        self.kernel = add_weight_with_options(
            self, "kernel", self.kernel_size + (self.filters, channels), "kernel")
        self.bias = add_bias(self, self.filters)
        expect_input_channels(self, channels)
        self.built = True

    def call(self, inputs):
        outputs = ops.conv_transpose(
            inputs, self.kernel.value, strides=self.strides, padding=self.padding,
            output_padding=self.output_padding, data_format=self.data_format,
            dilation_rate=self.dilation_rate,
        )
        return add_bias_and_activate(self, outputs, self.bias)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        conv_utils.check_rank(self, input_shape, self.rank)
        output_padding = self.output_padding or (None,) * self.rank
        spatial = tuple(
            conv_utils.deconv_output_length(
                input_shape[axis], self.kernel_size[i], self.strides[i], self.padding,
                output_padding[i], self.dilation_rate[i],
            )
            for i, axis in enumerate(conv_utils.spatial_axes(self.data_format, self.rank))
        )
        return (input_shape[0],) + conv_utils.channels_placed(spatial, self.filters, self.data_format)

    def get_config(self):
        return {
            **super().get_config(),
            **conv_layer_config(self, ("filters", "kernel_size", "strides", "padding",
                                       "output_padding", "data_format", "dilation_rate"),
                                ("kernel", "bias")),
        }


class Conv1DTranspose(BaseConvTranspose):
    """1-D transposed convolution: ``(batch, steps, channels)`` -> ``(batch, new_steps, filters)``.

    Args: as ``BaseConvTranspose``. Kernel ``(k, filters, in_channels)``.

    Example:
        >>> y = Conv1DTranspose(8, 3, strides=2)(np.zeros((2, 5, 4)))  # (2, 11, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            1, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


class Conv2DTranspose(BaseConvTranspose):
    """2-D transposed convolution: ``(batch, rows, cols, channels)`` (channels_last).

    Args: as ``BaseConvTranspose``. Kernel ``(kh, kw, filters, in_channels)``.

    Example:
        >>> y = Conv2DTranspose(8, 3, strides=2, padding="same")(np.zeros((1, 7, 7, 4)))  # (1, 14, 14, 8)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None,
                 data_format=None, dilation_rate=(1, 1), activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            2, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


class Conv3DTranspose(BaseConvTranspose):
    """3-D transposed convolution: ``(batch, d1, d2, d3, channels)`` (channels_last).

    Args: as ``BaseConvTranspose``. Kernel ``(k1, k2, k3, filters, in_channels)``.
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid",
                 output_padding=None, data_format=None, dilation_rate=(1, 1, 1), activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            3, filters, kernel_size, strides=strides, padding=padding,
            output_padding=output_padding, data_format=data_format, dilation_rate=dilation_rate,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs,
        )


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
Deconvolution2D = Conv2DTranspose
Deconvolution3D = Conv3DTranspose
