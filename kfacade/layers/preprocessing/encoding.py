"""Categorical encodings shared by CategoryEncoding, Discretization and the
lookup layers: Keras 3's ``numerical_utils.encode_categorical_inputs``.

Two forms of one definition: ``encode_categorical`` with ``kfacade.ops``
(compiles, for layers that run in the graph) and ``encode_categorical_numpy``
(for the lookup layers, which run on the host). With integer `indices` of
rank r:

- "int": the indices cast to `dtype`;
- "one_hot": one row of `depth` per index (a trailing axis of size 1 is
  replaced, else a new axis is appended);
- "multi_hot": 1 where an index occurs in the sample, reducing axis 1 of a
  batch (axis 0 of a single sample);
- "count": the number of occurrences (weighted by `count_weights`), reduced
  the same way.

Indices outside ``[0, depth)`` encode as zeros (the lookup layers use this
for their mask token).
"""
import numpy as np

from kfacade import ops

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def check_output_mode(output_mode, allowed, layer_name):
    """Raises Keras's ValueError unless `output_mode` is one of `allowed`."""
    if output_mode not in allowed:
        raise ValueError(
            f"Invalid value for argument `output_mode` of {layer_name}. Expected one of "
            f"{list(allowed)}. Received: output_mode={output_mode}"
        )


def encode_categorical(indices, output_mode, depth, dtype, count_weights=None):
    """The encoding of integer tensor `indices` (see the module doc), with ``kfacade.ops``."""
    if output_mode == "int":
        return ops.cast(indices, dtype)
    shape = ops.shape(indices)
    if len(shape) == 0:
        indices = ops.expand_dims(indices, -1)
        shape = (1,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            indices = ops.squeeze(indices, -1)
        return ops.one_hot(indices, depth, dtype=dtype)
    reduction_axis = 1 if len(shape) > 1 else 0
    if output_mode == "multi_hot":
        return ops.max(ops.one_hot(indices, depth, dtype=dtype), axis=reduction_axis)
    if count_weights is not None:
        weights = ops.convert_to_tensor(count_weights)
        encoded = ops.multiply(ops.one_hot(indices, depth, dtype=ops.dtype(weights)),
                               ops.expand_dims(weights, -1))
        return ops.sum(encoded, axis=reduction_axis)
    return ops.sum(ops.one_hot(indices, depth, dtype=dtype), axis=reduction_axis)


def encode_categorical_numpy(indices, output_mode, depth, dtype, count_weights=None):
    """``encode_categorical`` on NumPy arrays, returning a NumPy array."""
    indices = np.asarray(indices)
    if output_mode == "int":
        return indices.astype(dtype)
    if indices.ndim == 0:
        indices = indices[None]
    if output_mode == "one_hot" and indices.ndim > 1 and indices.shape[-1] == 1:
        indices = indices[..., 0]
    one_hot = (indices[..., None] == np.arange(depth)).astype(
        dtype if count_weights is None else np.asarray(count_weights).dtype)
    if output_mode == "one_hot":
        return one_hot
    reduction_axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return one_hot.max(axis=reduction_axis)
    if count_weights is not None:
        one_hot = one_hot * np.asarray(count_weights)[..., None]
    return one_hot.sum(axis=reduction_axis)


def encoded_shape(input_shape, output_mode, depth):
    """The output shape of ``encode_categorical`` for `input_shape`."""
    input_shape = tuple(input_shape)
    if output_mode == "int":
        return input_shape
    if len(input_shape) == 0:
        return (depth,) if output_mode != "one_hot" else (1, depth)
    if output_mode == "one_hot":
        if len(input_shape) > 1 and input_shape[-1] == 1:
            return input_shape[:-1] + (depth,)
        return input_shape + (depth,)
    if len(input_shape) > 1:
        return (input_shape[0],) + input_shape[2:] + (depth,)
    return (depth,)
