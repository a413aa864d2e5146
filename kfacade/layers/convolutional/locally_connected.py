"""Keras 2's LocallyConnected1D and LocallyConnected2D: convolutions whose
weights are not shared, one kernel per output position.

Keras 3 dropped them; Keras 2 programs and their ``.h5`` files use them, so
they keep Keras 2's arguments, config and weight layout (its default
``implementation=1``): ``kernel (positions, window * in_channels, filters)``,
each position's window flattened as Keras 2's ``local_conv`` did (kernel
rows, kernel columns, channels; channels first for "channels_first"), and a
bias per position and filter, ``(*output_spatial, filters)`` in both data
formats. For "channels_first" Keras 2 adds that bias reshaped (not
transposed) to ``(filters, *output_spatial)`` (its ``bias_add``); so does
kfacade, so that its files give the same outputs. Only "valid" padding, as
in Keras 2.

The windows are gathered with one strided slice per kernel offset (9 for a
3x3 kernel, whatever the image size) and multiplied with one ``einsum``.
"""
import itertools
import math

from kfacade import ops
from kfacade.layers.convolutional import conv_utils
from kfacade.layers.convolutional.base_conv import (
    add_weight_with_options, conv_layer_config, conv_layer_output_shape,
    expect_input_channels, init_conv_layer, input_channels,
)
from kfacade.layers.layer import Layer


def local_conv(inputs, kernel, kernel_size, strides, output_spatial, data_format):
    """Keras 2's ``local_conv``: each output position's window of `inputs`
    (``(batch, *spatial, channels)``, or channels first) times its own
    kernel ``kernel[position]`` of ``(positions, window * channels, filters)``,
    positions in row-major order. Returns ``(batch, *output_spatial,
    filters)``, or ``(batch, filters, *output_spatial)`` for "channels_first".
    """
    rank = len(kernel_size)
    channels_first = data_format == "channels_first"
    if channels_first:  # windows are read channels-last, flattened channels first
        inputs = ops.transpose(inputs, (0,) + tuple(range(2, rank + 2)) + (1,))
    pieces = []
    for offset in itertools.product(*(range(size) for size in kernel_size)):
        pieces.append(ops.getitem(inputs, (slice(None),) + tuple(
            slice(start, start + stride * (size - 1) + 1, stride)
            for start, stride, size in zip(offset, strides, output_spatial))))
    windows = ops.stack(pieces, axis=-1 if channels_first else -2)
    filters = ops.shape(kernel)[-1]
    windows = ops.reshape(windows, (-1, math.prod(output_spatial), ops.shape(kernel)[1]))
    outputs = ops.einsum("bpk,pkf->bpf", windows, kernel)
    outputs = ops.reshape(outputs, (-1,) + tuple(output_spatial) + (filters,))
    if channels_first:
        outputs = ops.transpose(outputs, (0, rank + 1) + tuple(range(1, rank + 1)))
    return outputs


class BaseLocallyConnected(Layer):
    """An N-D (1 or 2) locally-connected layer: ``activation(local_conv(inputs) + bias)``.

    Args:
        rank: the number of spatial dimensions.
        filters, kernel_size, strides, data_format, activation, use_bias, and
        the initializers, regularizers and constraints: as ``Conv2D``'s.
        padding: "valid" only.
        implementation: 1 only (Keras 2's default weight layout).

    Weights: ``kernel (prod(output_spatial), prod(kernel_size) * in_channels,
    filters)``; ``bias (*output_spatial, filters)``.

    Raises:
        ValueError: another padding or implementation; an input whose
            spatial sizes are unknown (each position has its own weights).
    """

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = conv_utils.check_positive_int(filters, "filters", self)
        dilation_rate = 1
        init_conv_layer(self, rank, locals(), ("kernel", "bias"))
        if self.padding != "valid":
            raise ValueError(
                f"Invalid padding for {type(self).__name__}: {padding!r}. Only 'valid' is "
                f"supported (as in Keras 2).")
        if implementation != 1:
            raise ValueError(
                f"{type(self).__name__} supports implementation=1 only (Keras 2's default "
                f"layout of the weights). Received: implementation={implementation!r}.")
        self.implementation = 1

    def build(self, input_shape):
        channels = input_channels(self, input_shape)
        spatial = [input_shape[axis] for axis in conv_utils.spatial_axes(self.data_format,
                                                                          self.rank)]
        if None in spatial:
            raise ValueError(
                f"{type(self).__name__} {self.name!r} needs the input's spatial sizes: each "
                f"position has its own weights. Received: input_shape={tuple(input_shape)}.")
        output_shape = self.compute_output_shape(input_shape)  # checks the sizes
        self.output_spatial = tuple(output_shape[axis] for axis in conv_utils.spatial_axes(
            self.data_format, self.rank))
        self.kernel = add_weight_with_options(
            self, "kernel", (math.prod(self.output_spatial),
                             math.prod(self.kernel_size) * channels, self.filters), "kernel")
        self.bias = add_weight_with_options(
            self, "bias", self.output_spatial + (self.filters,), "bias",
        ) if self.use_bias else None
        expect_input_channels(self, channels)
        self.built = True

    def call(self, inputs):
        outputs = local_conv(inputs, self.kernel.value, self.kernel_size, self.strides,
                             self.output_spatial, self.data_format)
        if self.bias is not None:
            bias = self.bias.value
            if self.data_format == "channels_first":  # Keras 2's bias_add: a reshape
                bias = ops.reshape(bias, (self.filters,) + self.output_spatial)
            outputs = ops.add(outputs, bias)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        return conv_layer_output_shape(self, input_shape, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            **conv_layer_config(self, ("filters", "kernel_size", "strides", "padding",
                                       "data_format"), ("kernel", "bias")),
            "implementation": self.implementation,
        }


class LocallyConnected1D(BaseLocallyConnected):
    """Keras 2's 1-D locally-connected layer: ``(batch, steps, channels)`` ->
    ``(batch, new_steps, filters)``, one kernel per output step.

    Weights: ``kernel (new_steps, kernel_size * channels, filters)``, ``bias
    (new_steps, filters)``.

    Example:
        >>> y = LocallyConnected1D(4, 3)(np.zeros((2, 10, 5), "float32"))  # (2, 8, 4)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(
            1, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            implementation=implementation, **kwargs)


class LocallyConnected2D(BaseLocallyConnected):
    """Keras 2's 2-D locally-connected layer: ``(batch, rows, cols, channels)``
    -> ``(batch, new_rows, new_cols, filters)`` (channels_last), one kernel
    per output pixel.

    Weights: ``kernel (new_rows * new_cols, kh * kw * channels, filters)``,
    ``bias (new_rows, new_cols, filters)`` (in both data formats).

    Example:
        >>> y = LocallyConnected2D(4, (3, 3))(np.zeros((2, 8, 8, 1), "float32"))  # (2, 6, 6, 4)
    """

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 implementation=1, **kwargs):
        super().__init__(
            2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint,
            implementation=implementation, **kwargs)
