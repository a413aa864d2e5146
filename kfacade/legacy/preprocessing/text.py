"""Text preprocessing of Keras 2: `Tokenizer`, `text_to_word_sequence`,
`one_hot`, `hashing_trick` and `tokenizer_from_json`.

Keras 3 dropped all of them (its `keras.preprocessing` has no `text`;
`layers.TextVectorization` replaces them); users import them from
`kfacade.preprocessing.text`, the Keras 2 path.

The outputs match Keras 2's `keras_preprocessing.text` for the same input:
`word_index` is ordered by descending count, ties by first appearance;
index 0 is never assigned; an `oov_token` always gets index 1.
"""
import hashlib
import json
import warnings
from collections import OrderedDict, defaultdict

import numpy as np

__all__ = [
    "Tokenizer",
    "hashing_trick",
    "one_hot",
    "text_to_word_sequence",
    "tokenizer_from_json",
]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """Converts a text to a sequence of words (tokens).

    Args:
        text: Input text (string).
        filters: Characters to remove (each is replaced by `split`).
            Defaults to all punctuation, plus tabs and line breaks, minus
            the `'` character.
        lower: Whether to lower-case the text first.
        split: Separator for word splitting.

    Returns:
        A list of words (empty strings dropped).

    Example:

    >>> text_to_word_sequence("The cat, the HAT.")
    ['the', 'cat', 'the', 'hat']
    """
    if lower:
        text = text.lower()
    if filters:
        text = text.translate(str.maketrans({char: split for char in filters}))
    return [word for word in text.split(split) if word]


def _md5_hash(word):
    return int(hashlib.md5(word.encode("utf-8")).hexdigest(), 16)


def hashing_trick(
    text,
    n,
    hash_function=None,
    filters=DEFAULT_FILTERS,
    lower=True,
    split=" ",
    analyzer=None,
):
    """Converts a text to a sequence of indices in a fixed-size hashing space.

    Args:
        text: Input text (string).
        n: Dimension of the hashing space; indices fall in `[1, n - 1]`
            (0 is reserved).
        hash_function: `None` (Python's `hash`, which is salted per process
            unless `PYTHONHASHSEED` is set, as in Keras), `"md5"` (stable
            across processes), or any callable from string to int.
        filters: Characters to remove, see `text_to_word_sequence`.
        lower: Whether to lower-case the text.
        split: Separator for word splitting.
        analyzer: Optional callable from text to a list of tokens, used
            instead of `text_to_word_sequence`.

    Returns:
        A list of integer word indices (unicity non-guaranteed).

    Example:

    >>> codes = hashing_trick("the cat the hat", 100, hash_function="md5")
    >>> codes[0] == codes[2] and all(1 <= c < 100 for c in codes)
    True
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"Received: n={n!r}; expected an integer >= 2.")
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        hash_function = _md5_hash
    elif not callable(hash_function):
        raise ValueError(
            f"Received: hash_function={hash_function!r}; expected None, 'md5' "
            "or a callable."
        )
    if analyzer is None:
        words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    else:
        words = analyzer(text)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(text, n, filters=DEFAULT_FILTERS, lower=True, split=" ", analyzer=None):
    """One-hot encodes a text into a list of word indexes of size `n`.

    A wrapper of `hashing_trick`. Unlike Keras 2, which used Python's
    per-process salted `hash` (so indices changed between runs), this uses
    MD5, so a word gets the same index in every process.

    Args:
        text: Input text (string).
        n: Size of the vocabulary; indices fall in `[1, n - 1]`.
        filters: Characters to remove, see `text_to_word_sequence`.
        lower: Whether to lower-case the text.
        split: Separator for word splitting.
        analyzer: Optional callable from text to a list of tokens.

    Returns:
        A list of integers in `[1, n - 1]` (unicity non-guaranteed).

    Example:

    >>> codes = one_hot("dog cat dog", 50)
    >>> codes[0] == codes[2] and all(1 <= c < 50 for c in codes)
    True
    """
    return hashing_trick(
        text,
        n,
        hash_function="md5",
        filters=filters,
        lower=lower,
        split=split,
        analyzer=analyzer,
    )


class Tokenizer:
    """Text tokenization utility class (Keras 2).

    Vectorizes a text corpus into sequences of integer word indices (or
    character indices with `char_level=True`), or into bag-of-words
    matrices. Index 0 is reserved and never assigned to a word.

    Args:
        num_words: Keep only the `num_words - 1` most frequent words in the
            outputs (the vocabulary still records every word). `None` keeps
            them all.
        filters: Characters removed from the texts (replaced by `split`).
        lower: Whether to lower-case the texts.
        split: Separator for word splitting.
        char_level: If True, every character is a token.
        oov_token: If given, it takes index 1 and replaces out-of-vocabulary
            words in `texts_to_sequences`.
        analyzer: Optional callable from text to a list of tokens.
        document_count: Number of documents already seen (used when
            restoring from a config).

    Example:

    >>> tokenizer = Tokenizer()
    >>> tokenizer.fit_on_texts(["the cat sat", "the cat ran", "a dog"])
    >>> tokenizer.word_index
    {'the': 1, 'cat': 2, 'sat': 3, 'ran': 4, 'a': 5, 'dog': 6}
    >>> tokenizer.texts_to_sequences(["the dog sat"])
    [[1, 6, 3]]
    """

    def __init__(
        self,
        num_words=None,
        filters=DEFAULT_FILTERS,
        lower=True,
        split=" ",
        char_level=False,
        oov_token=None,
        analyzer=None,
        **kwargs,
    ):
        if "nb_words" in kwargs:
            warnings.warn(
                "The `nb_words` argument of `Tokenizer` has been renamed "
                "`num_words`.",
                stacklevel=2,
            )
            num_words = kwargs.pop("nb_words")
        document_count = kwargs.pop("document_count", 0)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments for Tokenizer: {sorted(kwargs)}."
            )
        if num_words is not None and (
            not isinstance(num_words, (int, np.integer)) or num_words < 0
        ):
            raise ValueError(
                f"Received: num_words={num_words!r}; expected None or an "
                "integer >= 0."
            )
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.filters = filters
        self.split = split
        self.lower = lower
        self.num_words = num_words
        self.document_count = document_count
        self.char_level = char_level
        self.oov_token = oov_token
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}
        self.analyzer = analyzer

    def _tokens(self, text):
        # A list input is taken as already tokenized, as in Keras.
        if self.char_level or isinstance(text, list):
            if self.lower:
                if isinstance(text, list):
                    return [token.lower() for token in text]
                return text.lower()
            return text
        if self.analyzer is not None:
            return self.analyzer(text)
        return text_to_word_sequence(
            text, filters=self.filters, lower=self.lower, split=self.split
        )

    def fit_on_texts(self, texts):
        """Updates the vocabulary from a list of texts.

        Args:
            texts: Iterable of strings, of lists of tokens (already split),
                or a generator of either.
        """
        if isinstance(texts, str):
            raise ValueError(
                "`texts` must be a list of texts; received a single string. "
                "Wrap it in a list: fit_on_texts([text])."
            )
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1

        # sorted() is stable: equal counts keep first-appearance order.
        by_count = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = [] if self.oov_token is None else [self.oov_token]
        vocabulary.extend(word for word, _ in by_count)
        self.word_index = dict(zip(vocabulary, range(1, len(vocabulary) + 1)))
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in list(self.word_docs.items()):
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Updates the document frequencies from sequences of word indices.

        Needed before `sequences_to_matrix(mode="tfidf")` when the tokenizer
        was not fit on texts.

        Args:
            sequences: List of sequences of integer word indices.
        """
        self.document_count += len(sequences)
        for sequence in sequences:
            for index in set(sequence):
                self.index_docs[index] += 1

    def texts_to_sequences(self, texts):
        """Transforms each text into a sequence of integer word indices.

        Only the top `num_words - 1` words are kept; others are dropped, or
        replaced by the `oov_token` index when there is one.

        Args:
            texts: List of strings (or of token lists).

        Returns:
            A list of lists of integers.
        """
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """Generator form of `texts_to_sequences`; yields one list per text."""
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for text in texts:
            indices = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and not (num_words and index >= num_words):
                    indices.append(index)
                elif oov_index is not None:
                    indices.append(oov_index)
            yield indices

    def sequences_to_texts(self, sequences):
        """Transforms sequences of word indices back into texts.

        Args:
            sequences: List of sequences of integers.

        Returns:
            A list of strings, words joined by single spaces.
        """
        return list(self.sequences_to_texts_generator(sequences))

    def sequences_to_texts_generator(self, sequences):
        """Generator form of `sequences_to_texts`; yields one string per sequence."""
        num_words = self.num_words
        oov_index = self.word_index.get(self.oov_token)
        for sequence in sequences:
            words = []
            for index in sequence:
                word = self.index_word.get(index)
                if word is not None and not (num_words and index >= num_words):
                    words.append(word)
                elif oov_index is not None:
                    words.append(self.index_word[oov_index])
            yield " ".join(words)

    def texts_to_matrix(self, texts, mode="binary"):
        """Converts a list of texts to a NumPy matrix.

        Args:
            texts: List of strings.
            mode: One of `"binary"`, `"count"`, `"tfidf"`, `"freq"`.

        Returns:
            A float64 array of shape `(len(texts), num_words)` (or
            `len(word_index) + 1` columns when `num_words` is None).
        """
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """Converts a list of sequences of word indices into a matrix.

        Args:
            sequences: List of sequences of integers.
            mode: One of `"binary"` (1 where the word occurs), `"count"`
                (occurrences), `"tfidf"` (`(1 + log(count)) *
                log(1 + documents / (1 + documents with the word)))`) or
                `"freq"` (occurrences / sequence length).

        Returns:
            A float64 array of shape `(len(sequences), num_words)`.

        Raises:
            ValueError: for an unknown `mode`, when the width is unknown
                (no `num_words` and not fit), or for `"tfidf"` before fitting.
        """
        if mode not in _MATRIX_MODES:
            raise ValueError(
                f"Received: mode={mode!r}; expected one of 'binary', 'count', "
                "'tfidf', 'freq'."
            )
        if self.num_words:
            num_words = self.num_words
        elif self.word_index:
            num_words = len(self.word_index) + 1
        else:
            raise ValueError(
                "Specify a dimension (`num_words` argument), or fit the "
                "Tokenizer on some text data first."
            )
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")

        matrix = np.zeros((len(sequences), num_words))
        for row, sequence in enumerate(sequences):
            if not len(sequence):
                continue
            counts = defaultdict(int)
            for index in sequence:
                if index < num_words:
                    counts[index] += 1
            for index, count in counts.items():
                if mode == "count":
                    matrix[row, index] = count
                elif mode == "freq":
                    matrix[row, index] = count / len(sequence)
                elif mode == "binary":
                    matrix[row, index] = 1
                else:
                    term = 1 + np.log(count)
                    inverse_doc = np.log(
                        1 + self.document_count / (1 + self.index_docs.get(index, 0))
                    )
                    matrix[row, index] = term * inverse_doc
        return matrix

    def get_config(self):
        """Returns the tokenizer configuration as a Python dictionary.

        The vocabulary dictionaries are stored as JSON strings, as in Keras,
        so the config itself is JSON-serializable.
        """
        return {
            "num_words": self.num_words,
            "filters": self.filters,
            "lower": self.lower,
            "split": self.split,
            "char_level": self.char_level,
            "oov_token": self.oov_token,
            "document_count": self.document_count,
            "word_counts": json.dumps(self.word_counts),
            "word_docs": json.dumps(self.word_docs),
            "index_docs": json.dumps(self.index_docs),
            "index_word": json.dumps(self.index_word),
            "word_index": json.dumps(self.word_index),
        }

    def to_json(self, **kwargs):
        """Returns a JSON string with the tokenizer configuration.

        Load it back with `tokenizer_from_json(json_string)`.

        Args:
            **kwargs: Passed to `json.dumps()`.
        """
        config = {"class_name": type(self).__name__, "config": self.get_config()}
        return json.dumps(config, **kwargs)


def tokenizer_from_json(json_string):
    """Parses a JSON tokenizer configuration and returns a `Tokenizer`.

    Args:
        json_string: JSON string produced by `Tokenizer.to_json()`.

    Returns:
        A `Tokenizer` with the same vocabulary and options.

    Example:

    >>> tokenizer = Tokenizer(oov_token="<unk>")
    >>> tokenizer.fit_on_texts(["a b b"])
    >>> tokenizer_from_json(tokenizer.to_json()).word_index
    {'<unk>': 1, 'b': 2, 'a': 3}
    """
    document = json.loads(json_string)
    if not isinstance(document, dict) or "config" not in document:
        raise ValueError(
            "Expected the JSON of Tokenizer.to_json(), an object with a "
            f"'config' key; received {str(json_string)[:80]!r}."
        )
    config = dict(document["config"])
    word_counts = json.loads(config.pop("word_counts"))
    word_docs = json.loads(config.pop("word_docs"))
    # JSON turns integer keys into strings; restore them.
    index_docs = {int(k): v for k, v in json.loads(config.pop("index_docs")).items()}
    index_word = {int(k): v for k, v in json.loads(config.pop("index_word")).items()}
    word_index = json.loads(config.pop("word_index"))

    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(word_counts)
    tokenizer.word_docs = defaultdict(int, word_docs)
    tokenizer.index_docs = defaultdict(int, index_docs)
    tokenizer.word_index = word_index
    tokenizer.index_word = index_word
    return tokenizer
