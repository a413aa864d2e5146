"""IndexLookup: the vocabulary table behind StringLookup, IntegerLookup and
TextVectorization, in Python and NumPy (Keras 3's ``index_lookup.py``).

The vocabulary is laid out as Keras's: in "int" output, index 0 is the
mask token (when there is one), then ``num_oov_indices`` out-of-vocabulary
indices, then the tokens; the other output modes have no mask index. An
adapted vocabulary is ordered by decreasing frequency, ties by decreasing
token, and capped at `max_tokens`.
"""
import collections
import math

import numpy as np

from kfacade.backend.config import floatx
from kfacade.layers.preprocessing.encoding import encode_categorical_numpy
from kfacade.layers.preprocessing.hashing import hash_array
from kfacade.layers.preprocessing.host_layer import HostPreprocessingLayer, to_host_array
from kfacade.layers.preprocessing.normalization import iterate_batches

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


def listify(value):
    """Arrays and tuples as lists, for configs."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    return value


def adapt_batches(layer, data, steps=None):
    """The batches a lookup layer's ``adapt`` reads: an array, list or tensor is
    one batch in which each element of a 1-D array is its own document;
    anything else iterates batches (``iterate_batches``)."""
    if isinstance(data, (list, tuple, np.ndarray)) or hasattr(data, "shape"):
        array = to_host_array(layer, data)
        return [array[:, None] if array.ndim == 1 else array]
    return iterate_batches(data, steps)


class IndexLookup(HostPreprocessingLayer):
    """Maps tokens to indices (or back, with `invert`) through a vocabulary.

    Subclasses convert inputs (``_to_keys``) and say how tokens print; the
    arguments are StringLookup's and IntegerLookup's (see those).
    """

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary_dtype,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", name=None, salt=None, **kwargs):
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(
                f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}"
            )
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(
                f"If pad_to_max_tokens is True, must set `max_tokens`. Received: "
                f"max_tokens={max_tokens}"
            )
        if num_oov_indices < 0:
            raise ValueError(
                "`num_oov_indices` must be greater than or equal to 0. Received: "
                f"num_oov_indices={num_oov_indices}"
            )
        if oov_method not in ("floormod", "farmhash"):
            raise ValueError(
                f"The `oov_method` argument of {type(self).__name__} must be one of "
                f"'floormod', 'farmhash'. Received: oov_method={oov_method}"
            )
        if salt is not None:
            if vocabulary_dtype != "string" and oov_method != "farmhash":
                raise ValueError(
                    "`salt` can only be used when `oov_method='farmhash'`. "
                    f"Received: oov_method={oov_method}"
                )
            if isinstance(salt, (tuple, list)) and len(salt) == 2:
                salt = list(salt)
            elif isinstance(salt, int):
                salt = [salt, salt]
            else:
                raise ValueError(
                    "The `salt` argument for `IndexLookup` can only be a tuple of 2 integers, "
                    f"or a single integer. Received: salt={salt}."
                )
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(
                f"The `output_mode` argument of {type(self).__name__} must be one of "
                f"{list(OUTPUT_MODES)}. Received: output_mode={output_mode}"
            )
        if invert and output_mode != "int":
            raise ValueError(
                f"`output_mode` must be `'int'` when `invert` is true. Received: "
                f"output_mode={output_mode}"
            )
        if sparse and output_mode == "int":
            raise ValueError(
                "`sparse` may only be true if `output_mode` is `'one_hot'`, `'multi_hot'`, "
                f"`'count'` or `'tf_idf'`. Received: sparse={sparse} and output_mode={output_mode}"
            )
        if sparse:
            raise ValueError(
                f"{type(self).__name__}: `sparse=True` is not supported by kfacade (dense "
                "tensors on every backend). Received: sparse=True"
            )
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(
                "`idf_weights` should only be set if `output_mode` is `'tf_idf'`. Received: "
                f"idf_weights={idf_weights} and output_mode={output_mode}"
            )
        frozen_vocab_size = kwargs.pop("vocabulary_size", None)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        kwargs.pop("dtype", None)
        trainable = kwargs.pop("trainable", True)
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = sparse
        self.pad_to_max_tokens = pad_to_max_tokens
        self.vocabulary_dtype = vocabulary_dtype
        self.oov_method = oov_method
        self.salt = salt
        self._frozen_vocab_size = frozen_vocab_size
        self.input_vocabulary = vocabulary
        self.input_idf_weights = idf_weights
        self._has_input_vocabulary = has_input_vocabulary
        self._tokens = []          # the vocabulary without its special tokens
        self._token_index = {}     # token -> index
        self.idf_weights = None    # NumPy float32, the vocabulary's length (tf_idf)
        self._adapted_idf = None   # the adapted tokens' idf weights (for the config)
        if output_mode == "tf_idf" and has_input_vocabulary and idf_weights is None:
            raise ValueError(
                "When specifying the `vocabulary` argument, in TF-IDF output mode, the "
                "`idf_weights` argument must also be provided."
            )
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.reset_state()

    # ------------------------------------------------------------ keys
    def _to_keys(self, array):
        """Inputs as a NumPy array of vocabulary keys (str, or int64)."""
        raise NotImplementedError

    def _key(self, token):
        """One token (from a vocabulary or an argument) as a key."""
        raise NotImplementedError

    # ------------------------------------------------------- vocabulary
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The number of indices: special ones (mask, OOV) plus tokens."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index by index (special tokens first unless excluded)."""
        vocab = [self.oov_token] * self._token_start_index() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    def _read_vocabulary_file(self, path):
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        return [self._key(line) for line in lines]

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, in "tf_idf", the inverse document frequencies).

        Args:
            vocabulary: a list or array of tokens, or the path of a text file
                with one token per line. It may start with the special tokens
                in the layer's order (mask, then OOV), or leave them out.
            idf_weights: with "tf_idf", one weight per vocabulary entry.

        Raises:
            ValueError: empty or repeated tokens, a special token elsewhere
                than at the start, more tokens than `max_tokens`, missing or
                misplaced `idf_weights`.
        """
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        elif idf_weights is not None:
            raise ValueError(
                "`idf_weights` should only be set if output_mode is `'tf_idf'`. Received: "
                f"output_mode={self.output_mode} and idf_weights={idf_weights}"
            )
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(
                    "output_mode `'tf_idf'` does not support loading a vocabulary from file."
                )
            vocabulary = self._read_vocabulary_file(vocabulary)
            self.input_vocabulary = list(vocabulary)
        elif not isinstance(vocabulary, (list, tuple)):  # an array or a tensor
            vocabulary = to_host_array(self, vocabulary).reshape(-1).tolist()
        vocabulary = [self._key(token) for token in vocabulary]
        if idf_weights is not None:
            idf_weights = np.asarray(idf_weights, dtype=np.float64)
        if not vocabulary:
            raise ValueError(f"Cannot set an empty vocabulary. Received: vocabulary={vocabulary}")
        oov_start = self._oov_start_index()
        token_start = self._token_start_index()
        mask_key = None if self.mask_token is None else self._key(self.mask_token)
        oov_key = None if self.oov_token is None else self._key(self.oov_token)
        special = [mask_key] * oov_start + [oov_key] * self.num_oov_indices
        found_special_tokens = vocabulary[:token_start] == special
        tokens = vocabulary[token_start:] if found_special_tokens else vocabulary
        repeated = [t for t, c in collections.Counter(tokens).items() if c > 1]
        if repeated:
            raise ValueError(
                "The passed vocabulary has at least one repeated term. Please uniquify your "
                f"dataset. The repeated terms are: {repeated}"
            )
        if mask_key is not None and mask_key in tokens:
            raise ValueError(
                "Found reserved mask token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"mask_token={self.mask_token} at vocabulary index "
                f"{len(vocabulary) - 1 - vocabulary[::-1].index(mask_key)}"
            )
        if oov_key is not None and self.invert and oov_key in tokens:
            raise ValueError(
                "Found reserved OOV token at unexpected location in `vocabulary`. Note that "
                "passed `vocabulary` does not need to include the OOV and mask tokens. Either "
                "remove all mask and OOV tokens, or include them only at the start of the "
                f"vocabulary in precisely this order: {special}. Received: "
                f"oov_token={self.oov_token} at vocabulary index "
                f"{len(vocabulary) - 1 - vocabulary[::-1].index(oov_key)}"
            )
        new_vocab_size = token_start + len(tokens)
        if self.max_tokens is not None and new_vocab_size > self.max_tokens:
            raise ValueError(
                "Attempted to set a vocabulary larger than the maximum vocab size. Received "
                f"vocabulary size is {new_vocab_size}; `max_tokens` is {self.max_tokens}."
            )
        self._set_tokens(tokens)
        self._record_vocabulary_size()
        if self.output_mode == "tf_idf":
            if len(vocabulary) != len(idf_weights):
                raise ValueError(
                    "`idf_weights` must be the same length as vocabulary. len(idf_weights) is "
                    f"{len(idf_weights)}; len(vocabulary) is {len(vocabulary)}"
                )
            if idf_weights.ndim != 1:
                raise ValueError(
                    f"TF-IDF data must be a 1-index array. Received: idf_weights.ndim="
                    f"{idf_weights.ndim}"
                )
            # Without special tokens, their weights are the average of the given ones.
            front = 0 if found_special_tokens else token_start
            front_value = 0.0 if found_special_tokens else float(np.average(idf_weights))
            back = (self.max_tokens - front - len(idf_weights)
                    if self.pad_to_max_tokens and self.max_tokens is not None else 0)
            self.idf_weights = np.pad(idf_weights, (front, back), "constant",
                                      constant_values=(front_value, 0.0)).astype(floatx())

    def _set_tokens(self, tokens):
        start = self._token_start_index()
        self._tokens = list(tokens)
        self._token_index = {token: start + i for i, token in enumerate(self._tokens)}

    def _record_vocabulary_size(self):
        new_size = self.vocabulary_size()
        if (self.output_mode != "int" and not self.pad_to_max_tokens
                and self._frozen_vocab_size is not None and self._frozen_vocab_size != new_size):
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                f"the vocabulary size cannot be changed after the layer is called. Old vocab "
                f"size is {self._frozen_vocab_size}, new vocab size is {new_size}"
            )
        self._frozen_vocab_size = new_size

    # ------------------------------------------------------------ adapt
    def adapt(self, data, steps=None):
        """Learns the vocabulary (and document frequencies) from `data`.

        Args:
            data: an array, list or tensor of tokens (each element of a 1-D
                array is its own document), or an iterable of batches.
            steps: the number of batches of an iterable to use.
        """
        self.reset_state()
        for batch in adapt_batches(self, data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        """Adds the token counts of one batch (rows are documents)."""
        array = self._to_keys(to_host_array(self, data))
        if array.ndim == 0:
            array = array[None]
        if array.ndim == 1:
            array = array[None]  # a 1-D batch is one document
        self._update_rows([row.reshape(-1).tolist() for row in array])

    def _update_rows(self, rows):
        """Adds the counts of `rows`, lists of keys, one per document."""
        if self._has_input_vocabulary:
            raise ValueError(
                f"Cannot adapt layer '{self.name}' after setting a static vocabulary via "
                "`vocabulary` argument or `set_vocabulary()` method."
            )
        for row in rows:
            self._token_counts.update(row)
        if self.output_mode == "tf_idf":
            for row in rows:
                self._document_counts.update(set(row))
            self._num_documents += len(rows)

    def finalize_state(self):
        """Builds the vocabulary from the counts (unless it was set)."""
        if self._has_input_vocabulary or not self._token_counts:
            self._record_vocabulary_size()
            return
        counts = self._token_counts
        for special in (self.mask_token, self.oov_token):
            if special is not None:
                counts.pop(self._key(special), None)
        tokens = sorted(counts, key=lambda token: (counts[token], token), reverse=True)
        if self.max_tokens:
            tokens = tokens[:self.max_tokens - self._token_start_index()]
        self._set_tokens(tokens)
        if self.output_mode == "tf_idf":
            idf = np.array([math.log(1 + self._num_documents / (1 + self._document_counts[t]))
                            for t in tokens], dtype=floatx())
            self._adapted_idf = idf
            back = (self.max_tokens - self._token_start_index() - len(idf)
                    if self.pad_to_max_tokens and self.max_tokens is not None else 0)
            self.idf_weights = np.pad(idf, (self._token_start_index(), back), "constant",
                                      constant_values=(np.mean(idf) if idf.size else 0.0, 0.0)
                                      ).astype(floatx())
        self.reset_state()
        self._record_vocabulary_size()

    def reset_state(self):
        self._token_counts = collections.Counter()
        self._document_counts = collections.Counter()
        self._num_documents = 0

    # ------------------------------------------------------------- call
    def _lookup(self, keys):
        """int64 indices of `keys` (a NumPy array of keys); OOV keys get the OOV
        indices (hashed among several), mask tokens are left to the caller."""
        uniques, inverse = np.unique(keys.reshape(-1), return_inverse=True)
        default = -1 if self.num_oov_indices != 1 else self._oov_start_index()
        found = np.array([self._token_index.get(key, default) for key in uniques.tolist()],
                         dtype="int64")
        indices = found[inverse].reshape(keys.shape) if uniques.size else \
            np.zeros(keys.shape, "int64")
        if self.num_oov_indices == 0:
            oov = indices == -1
            if self.mask_token is not None:
                oov &= keys != self._key(self.mask_token)
            if np.any(oov):
                raise ValueError(
                    "When `num_oov_indices=0` all inputs should be in vocabulary, found OOV "
                    f"values {keys[oov].tolist()}, consider setting `num_oov_indices=1`."
                )
        elif self.num_oov_indices > 1:
            oov = indices == -1
            if np.any(oov):
                indices[oov] = self._oov_indices(keys[oov])
        return indices

    def _oov_indices(self, keys):
        """The OOV index of each of `keys` (a 1-D array): a hash bucket among them."""
        return hash_array(keys, self.num_oov_indices, self.salt) + self._oov_start_index()

    def _invert(self, indices):
        indices = np.asarray(indices).astype("int64")
        start = self._token_start_index()
        table = {start + i: token for i, token in enumerate(self._tokens)}
        if self.mask_token is not None:
            table[0] = self.mask_token
        flat = [table.get(int(i), self.oov_token) for i in indices.reshape(-1)]
        return self._tokens_array(flat, indices.shape)

    def _tokens_array(self, tokens, shape):
        return np.array(tokens).reshape(shape)

    def _ensure_known_vocab_size(self):
        """Raises unless the encoded width is known (a vocabulary, or `max_tokens` padding)."""
        if self.output_mode != "int" and not self.pad_to_max_tokens and \
                self._frozen_vocab_size is None:
            raise RuntimeError(
                f"When using `output_mode={self.output_mode}` and `pad_to_max_tokens=False`, "
                "you must set the layer's vocabulary before calling it. Either pass a "
                "`vocabulary` argument to the layer, or call `adapt` with some sample data."
            )

    def _host_call(self, inputs):
        self._ensure_known_vocab_size()
        if self.invert:
            return self._invert(inputs)
        return self._encode_rows(self._to_keys(inputs))

    def _mask_of(self, keys):
        if self.mask_token is None:
            return None
        return keys == self._key(self.mask_token)

    def _encode_rows(self, keys):
        """Looks up `keys` (a NumPy array) and encodes them in the output mode."""
        indices = self._lookup(keys)
        mask = self._mask_of(keys)
        if self.output_mode == "int":
            return indices if mask is None else np.where(mask, 0, indices)
        if mask is not None:
            indices = np.where(mask, -1, indices)  # dropped from every encoding
        return self._encode_indices(indices)

    def _encode_indices(self, indices):
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "tf_idf":
            counts = encode_categorical_numpy(indices, "count", depth, "int64")
            return (counts.astype(floatx()) * self.idf_weights).astype(floatx())
        return encode_categorical_numpy(indices, self.output_mode, depth, "int64")

    @property
    def output_dtype(self):
        if self.invert:
            return self.vocabulary_dtype
        return floatx() if self.output_mode == "tf_idf" else "int64"

    def compute_output_shape(self, input_shape):
        if self.output_mode == "int":
            return tuple(input_shape)
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        input_shape = tuple(input_shape)
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    # ----------------------------------------------------------- config
    def _config_vocabulary(self):
        """The vocabulary for the config: as given, else the adapted tokens
        (kfacade has no asset files, so an adapted vocabulary lives in the config)."""
        if self.input_vocabulary is not None:
            return listify(self.input_vocabulary)
        return list(self._tokens) if self._tokens else None

    def _config_idf_weights(self):
        if self.input_idf_weights is not None:
            return listify(self.input_idf_weights)
        return self._adapted_idf.tolist() if self._adapted_idf is not None else None

    def get_config(self):
        return {
            **super().get_config(),
            "invert": self.invert,
            "max_tokens": self.max_tokens,
            "num_oov_indices": self.num_oov_indices,
            "oov_token": self.oov_token,
            "mask_token": self.mask_token,
            "output_mode": self.output_mode,
            "sparse": self.sparse,
            "pad_to_max_tokens": self.pad_to_max_tokens,
            "vocabulary_dtype": self.vocabulary_dtype,
            "idf_weights": self._config_idf_weights(),
            "vocabulary": self._config_vocabulary(),
            "vocabulary_size": self._frozen_vocab_size,
            "oov_method": self.oov_method,
            "salt": self.salt,
        }
