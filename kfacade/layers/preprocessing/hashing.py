"""Hashing: values (strings or integers) into a fixed number of bins, as Keras 3."""
import numpy as np

from kfacade.backend.config import floatx
from kfacade.layers.preprocessing.encoding import encode_categorical_numpy, encoded_shape
from kfacade.layers.preprocessing.host_layer import (
    HostPreprocessingLayer, is_string_array, to_str_array,
)
from kfacade.layers.preprocessing.string_hash import hash_bucket


def hash_key(value):
    """The bytes Keras hashes for `value`: UTF-8 text, the decimal text of an integer."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bool, np.bool_)):
        return b"true" if value else b"false"
    if isinstance(value, (int, np.integer)):
        return str(int(value)).encode()
    return str(value).encode("utf-8")


def hash_array(values, num_bins, salt=None):
    """The bin of every element of `values` (a str or integer NumPy array), int64."""
    uniques, inverse = np.unique(values.reshape(-1), return_inverse=True)
    bins = np.array([hash_bucket(hash_key(value.item() if isinstance(value, np.generic) else value),
                                 num_bins, salt) for value in uniques], dtype="int64")
    return bins[inverse].reshape(values.shape) if uniques.size else \
        np.zeros(values.shape, "int64")


class Hashing(HostPreprocessingLayer):
    """Hashes each value into one of `num_bins` bins (the "hashing trick").

    Strings are hashed by their UTF-8 bytes with FarmHash ``Fingerprint64``
    (or, with a `salt`, keyed SipHash-2-4), integers by their decimal text,
    floats after truncation to integers: exactly TensorFlow's
    ``tf.strings.to_hash_bucket_fast``/``_strong``, which Keras 3 uses on
    every backend, so the bins are Keras's.

    Args:
        num_bins: the number of bins, including the mask bin if any.
        mask_value: a value that goes to bin 0; the others then use bins
            1 to ``num_bins - 1``.
        salt: an int or a pair of ints: use the keyed (strong) hash.
        output_mode: "int" (default; the bin indices, dtype int64),
            "one_hot", "multi_hot" or "count" (float32, ``num_bins`` wide;
            see ``CategoryEncoding``).
        sparse: accepted for Keras's signature; True raises (dense tensors only).

    Runs on the host in NumPy and returns a backend tensor; it cannot run
    inside a compiled step (see ``host_layer``). Inputs: NumPy arrays of
    str/bytes/ints/floats, Python lists, or tensors.

    Example:
        >>> Hashing(num_bins=3)([["A"], ["B"], ["C"], ["D"], ["E"]])
        # [[1], [0], [1], [1], [2]]
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else floatx()
        super().__init__(**kwargs)
        if num_bins is None or num_bins <= 0:
            raise ValueError(
                "The `num_bins` for `Hashing` cannot be `None` or non-positive values. "
                f"Received: num_bins={num_bins}."
            )
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(
                "When `output_mode=\"int\"`, `dtype` should be an integer type, 'int32' or "
                f"'in64'. Received: dtype={kwargs['dtype']}"
            )
        accepted = ("int", "one_hot", "multi_hot", "count")
        if output_mode not in accepted:
            raise ValueError(
                f"Invalid value for argument `output_mode`. Expected one of {accepted}. "
                f"Received: output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `\"one_hot\"`, `\"multi_hot\"`, "
                f"or `\"count\"`. Received: sparse={sparse} and output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                "Hashing: `sparse=True` is not supported by kfacade (dense tensors on every "
                "backend). Received: sparse=True"
            )
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.strong_hash = salt is not None
        self.output_mode = output_mode
        self.sparse = sparse
        self.salt = None
        if salt is not None:
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                self.salt = list(salt)
            elif isinstance(salt, int):
                self.salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `Hashing` can only be a tuple of size 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )

    def _host_call(self, inputs):
        if self.output_mode == "one_hot" and inputs.ndim > 0 and inputs.shape[-1] == 1:
            inputs = inputs[..., 0]
        if is_string_array(inputs):
            values = to_str_array(inputs)
            mask_value = self.mask_value.decode() if isinstance(self.mask_value, bytes) \
                else self.mask_value
        else:
            values, mask_value = inputs, self.mask_value
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            mask = values == mask_value  # before floats are truncated, as Keras
        if values.dtype.kind == "f":
            values = values.astype("int64")
        indices = hash_array(values, bins, self.salt)
        if mask is not None:
            indices = np.where(mask, 0, indices + 1)
        return encode_categorical_numpy(indices, self.output_mode, self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_bins)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
