"""``keras.ops.adaptive_average_pool`` and ``keras.ops.adaptive_max_pool``:
pooling to a fixed spatial size, whatever the input's.

The bins are PyTorch's (``adaptive_avg_pool*d``, ``adaptive_max_pool*d``),
which Keras 3 follows: along a spatial axis of length L pooled to `out`,
output i reduces the input positions ``[floor(i * L / out), ceil((i + 1) * L / out))``.
Bins overlap when L is not a multiple of `out`, and repeat inputs when
`out` > L. A bin is a box, one interval per axis, so the pooling is
separable and each spatial axis is reduced on its own:

- L == out: nothing to do.
- L a multiple of out: the bins are the blocks of ``L -> (out, L // out)``;
  every such axis is split by one reshape and all are reduced by one mean/max.
- otherwise: one ``take`` with a static ``(out, K)`` table of positions
  (K the longest bin) gathers every bin at once; a shorter bin repeats its
  last position, which max ignores and mean weights by 0 (the real ones by
  1 / size). Gradients flow through the gather as through any ``take``.

Sizes are static Python ints, so a compiled step (``jax.jit``,
``tf.function``) sees constant tables and no Python loop over positions.
"""
import functools

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx as _floatx
from kfacade.backend.config import standardize_data_format
from kfacade.backend.conv_geometry import standardize_tuple
from kfacade.backend.dtypes import is_float_dtype as _is_float_dtype
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.ops._composite import floating as _floating
from kfacade.ops._composite import tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["adaptive_average_pool", "adaptive_max_pool"]


def adaptive_bins(length, output_length):
    """``(starts, sizes)``: the first input position and the length of each
    of the `output_length` bins over an axis of `length` (PyTorch's rule).

    Example:
        >>> adaptive_bins(5, 3)
        ((0, 1, 3), (2, 3, 2))
    """
    starts = tuple(i * length // output_length for i in range(output_length))
    ends = tuple(-(-(i + 1) * length // output_length) for i in range(output_length))  # ceil
    return starts, tuple(end - start for start, end in zip(starts, ends))


@functools.lru_cache(maxsize=256)
def _bin_tables(length, output_length, trailing):
    """``(index, weights)`` for pooling an axis of `length` to `output_length`
    by one gather: `index` is ``(output_length, K)`` input positions, a short
    bin padded with its last position; `weights` is ``1 / size`` on a bin's
    real positions and 0 on its padding, shaped ``(output_length, K)`` and
    `trailing` 1s to broadcast against the gathered bins, or None when every
    bin has K positions (then a plain mean is right)."""
    starts, sizes = adaptive_bins(length, output_length)
    window = max(sizes)
    index = [[start + min(j, size - 1) for j in range(window)]
             for start, size in zip(starts, sizes)]
    if min(sizes) == window:
        return index, None
    weights = [[_nested(1.0 / size if j < size else 0.0, trailing) for j in range(window)]
               for size in sizes]
    return index, weights


def _nested(value, depth):
    """`value` inside `depth` one-element lists (a tensor of shape ``(1,) * depth``)."""
    for _ in range(depth):
        value = [value]
    return value


def _check_inputs(op_name, shape, output_size, data_format):
    """`output_size` as a tuple, `data_format` standardized and the spatial
    axes, for an input of `shape`; raises Keras's errors."""
    rank = len(shape)
    if rank not in (3, 4, 5):
        raise ValueError(
            f"{op_name} takes a 3-D, 4-D or 5-D input: (batch, *spatial, channels) for "
            f"'channels_last', (batch, channels, *spatial) for 'channels_first', with 1, 2 or "
            f"3 spatial axes. Received: inputs.shape={tuple(shape)} (rank {rank})")
    data_format = standardize_data_format(data_format)
    output_size = standardize_tuple(output_size, rank - 2, "output_size")
    first = 1 if data_format == "channels_last" else 2
    return output_size, data_format, tuple(range(first, first + rank - 2))


def _reduce_blocks(x, shape, blocks, reduce):
    """`x` with each ``(axis, out)`` of `blocks` split by one reshape into
    ``(out, L // out)`` and reduced over the blocks, or None when `shape`
    has more than one unknown dimension (a reshape could not say it)."""
    if sum(d is None for d in shape) > 1:
        return None
    outputs = dict(blocks)
    split_shape, block_axes = [], []
    for axis, size in enumerate(shape):
        if axis in outputs:
            split_shape.append(outputs[axis])
            block_axes.append(len(split_shape))
            split_shape.append(size // outputs[axis])
        else:
            split_shape.append(-1 if size is None else size)
    return reduce(_B.reshape(x, tuple(split_shape)), axis=tuple(block_axes))


def _gather_bins(x, axis, length, output_length, mode):
    """`x` pooled to `output_length` along `axis` by one gather and one reduction."""
    trailing = len(_B.shape(x)) - axis - 1
    index, weights = _bin_tables(length, output_length, trailing)
    bins = _B.take(x, index, axis=axis)  # `axis` becomes (output_length, K)
    if mode == "max":
        return _B.max(bins, axis=axis + 1)
    if weights is None:
        return _B.mean(bins, axis=axis + 1)
    # multiply + sum, not einsum: torch's einsum copies `bins` into a matmul
    # layout first, several times slower on CPU (56 -> 9 on a 16x64x56x56 input).
    weights = _B.convert_to_tensor(weights, dtype=_B.dtype(bins))
    return _B.sum(_B.multiply(bins, weights), axis=axis + 1)


def _adaptive_pool(x, output_size, data_format, mode, op_name):
    shape = tuple(_B.shape(x))
    output_size, _, axes = _check_inputs(op_name, shape, output_size, data_format)
    lengths = [shape[axis] for axis in axes]
    if any(length is None for length in lengths):
        raise ValueError(
            f"{op_name} needs the spatial sizes of its input to be known when it runs. "
            f"Received: inputs.shape={shape}; spatial axes {axes}")
    reduce = _B.max if mode == "max" else _B.mean
    blocks = [(axis, out) for axis, length, out in zip(axes, lengths, output_size)
              if length != out and length % out == 0]
    if blocks:
        reduced = _reduce_blocks(x, shape, blocks, reduce)
        if reduced is not None:
            x = reduced
        else:  # unknown sizes besides the batch: every axis goes through the gather
            blocks = []
    done = {axis for axis, _ in blocks}
    gathered = [(axis, length, out) for axis, length, out in zip(axes, lengths, output_size)
                if length != out and axis not in done]
    # The axis that shrinks the tensor most goes first: later gathers copy less.
    for axis, length, out in sorted(gathered, key=lambda item: item[2] / item[1]):
        x = _gather_bins(x, axis, length, out, mode)
    return x


def _output_spec(op_name, average):
    """The symbolic shape rule (``OpCall``'s ``output_spec``): batch and
    channels kept, unknown or not; the spatial sizes are `output_size`."""
    def output_spec(inputs, output_size, data_format=None):
        shape = tuple(inputs.shape)
        output_size, _, axes = _check_inputs(op_name, shape, output_size, data_format)
        out_shape = list(shape)
        for axis, out in zip(axes, output_size):
            out_shape[axis] = out
        dtype = inputs.dtype
        if average and not _is_float_dtype(dtype):
            dtype = _floatx()
        return _KerasTensor(tuple(out_shape), dtype=dtype)
    return output_spec


@symbolic_or
def adaptive_average_pool(inputs, output_size, data_format=None):
    """Average pooling to a fixed spatial size (PyTorch's ``adaptive_avg_pool*d``).

    Along a spatial axis of length L pooled to `out`, output i is the mean of
    the inputs at ``[floor(i * L / out), ceil((i + 1) * L / out))``: when L is
    a multiple of `out`, plain average pooling with window and stride
    ``L // out``; otherwise bins overlap (or repeat inputs when `out` > L).

    Args:
        inputs: a 3-D, 4-D or 5-D tensor (1, 2 or 3 spatial axes):
            ``(batch, *spatial, channels)`` for "channels_last",
            ``(batch, channels, *spatial)`` for "channels_first".
        output_size: an int (every spatial axis) or a tuple of one int per
            spatial axis, each > 0.
        data_format: "channels_last" or "channels_first"; None (default)
            means ``kfacade.config.image_data_format()``.

    Returns:
        A tensor of `inputs`' rank with the spatial sizes `output_size`;
        floatx for integer inputs.

    Raises:
        ValueError: `inputs` is not 3-D to 5-D, `output_size` is not a
            positive int or a tuple of one per spatial axis, or `data_format`
            is neither name.

    Example:
        >>> x = np.random.rand(2, 10, 7, 3)
        >>> ops.adaptive_average_pool(x, output_size=(4, 3)).shape
        (2, 4, 3, 3)
    """
    return _adaptive_pool(_floating(inputs), output_size, data_format, "average",
                          "adaptive_average_pool")


@symbolic_or
def adaptive_max_pool(inputs, output_size, data_format=None):
    """Max pooling to a fixed spatial size (PyTorch's ``adaptive_max_pool*d``).

    Along a spatial axis of length L pooled to `out`, output i is the maximum
    of the inputs at ``[floor(i * L / out), ceil((i + 1) * L / out))``.

    Args:
        inputs: a 3-D, 4-D or 5-D tensor (1, 2 or 3 spatial axes):
            ``(batch, *spatial, channels)`` for "channels_last",
            ``(batch, channels, *spatial)`` for "channels_first".
        output_size: an int (every spatial axis) or a tuple of one int per
            spatial axis, each > 0.
        data_format: "channels_last" or "channels_first"; None (default)
            means ``kfacade.config.image_data_format()``.

    Returns:
        A tensor of `inputs`' rank and dtype with the spatial sizes `output_size`.

    Raises:
        ValueError: as ``adaptive_average_pool``.

    Example:
        >>> x = np.random.rand(2, 9, 3)
        >>> ops.adaptive_max_pool(x, output_size=4).shape
        (2, 4, 3)
    """
    return _adaptive_pool(_tensor(inputs), output_size, data_format, "max", "adaptive_max_pool")


adaptive_average_pool.output_spec = _output_spec("adaptive_average_pool", average=True)
adaptive_max_pool.output_spec = _output_spec("adaptive_max_pool", average=False)
