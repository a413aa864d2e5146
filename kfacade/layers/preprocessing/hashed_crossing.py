"""HashedCrossing: a hash of several categorical features together, as Keras 3."""
import numpy as np

from kfacade import ops
from kfacade.backend.config import floatx
from kfacade.backend.state import in_compiled_step_trace
from kfacade.engine.operation import has_symbolic
from kfacade.layers.preprocessing.encoding import encode_categorical_numpy
from kfacade.layers.preprocessing.host_layer import (
    HostPreprocessingLayer, is_string_array, to_host_array, to_str_array,
)
from kfacade.layers.preprocessing.string_hash import fingerprint64

#: The key TensorFlow's ``tf.sparse.cross_hashed`` starts every cross from.
CROSS_HASH_KEY = 0xDECAFCAFFE
_CAT_MUL = np.uint64(0xC6A4A7935BD1E995)
_SHIFT = np.uint64(47)


def _shift_mix(values):
    return values ^ (values >> _SHIFT)


def fingerprint_cat64(first, second):
    """FarmHash's ``FingerprintCat64`` of two uint64 arrays, elementwise:
    how TensorFlow folds one more feature's hash into a cross."""
    with np.errstate(over="ignore"):
        result = first ^ _CAT_MUL
        result = result ^ (_shift_mix(second * _CAT_MUL) * _CAT_MUL)
        result = result * _CAT_MUL
        result = _shift_mix(result) * _CAT_MUL
        return _shift_mix(result)


def feature_hashes(values):
    """The uint64 hash TensorFlow crosses for each element of `values`:
    FarmHash ``Fingerprint64`` of a string's UTF-8 bytes, an integer's own
    64 bits (two's complement for negative ones)."""
    if is_string_array(values):
        uniques, inverse = np.unique(to_str_array(values).reshape(-1), return_inverse=True)
        hashes = np.array([fingerprint64(str(value).encode("utf-8")) for value in uniques],
                          dtype="uint64")
        return hashes[inverse].reshape(values.shape)
    return values.astype("int64").view("uint64")


def cross_hash(arrays, num_bins):
    """The bin of each element of the cross of `arrays` (equal shapes), int64:
    ``tf.sparse.cross_hashed``'s value for one feature per column."""
    hashed = np.full(arrays[0].shape, CROSS_HASH_KEY, dtype="uint64")
    for values in arrays:
        hashed = fingerprint_cat64(hashed, feature_hashes(values))
    return (hashed % np.uint64(num_bins)).astype("int64")


class HashedCrossing(HostPreprocessingLayer):
    """Crosses categorical features with the "hashing trick":
    ``hash(concatenate(features)) % num_bins``.

    The hash is TensorFlow's ``tf.sparse.cross_hashed`` (FarmHash
    ``Fingerprint64`` of each string, an integer's own bits, folded with
    ``FingerprintCat64`` from a fixed key), which Keras 3 uses on every
    backend, so the bins equal Keras's. Crosses scalar features only: each
    input has shape ``()``, ``(batch,)`` or ``(batch, 1)``, all the same.

    Args:
        num_bins: the number of hash bins.
        output_mode: "int" (default; the bin indices, int64) or "one_hot"
            (``num_bins`` wide, float).
        sparse: accepted for Keras's signature; True raises (kfacade has
            dense tensors only; Keras allows it on TensorFlow only).
        name, dtype: as for every layer (dtype defaults to int64 for "int").

    Called on a list or tuple of at least two inputs (NumPy arrays of
    str/bytes/ints, lists or tensors). Runs on the host in NumPy and cannot
    run inside a compiled step (see ``host_layer``), as in Keras 3.

    Example:
        >>> HashedCrossing(num_bins=5)((np.array(["A", "B", "A", "B", "A"]),
        ...                             np.array([101, 101, 101, 102, 102])))
        # [1, 4, 1, 1, 3]
    """

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if dtype is None:
            dtype = "int64" if output_mode == "int" else floatx()
        super().__init__(name=name, dtype=dtype, **kwargs)
        if sparse:
            raise ValueError("`sparse=True` can only be used with the TensorFlow backend.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(
                "Unknown value for `output_mode` argument of HashedCrossing. Allowed values "
                f"are: ('int', 'one_hot'). Received: output_mode={output_mode}"
            )
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = sparse

    def __call__(self, inputs, *args, **kwargs):
        _check_at_least_two_inputs(inputs)
        if has_symbolic((inputs,), kwargs) or in_compiled_step_trace():
            return super().__call__(inputs, *args, **kwargs)
        arrays = [to_host_array(self, x) for x in inputs]
        return ops.convert_to_tensor(self._host_call(arrays))

    def _host_call(self, arrays):
        _check_input_shape_and_type(arrays)
        bins = cross_hash(arrays, self.num_bins)
        if self.output_mode == "int":
            return bins.astype(self.dtype)
        return encode_categorical_numpy(bins, "one_hot", self.num_bins, self.compute_dtype)

    @property
    def output_dtype(self):
        return self.dtype if self.output_mode == "int" else self.compute_dtype

    def compute_output_shape(self, input_shape):
        if (not isinstance(input_shape, (list, tuple)) or len(input_shape) < 2
                or not all(isinstance(shape, tuple) for shape in input_shape)):
            raise ValueError(
                "Expected as input a list/tuple of at least 2 tensors. "
                f"Received input_shape={input_shape}"
            )
        first = tuple(input_shape[0])
        if any(tuple(shape)[-1:] != first[-1:] for shape in input_shape[1:]):
            raise ValueError(
                "Expected the two input tensors to have identical shapes. "
                f"Received input_shape={input_shape}"
            )
        if self.output_mode == "int":
            return first
        if not first:
            return (1, self.num_bins)  # as Keras's call returns for scalar features
        if first[-1] != 1:
            return first + (self.num_bins,)
        return first[:-1] + (self.num_bins,)

    def get_config(self):
        # Keras 3's keys exactly (no `trainable`; `dtype` a plain name).
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}


def _check_at_least_two_inputs(inputs):
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(
            "`HashedCrossing` should be called on a list or tuple of inputs. "
            f"Received: inputs={inputs}"
        )
    if len(inputs) < 2:
        raise ValueError(
            "`HashedCrossing` should be called on at least two inputs. "
            f"Received: inputs={inputs}"
        )


def _check_input_shape_and_type(arrays):
    first_shape = arrays[0].shape
    if len(first_shape) > 2 or (len(first_shape) == 2 and first_shape[-1] != 1):
        raise ValueError(
            "All `HashedCrossing` inputs should have shape `()`, `(batch_size)` or "
            f"`(batch_size, 1)`. Received: input shapes={[a.shape for a in arrays]}"
        )
    if not all(array.shape == first_shape for array in arrays[1:]):
        raise ValueError(
            "All `HashedCrossing` inputs should have equal shape. "
            f"Received: input shapes={[a.shape for a in arrays]}"
        )
    if not all(is_string_array(array) or array.dtype.kind in ("i", "u") for array in arrays):
        raise ValueError(
            "All `HashedCrossing` inputs should have an integer or string dtype. "
            f"Received: input dtypes={[str(a.dtype) for a in arrays]}"
        )
