"""Layer-side argument checks and output shapes of the convolution, pooling
and reshaping layers (Keras 3's ``compute_conv_output_shape``).

The window rules themselves (tuples, padding names, output lengths) live
in ``kfacade.backend.conv_geometry``, shared with the adapters' ops; the
names re-exported here are those rules, not copies.
"""
import numbers

from kfacade.backend import conv_geometry
from kfacade.backend.conv_geometry import (  # noqa: F401 (re-exported for the layers)
    conv_output_length,
    deconv_output_length,
    standardize_data_format,
    standardize_tuple,
)


def standardize_padding(value, layer, allow_causal=False):
    """"valid", "same" (and "causal" when allowed), lower-cased; the error names `layer`."""
    return conv_geometry.standardize_padding(
        value, allow_causal=allow_causal, owner=f"{type(layer).__name__} layer {layer.name!r}"
    )


def check_positive_int(value, name, layer):
    """`value` as a Python int; a ValueError unless it is a strictly positive integer
    (NumPy integers included: Keras 2 programs pass ``np.max(y) + 1``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}` of {type(layer).__name__} layer {layer.name!r}. "
            f"Expected a strictly positive integer. Received {name}={value!r}."
        )
    return int(value)


def check_strides_and_dilation(strides, dilation_rate):
    """Keras rejects `strides > 1` together with `dilation_rate > 1`."""
    if max(strides) > 1 and max(dilation_rate) > 1:
        raise ValueError(
            "`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
            f"Received: strides={strides} and dilation_rate={dilation_rate}"
        )


def standardize_window(layer, rank, kernel_size, strides, padding, data_format, dilation_rate,
                       allow_causal=False):
    """Stores the window arguments of a convolution on `layer`, standardized.

    Sets ``layer.kernel_size``, ``layer.strides`` and ``layer.dilation_rate``
    (tuples of `rank` ints), ``layer.padding`` (lower-cased) and
    ``layer.data_format`` (the configured default for None).

    Raises:
        ValueError: as ``standardize_tuple``, ``standardize_padding`` and
            ``check_strides_and_dilation``.
    """
    layer.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
    layer.strides = standardize_tuple(strides, rank, "strides")
    layer.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
    layer.padding = standardize_padding(padding, layer, allow_causal=allow_causal)
    layer.data_format = standardize_data_format(data_format)
    check_strides_and_dilation(layer.strides, layer.dilation_rate)


def spatial_axes(data_format, rank):
    """The spatial axes of a (rank + 2)-D input in `data_format`."""
    return tuple(range(1, rank + 1)) if data_format == "channels_last" else tuple(range(2, rank + 2))


def channels_placed(spatial, channels, data_format):
    """``spatial + (channels,)`` for "channels_last", ``(channels,) + spatial`` otherwise."""
    if data_format == "channels_last":
        return tuple(spatial) + (channels,)
    return (channels,) + tuple(spatial)


def conv_output_spatial(input_shape, kernel_size, strides, padding, dilation_rate, data_format):
    """The spatial sizes of a convolution's output (None where the input's is unknown)."""
    axes = spatial_axes(data_format, len(kernel_size))
    return tuple(
        conv_output_length(input_shape[axis], kernel_size[i], strides[i], padding, dilation_rate[i])
        for i, axis in enumerate(axes)
    )


def channel_axis(data_format):
    """-1 for "channels_last", 1 for "channels_first"."""
    return -1 if data_format == "channels_last" else 1


def check_rank(layer, input_shape, rank):
    """Raises Keras's ValueError if `input_shape` is not (rank + 2)-D.

    Layers call this from ``build`` and ``compute_output_shape`` (the base
    class builds before it checks ``input_spec``), so the message is the
    one ``InputSpec`` gives: the layer's name, the expected ndim, the shape.
    """
    from kfacade.engine.input_spec import assert_input_compatibility

    if layer.input_spec is not None:
        assert_input_compatibility(layer.input_spec, [tuple(input_shape)], layer.name)
    if len(input_shape) != rank + 2:
        raise ValueError(
            f"Input 0 of layer {layer.name!r} is incompatible with the layer: expected "
            f"ndim={rank + 2}, found ndim={len(input_shape)}. Full shape received: "
            f"{tuple(input_shape)}"
        )


def conv_output_shape(layer, input_shape, filters, kernel_size, strides, padding, dilation_rate,
                      data_format):
    """The output shape of an N-D convolution (or pooling: `filters` None keeps channels).

    Raises:
        ValueError: a computed spatial size is not positive.
    """
    input_shape = tuple(input_shape)
    rank = len(kernel_size)
    check_rank(layer, input_shape, rank)
    spatial = conv_output_spatial(input_shape, kernel_size, strides, padding, dilation_rate,
                                  data_format)
    if any(d is not None and d <= 0 for d in spatial):
        raise ValueError(
            f"Computed output size would be negative for layer {layer.name!r}. Received "
            f"`inputs shape={input_shape}`, `kernel shape={kernel_size}`, "
            f"`strides={strides}`, `dilation_rate={dilation_rate}`, `padding={padding}`."
        )
    channels = input_shape[channel_axis(data_format)] if filters is None else filters
    return (input_shape[0],) + channels_placed(spatial, channels, data_format)

