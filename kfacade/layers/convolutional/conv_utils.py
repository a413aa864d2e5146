"""Argument checks and output-length rules shared by the convolution,
pooling and reshaping layers (Keras 3's ``standardize_tuple``,
``standardize_padding`` and ``compute_conv_output_shape`` rules)."""
from kfacade.backend.config import standardize_data_format


def standardize_tuple(value, n, name, allow_zero=False):
    """`value` (an int or `n` ints) as a tuple of `n` ints.

    Raises:
        ValueError: `value` is not an int or a sequence of `n` ints, or holds
            a negative value (a zero too unless `allow_zero`).
    """
    message = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        values = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise ValueError(message) from None
        if len(values) != n:
            raise ValueError(message)
        for item in values:
            if isinstance(item, bool) or not isinstance(item, int):
                try:
                    if int(item) != item:
                        raise ValueError
                except (TypeError, ValueError):
                    raise ValueError(
                        f"{message}, including element {item!r} of type {type(item).__name__}"
                    ) from None
        values = tuple(int(item) for item in values)
    bound = 0 if allow_zero else 1
    bad = sorted({v for v in values if v < bound})
    if bad:
        requirement = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{message}, including values {bad} that do not satisfy `value {requirement}`")
    return values


def standardize_padding(value, layer, allow_causal=False):
    """"valid", "same" (and "causal" when allowed), lower-cased.

    Args:
        value: the `padding` argument.
        layer: the layer, named in the error message.
        allow_causal: whether "causal" is accepted (Conv1D only).

    Raises:
        ValueError: naming the layer and the received value.
    """
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    padding = value.lower() if isinstance(value, str) else value
    if padding not in allowed:
        expected = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"Invalid `padding` for {type(layer).__name__} layer {layer.name!r}: expected one of "
            f"{expected}. Received: padding={value}"
        )
    return padding


def check_positive_int(value, name, layer):
    """Raises a ValueError unless `value` is a strictly positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(
            f"Invalid value for argument `{name}` of {type(layer).__name__} layer {layer.name!r}. "
            f"Expected a strictly positive integer. Received {name}={value!r}."
        )


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


def conv_output_length(length, kernel_size, stride, padding, dilation=1):
    """Output length of a convolution or pooling window along one axis (None stays None).

    "valid": floor((n - d*(k-1) - 1) / s) + 1; "same" and "causal": ceil(n / s).
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel_size - 1) - 1) // stride + 1
    return (length + stride - 1) // stride


def deconv_output_length(length, kernel_size, stride, padding, output_padding=None, dilation=1):
    """Output length of a transposed convolution along one axis (Keras's rule).

    Without `output_padding`: "valid" -> n*s + max(k - s, 0), "same" -> n*s,
    k being the dilated kernel size; with it: (n-1)*s + k - 2*pad +
    output_padding, pad = k // 2 for "same" and 0 for "valid".
    """
    if length is None:
        return None
    kernel_size = (kernel_size - 1) * dilation + 1
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel_size - stride, 0)
        return length * stride
    pad = kernel_size // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel_size - 2 * pad + output_padding


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

