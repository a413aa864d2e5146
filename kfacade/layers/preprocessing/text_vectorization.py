"""TextVectorization: strings to token indices or bag-of-words vectors, on the host."""
import re

import numpy as np

from kfacade.layers.preprocessing.host_layer import (
    HostPreprocessingLayer, is_string_array, to_host_array, to_str_array,
)
from kfacade.layers.preprocessing.index_lookup import adapt_batches, listify
from kfacade.layers.preprocessing.string_lookup import StringLookup

#: Keras's punctuation (``tf.strings.regex_replace`` with this class, ASCII only).
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
#: TensorFlow's whitespace split: ASCII whitespace only (not U+00A0 or U+2003).
WHITESPACE = re.compile(r"[ \t\n\v\f\r]+")
#: ``tf.strings.lower`` without an encoding lowers ASCII letters only.
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")


def _check_option(value, allowed, name):
    if value is None or callable(value) or value in allowed:
        return
    raise ValueError(
        f"The `{name}` argument of TextVectorization must be one of {list(allowed)}, None or a "
        f"callable. Received: {name}={value}"
    )


def ngrams(tokens, widths):
    """The n-grams of `tokens` for each width in turn, joined by spaces
    (``tf.strings.ngrams(..., separator=" ")``)."""
    out = []
    for width in widths:
        out.extend(" ".join(tokens[i:i + width]) for i in range(len(tokens) - width + 1))
    return out


class TextVectorization(HostPreprocessingLayer):
    """Turns strings into sequences of token indices, or into bag-of-words vectors.

    Each string is standardized, split into tokens, optionally combined
    into n-grams, and looked up in a vocabulary (a ``StringLookup`` with
    mask token "" at index 0 and OOV "[UNK]" at index 1).

    Args:
        max_tokens: the vocabulary's maximum size (special tokens included).
        standardize: "lower_and_strip_punctuation" (default), "lower",
            "strip_punctuation", None, or a callable receiving a NumPy array
            of ``str`` and returning one. As TensorFlow's ops, "lower" lowers
            ASCII letters only and punctuation is Keras's ASCII set.
        split: "whitespace" (default; runs of ASCII whitespace), "character"
            (Unicode code points), None (each string is one token), or a
            callable receiving the 1-D NumPy array of standardized strings
            and returning one sequence of tokens per string.
        ngrams: None, an int n (all 1..n-grams) or a tuple of widths.
        output_mode: "int" (default; token indices), "multi_hot", "count",
            "tf_idf" or "one_hot".
        output_sequence_length: in "int" mode, pad with 0 or cut every
            sequence to this length; otherwise sequences are padded to the
            longest in the batch.
        pad_to_max_tokens: encode to `max_tokens` columns.
        vocabulary, idf_weights: as ``StringLookup``; or ``adapt(data)``.
        sparse, ragged: accepted for Keras's signature; True raises (kfacade
            returns dense tensors on every backend).
        encoding: the text encoding of bytes inputs.

    Input: strings of shape ``(batch,)`` or ``(batch, 1)`` (NumPy arrays,
    lists, or a TensorFlow string tensor). Runs on the host in Python on
    every backend (see ``host_layer``); returns int64 tensors ("tf_idf":
    float32) of the active backend, and cannot run inside a compiled step.
    With a split, "one_hot" gives ``(batch, longest, vocabulary)`` with
    zero rows as padding (Keras returns a ragged tensor there).

    Example:
        >>> layer = TextVectorization(output_sequence_length=4)
        >>> layer.adapt(["the cat sat", "the dog"])
        >>> layer(["the cat ran"])  # [[2, 3, 1, 0]]
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int", output_sequence_length=None,
                 pad_to_max_tokens=False, vocabulary=None, idf_weights=None, sparse=False,
                 ragged=False, encoding="utf-8", name=None, **kwargs):
        if sparse or ragged:
            raise ValueError(
                "TextVectorization: `sparse=True` and `ragged=True` are not supported by kfacade "
                f"(dense tensors on every backend). Received: sparse={sparse}, ragged={ragged}"
            )
        _check_option(standardize, _STANDARDIZE, "standardize")
        _check_option(split, _SPLIT, "split")
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode == "tf-idf":
            output_mode = "tf_idf"
        allowed = ("int", "one_hot", "multi_hot", "count", "tf_idf")
        if output_mode not in allowed:
            raise ValueError(
                f"The `output_mode` argument of TextVectorization must be one of "
                f"{list(allowed)}. Received: output_mode={output_mode}"
            )
        if ngrams is not None and not isinstance(ngrams, int) and not (
                isinstance(ngrams, tuple) and all(isinstance(item, int) for item in ngrams)):
            raise ValueError(
                f"`ngrams` must be None, an integer, or a tuple of integers. Received: "
                f"ngrams={ngrams}"
            )
        if output_mode == "int" and not (output_sequence_length is None
                                         or isinstance(output_sequence_length, int)):
            raise ValueError(
                "`output_sequence_length` must be either None or an integer when `output_mode` "
                f"is 'int'. Received: output_sequence_length={output_sequence_length}"
            )
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(
                "`output_sequence_length` must not be set if `output_mode` is not 'int'. "
                f"Received output_sequence_length={output_sequence_length}."
            )
        self._max_tokens = max_tokens
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._ragged = ragged
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            sparse=sparse, has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size,
        )

    # ------------------------------------------------------- preprocess
    def _standardized(self, strings):
        if callable(self._standardize):
            return to_str_array(np.asarray(self._standardize(strings)), self._encoding)
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            strings = np.vectorize(lambda s: s.translate(ASCII_LOWER), otypes=[str])(strings) \
                if strings.size else strings
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            strings = np.vectorize(lambda s: PUNCTUATION.sub("", s), otypes=[str])(strings) \
                if strings.size else strings
        return strings

    def _split_strings(self, strings):
        """One list of tokens per string of the 1-D array `strings`."""
        if callable(self._split):
            return [[self._lookup_layer._key(token) for token in tokens]
                    for tokens in self._split(strings)]
        if self._split == "whitespace":
            return [[token for token in WHITESPACE.split(s) if token] for s in strings.tolist()]
        return [list(s) for s in strings.tolist()]

    def _preprocess(self, inputs):
        """Token rows (a list of lists, with a split) or a str array (no split)."""
        array = inputs if isinstance(inputs, np.ndarray) else np.asarray(inputs)
        if not is_string_array(array):
            raise ValueError(
                f"TextVectorization layer {self.name!r} expects string inputs. Received: an "
                f"array of dtype {array.dtype}"
            )
        strings = self._standardized(to_str_array(array, self._encoding))
        if self._split is None:
            if self._ngrams is None:
                return strings
            rows = strings if strings.ndim > 1 else strings[:, None]
            return [ngrams(row.tolist(), self._ngrams) for row in rows]
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    "When using `TextVectorization` to tokenize strings, the input rank must be "
                    f"1 or the last shape dimension must be 1. Received: inputs.shape="
                    f"{strings.shape} with rank={strings.ndim}"
                )
            strings = strings[..., 0]
        rows = self._split_strings(strings.reshape(-1))
        if self._ngrams is not None:
            rows = [ngrams(row, self._ngrams) for row in rows]
        return rows

    # ------------------------------------------------------------ adapt
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from strings (an array or list, or batches of them)."""
        self.reset_state()
        for batch in adapt_batches(self, data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        processed = self._preprocess(to_host_array(self, data))
        if isinstance(processed, np.ndarray):
            rows = processed if processed.ndim > 1 else processed[None]
            processed = [row.reshape(-1).tolist() for row in rows]
        self._lookup_layer._update_rows(processed)

    def finalize_state(self):
        self._lookup_layer.finalize_state()

    def reset_state(self):
        self._lookup_layer.reset_state()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary, index by index ("" and "[UNK]" first in "int" mode)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (see ``StringLookup.set_vocabulary``)."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # ------------------------------------------------------------- call
    def _host_call(self, inputs):
        lookup = self._lookup_layer
        processed = self._preprocess(inputs)
        if isinstance(processed, np.ndarray):  # no split, no n-grams: the input's shape
            return self._finish(lookup._host_call(processed))
        longest = max((len(row) for row in processed), default=0)
        length = longest
        if self._output_mode == "int" and self._output_sequence_length is not None:
            length = self._output_sequence_length
        keys = np.full((len(processed), max(longest, 1)), "", dtype=object)
        valid = np.zeros(keys.shape, bool)
        for i, row in enumerate(processed):
            keys[i, :len(row)] = row
            valid[i, :len(row)] = True
        keys = keys.astype(str)
        if self._output_mode == "int":
            indices = np.where(valid, lookup._host_call(keys), 0)[:, :longest]
            out = np.zeros((len(processed), length), "int64")
            out[:, :min(length, longest)] = indices[:, :length]
            return out
        lookup._ensure_known_vocab_size()
        indices = lookup._lookup(keys)
        indices = np.where(valid & (keys != ""), indices, -1)  # padding and "" are dropped
        if self._output_mode == "one_hot":
            indices = indices[:, :longest]
        return lookup._encode_indices(indices)

    def _finish(self, outputs):
        if self._output_mode == "int" and self._output_sequence_length is not None:
            length = self._output_sequence_length
            outputs = outputs[..., :length]
            pad = [(0, 0)] * (outputs.ndim - 1) + [(0, length - outputs.shape[-1])]
            outputs = np.pad(outputs, pad)
        return outputs

    @property
    def output_dtype(self):
        return "float32" if self._output_mode == "tf_idf" else "int64"

    def compute_output_shape(self, input_shape):
        if self._output_mode == "int":
            return (input_shape[0], self._output_sequence_length)
        if self._split is None:
            if len(input_shape) <= 1:
                input_shape = tuple(input_shape) + (1,)
        else:
            input_shape = tuple(input_shape) + (None,)
        return self._lookup_layer.compute_output_shape(input_shape)

    def get_config(self):
        return {
            **super().get_config(),
            "max_tokens": self._lookup_layer.max_tokens,
            "standardize": self._standardize,
            "split": self._split,
            "ngrams": self._ngrams_arg,
            "output_mode": self._output_mode,
            "output_sequence_length": self._output_sequence_length,
            "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens,
            "sparse": self._lookup_layer.sparse,
            "ragged": self._ragged,
            "vocabulary": listify(self._lookup_layer._config_vocabulary()),
            "idf_weights": listify(self._lookup_layer._config_idf_weights()),
            "encoding": self._encoding,
            "vocabulary_size": self.vocabulary_size(),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
