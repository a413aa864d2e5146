"""Convolution and pooling geometry: the one home of the window rules.

Every adapter's conv/pool ops and the layers' argument checks and shape
rules call these functions (as Keras 3's ``backend/common/backend_utils.py``
does), so an argument is accepted, and a length computed, the same way on
every backend. Floor 0: this module imports nothing of kfacade above
``kfacade.backend`` and no framework; the functions work on Python ints.
"""
import operator

from kfacade.backend.config import standardize_data_format

__all__ = [
    "standardize_tuple",
    "standardize_padding",
    "standardize_data_format",
    "conv_output_length",
    "deconv_output_length",
    "same_padding",
    "conv_transpose_padding",
]

_PADDINGS = ("valid", "same")
_PADDINGS_CAUSAL = ("valid", "same", "causal")


def standardize_tuple(value, n, name, allow_zero=False):
    """`value` (an int, or a sequence of `n` ints) as a tuple of `n` ints.

    Integral floats (``2.0``) and NumPy integers are accepted and converted.

    Args:
        value: the argument as the user gave it.
        n: how many spatial axes it covers.
        name: the argument's name, echoed in the error (``"strides"``).
        allow_zero: whether 0 is valid (``output_padding``, ``cropping``).

    Returns:
        A tuple of `n` Python ints.

    Raises:
        ValueError: `value` is not an int or a sequence of `n` ints, or holds
            a negative value (a zero too unless `allow_zero`); the message
            names the argument and echoes `value`.

    Example:
        >>> standardize_tuple(2, 3, "strides")
        (2, 2, 2)
    """
    message = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if not isinstance(value, bool) and hasattr(value, "__index__") and not hasattr(value, "__len__"):
        values = (operator.index(value),) * n
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
        raise ValueError(
            f"{message}, including values {bad} that do not satisfy `value {requirement}`"
        )
    return values


def standardize_padding(value, allow_causal=False, owner=None):
    """`value` lower-cased, checked to be "valid" or "same" (or "causal" when allowed).

    Args:
        value: the `padding` argument.
        allow_causal: whether "causal" is accepted (Conv1D only).
        owner: what received it, named at the head of the message
            (e.g. ``"Conv2D layer 'conv2d'"``); None for an op.

    Raises:
        ValueError: ``Received: padding='nonsense'; expected one of 'valid', 'same'``.
    """
    padding = value.lower() if isinstance(value, str) else value
    allowed = _PADDINGS_CAUSAL if allow_causal else _PADDINGS
    if padding not in allowed:
        head = f"Invalid `padding` for {owner}. " if owner else "Invalid `padding`. "
        expected = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{head}Received: padding={value!r}; expected one of {expected}.")
    return padding


def conv_output_length(length, kernel_size, stride, padding, dilation=1):
    """Output length of a convolution or pooling window along one axis (None stays None).

    "valid": ``floor((n - d*(k-1) - 1) / s) + 1``; "same" and "causal": ``ceil(n / s)``.
    """
    if length is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel_size - 1) - 1) // stride + 1
    return (length + stride - 1) // stride


def deconv_output_length(length, kernel_size, stride, padding, output_padding=None, dilation=1):
    """Output length of a transposed convolution along one axis (Keras's rule).

    With ``k`` the dilated kernel size ``(kernel_size - 1) * dilation + 1``:
    without `output_padding`, "valid" gives ``n*s + max(k - s, 0)`` and
    "same" ``n*s``; with it, ``(n-1)*s + k - 2*pad + output_padding``, where
    ``pad`` is ``k // 2`` for "same" and 0 for "valid". None stays None.
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


def same_padding(length, kernel_size, stride, dilation=1):
    """(before, after) cells that "same" padding adds along one axis.

    TensorFlow's rule, which every backend follows: enough cells for
    ``ceil(n / s)`` windows, the odd cell after. `length` may also be a
    framework scalar (a TF graph dimension): only ``//``, ``-`` and ``abs``
    are applied to it.
    """
    effective = (kernel_size - 1) * dilation + 1
    # (ceil(n / s) - 1) * s - n == -((n - 1) % s) - 1
    total = effective - (length - 1) % stride - 1
    total = (total + abs(total)) // 2  # max(total, 0) that also works on scalar tensors
    return total // 2, total - total // 2


def conv_transpose_padding(kernel_size, stride, padding, output_padding=None, dilation=1):
    """(left, right) padding of the stride-dilated input that gives Keras's output length.

    A transposed convolution is a convolution over the input with ``s - 1``
    zeros between cells; padding it by ``(left, right)`` yields
    ``deconv_output_length`` cells. The left side takes the larger half,
    capped at ``k - 1`` (the cells the kernel can reach), as JAX and Keras do.
    """
    effective = (kernel_size - 1) * dilation + 1
    # The output length is (n - 1) * s + 2 - k + left + right; the n-free part
    # of deconv_output_length is its value at n = 1.
    total = deconv_output_length(1, effective, stride, padding, output_padding) + effective - 2
    left = min(total // 2 + total % 2, effective - 1)
    return left, total - left
