"""StringLookup and IntegerLookup: vocabularies of strings or integers, on the host."""
import numpy as np

from kfacade.layers.preprocessing.host_layer import is_string_array, to_str_array
from kfacade.layers.preprocessing.index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary (or back, with `invert`).

    Args:
        max_tokens: the largest vocabulary (special indices included) that
            ``adapt`` builds; None for no limit.
        num_oov_indices: indices for out-of-vocabulary strings (default 1);
            with several, a string's FarmHash fingerprint picks one (keyed
            SipHash with `salt`), as Keras; with 0, an OOV input raises.
        mask_token: a string mapped to index 0 in "int" output (and dropped
            from the other encodings); None (default) for no mask.
        oov_token: the string `invert` returns for OOV indices ("[UNK]").
        vocabulary: a list or array of strings, or a text file with one per
            line; or learn it with ``adapt(data)``.
        idf_weights: with "tf_idf", the inverse document frequency of each
            vocabulary entry.
        invert: map indices back to strings.
        output_mode: "int" (default), "one_hot", "multi_hot", "count" or
            "tf_idf" (see ``CategoryEncoding``; "tf_idf" multiplies counts by
            `idf_weights`).
        pad_to_max_tokens: encode to `max_tokens` columns whatever the size.
        sparse: accepted for Keras's signature; True raises (dense tensors only).
        encoding: the text encoding of bytes inputs (default "utf-8").
        salt: an int or two ints: the keyed hash of OOV strings.

    Strings exist as tensors only in TensorFlow, so this layer runs on the
    host in Python/NumPy on every backend (see ``host_layer``): it takes
    NumPy arrays or lists of str/bytes (or a TensorFlow string tensor) and
    returns an int64 tensor of the active backend (int32 on JAX without
    x64); one_hot/multi_hot/count are int64 too, tf_idf float32, as Keras.
    ``invert=True`` returns a NumPy array of ``str`` on every backend. It
    cannot run inside a compiled step. An adapted vocabulary is saved in
    ``get_config()["vocabulary"]`` (kfacade has no asset files).

    Example:
        >>> layer = StringLookup(vocabulary=["a", "b", "c", "d"])
        >>> layer([["a", "c", "d"], ["d", "z", "b"]])  # [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        self.encoding = encoding
        kwargs.pop("vocabulary_dtype", None)
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         pad_to_max_tokens=pad_to_max_tokens, sparse=sparse, name=name, salt=salt,
                         vocabulary_dtype="string", **kwargs)

    def _key(self, token):
        if isinstance(token, bytes):
            return token.decode(self.encoding)
        return str(token)

    def _to_keys(self, array):
        if not is_string_array(array):
            raise ValueError(
                f"StringLookup layer {self.name!r} expects string inputs. Received: an array of "
                f"dtype {array.dtype}"
            )
        return to_str_array(array, self.encoding)

    def _tokens_array(self, tokens, shape):
        return np.array(tokens, dtype=str).reshape(shape) if tokens else np.zeros(shape, str)

    def get_config(self):
        config = {**super().get_config(), "encoding": self.encoding}
        del config["vocabulary_dtype"]  # strings have one dtype (as Keras)
        return config


class IntegerLookup(IndexLookup):
    """Maps integers to contiguous indices through a vocabulary (or back, with `invert`).

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert,
        output_mode, pad_to_max_tokens, sparse, salt: as ``StringLookup``.
        mask_token: an integer mapped to index 0 in "int" output; None (default).
        oov_token: the integer `invert` returns for OOV indices (default -1).
        vocabulary_dtype: "int64" (the only one, as Keras).
        oov_method: how several OOV indices are chosen: "floormod" (default;
            ``value % num_oov_indices``) or "farmhash" (the hash of the
            value's decimal text, keyed with `salt`).

    Runs on the host in NumPy (see ``host_layer``); returns an int64 tensor
    of the active backend (int32 on JAX without x64).

    Example:
        >>> IntegerLookup(vocabulary=[12, 36, 1138, 42])([[12, 1138, 42], [42, 1000, 36]])
        # [[1, 3, 4], [4, 0, 2]]
    """

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False, oov_method="floormod",
                 salt=None, name=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                "If `max_tokens` is set for `IntegerLookup`, it must be greater than 1. "
                f"Received: max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "The value of `num_oov_indices` argument for `IntegerLookup` must >= 0. "
                f"Received: num_oov_indices={num_oov_indices}"
            )
        if vocabulary_dtype != "int64":
            raise ValueError(
                "Only `vocabulary_dtype='int64'` is supported at this time. Received: "
                f"vocabulary_dtype={vocabulary_dtype}"
            )
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         vocabulary_dtype=vocabulary_dtype, idf_weights=idf_weights,
                         invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, oov_method=oov_method, salt=salt,
                         name=name, **kwargs)

    def _key(self, token):
        return int(token)

    def _to_keys(self, array):
        if is_string_array(array) or array.dtype.kind not in ("i", "u", "b", "f"):
            raise ValueError(
                f"IntegerLookup layer {self.name!r} expects integer inputs. Received: an array "
                f"of dtype {array.dtype}"
            )
        return array.astype("int64")

    def _oov_indices(self, keys):
        if self.oov_method == "floormod":
            return np.mod(keys, self.num_oov_indices) + self._oov_start_index()
        return super()._oov_indices(keys)

    def _tokens_array(self, tokens, shape):
        return np.array(tokens, dtype="int64").reshape(shape)

    def get_config(self):
        config = super().get_config()
        for key in ("oov_token", "mask_token"):
            if config[key] is not None:
                config[key] = int(config[key])
        if config["vocabulary"] is not None:
            config["vocabulary"] = [int(v) for v in config["vocabulary"]]
        return config
