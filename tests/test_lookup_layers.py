"""Hashing, StringLookup, IntegerLookup and TextVectorization on the active
backend: the host-side layers (``kfacade/layers/preprocessing/host_layer.py``).

They compute in Python/NumPy, so every backend must give the very same
integers; the references are plain Python (dicts, ``re``, ``Counter``) and,
for the hashes, values TensorFlow's ``tf.strings.to_hash_bucket_fast`` /
``_strong`` returned (and the examples of Keras's documentation), which is
what Keras 3 computes on every backend.
"""
import collections
import json
import math

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.backend.state import compiled_step_trace
from kfacade.layers import Hashing, IntegerLookup, StringLookup, TextVectorization
from kfacade.layers.preprocessing.string_hash import fingerprint64, siphash24


def to_numpy(x):
    return x if isinstance(x, np.ndarray) else np.asarray(ops.convert_to_numpy(x))


def assert_equal(actual, expected):
    actual = to_numpy(actual)
    np.testing.assert_array_equal(actual, np.asarray(expected))


# ------------------------------------------------------------ the hashes

HASHED = [b"", b"a", b"ab", b"abcd", b"hello w", b"0123456789abcdef", b"the quick brown fox",
          b"the quick brown fox jumps over the lazy dog", b"x" * 100,
          "h\u00e9llo \u2713".encode(), b"-7", b"3000000000"]
#: tf.strings.to_hash_bucket_fast(HASHED, 2**62 + 1) (FarmHash Fingerprint64), every length class.
TF_FAST = [1936946117179621453, 3694432073954588129, 3066228220894225692, 1897425971756105985,
           1806291608031355033, 1493332391325024358, 3343755477575298351, 3200379034145657809,
           1978794067220662814, 388974397503833840, 157654154374354252, 2912772778036249123]
#: tf.strings.to_hash_bucket_strong(HASHED, 2**62 + 1, key=[7, 11]) (SipHash-2-4).
TF_STRONG = [3361664221164768847, 3442210485099530380, 4310836152581515338, 1929784585660889411,
             2475785445773462531, 224018514623298622, 2772943287065403657, 1401904985191062757,
             1552747912620242432, 896209750008137673, 1737132111370093855, 1120836931047434140]


def test_hashes_equal_tensorflows():
    modulus = 2 ** 62 + 1
    assert [fingerprint64(s) % modulus for s in HASHED] == TF_FAST
    assert [siphash24((7, 11), s) % modulus for s in HASHED] == TF_STRONG
    assert fingerprint64(b"") == 0x9AE16A3B2F90404F  # FarmHash's k2


# ----------------------------------------------------------------- Hashing

LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


@pytest.mark.parametrize("kwargs,data,expected", [
    # The examples of Keras 3's documentation.
    (dict(num_bins=3), LETTERS, [[1], [0], [1], [1], [2]]),
    (dict(num_bins=3, mask_value=""), [["A"], ["B"], [""], ["C"], ["D"]], [[1], [1], [0], [2], [2]]),
    (dict(num_bins=3, salt=[133, 137]), LETTERS, [[1], [2], [1], [0], [2]]),
    (dict(num_bins=3, salt=133), LETTERS, [[0], [0], [2], [1], [0]]),
])
def test_hashing_matches_keras_documentation(kwargs, data, expected):
    out = Hashing(**kwargs)(data)
    assert ops.dtype(out) in ("int64", "int32")  # int32 where the backend narrows 64 bits
    assert_equal(out, expected)


def test_hashing_integers_floats_bytes_and_tensors():
    ints = np.array([[1, 42, -7], [3000000000, 0, 5]])
    expected = np.array([[fingerprint64(str(v).encode()) % 11 for v in row] for row in ints])
    assert_equal(Hashing(11)(ints), expected)
    # Floats are truncated (towards zero) to integers first; bytes are hashed as they are.
    assert_equal(Hashing(11)(ints + np.where(ints < 0, -0.7, 0.7)), expected)
    assert_equal(Hashing(11)(np.array([b"-7", b"3000000000"])), [expected[0, 2], expected[1, 0]])
    assert_equal(Hashing(11)(ops.convert_to_tensor(np.array([1, 42]))), expected[0, :2])
    # The mask bin takes 0; values go to 1 + hash % (num_bins - 1).
    masked = Hashing(4, mask_value=0)(np.array([0, 5]))
    assert_equal(masked, [0, 1 + fingerprint64(b"5") % 3])
    salted = Hashing(5, salt=(7, 11))(np.array(["a", "ab"]))
    assert_equal(salted, [siphash24((7, 11), b"a") % 5, siphash24((7, 11), b"ab") % 5])


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_hashing_encodings(mode):
    data = np.array([["a", "ab"], ["a", "a"]])
    bins = np.vectorize(lambda s: fingerprint64(s.encode()) % 4)(data)
    out = to_numpy(Hashing(4, output_mode=mode)(data))
    assert out.dtype == np.float32
    one_hot = (bins[..., None] == np.arange(4)).astype("float32")
    expected = {"one_hot": one_hot, "multi_hot": one_hot.max(axis=1), "count": one_hot.sum(axis=1)}
    assert_equal(out, expected[mode])


def test_hashing_config_symbolic_use_and_errors():
    layer = Hashing(7, mask_value="", salt=3, output_mode="count")
    config = json.loads(json.dumps(layer.get_config()))
    assert config["salt"] == [3, 3] and config["dtype"] == "float32"
    assert Hashing.from_config(config).get_config() == layer.get_config()
    assert Hashing(3).dtype == "int64"
    symbolic = Hashing(5)(kfacade.Input((2,), dtype="int64"))
    assert symbolic.shape == (None, 2) and symbolic.dtype == "int64"
    with pytest.raises(ValueError, match="num_bins=0"):
        Hashing(0)
    with pytest.raises(ValueError, match="integer type"):
        Hashing(3, dtype="float32")
    with pytest.raises(ValueError, match="salt=x"):
        Hashing(3, salt="x")


def test_host_layers_refuse_compiled_steps_and_run_eagerly_in_models():
    # Inside a traced step (tf.function, jax.jit) the layer says what to do instead.
    with compiled_step_trace():
        with pytest.raises(RuntimeError, match="cannot run inside a compiled step.*run_eagerly"):
            Hashing(3)(np.array([1, 2]))
    inputs = kfacade.Input((2,), dtype="int64")
    model = kfacade.Model(inputs, IntegerLookup(vocabulary=[5, 7])(inputs))
    model.compile(run_eagerly=True)
    assert_equal(model.predict(np.array([[5, 9], [7, 5]]), verbose=0), [[1, 0], [2, 1]])


# ------------------------------------------------------------ StringLookup

VOCAB = ["a", "b", "c", "d"]
DATA = np.array([["a", "c", "d"], ["d", "z", "b"], ["", "q", "a"]])


def reference_lookup(data, vocab, start, oov=lambda token: 0, mask=None):
    table = {token: start + i for i, token in enumerate(vocab)}
    return np.vectorize(lambda t: 0 if t == mask else table.get(t, oov(t)), otypes=[np.int64])(data)


def test_string_lookup_int_output():
    assert_equal(StringLookup(vocabulary=VOCAB)(DATA), reference_lookup(DATA, VOCAB, 1))
    # The mask token takes index 0 and the OOV index moves to 1.
    assert_equal(StringLookup(vocabulary=VOCAB, mask_token="")(DATA),
                 reference_lookup(DATA, VOCAB, 2, oov=lambda t: 1, mask=""))
    # Several OOV indices: FarmHash of the string picks one.
    three = StringLookup(vocabulary=VOCAB, num_oov_indices=3)(DATA)
    assert_equal(three, reference_lookup(DATA, VOCAB, 3, oov=lambda t: fingerprint64(t.encode()) % 3))
    salted = StringLookup(vocabulary=VOCAB, num_oov_indices=3, salt=(7, 11))(DATA)
    assert_equal(salted, reference_lookup(
        DATA, VOCAB, 3, oov=lambda t: siphash24((7, 11), t.encode()) % 3))
    # bytes and object arrays decode as UTF-8; a scalar stays a scalar.
    assert_equal(StringLookup(vocabulary=VOCAB)(np.array([b"c", b"x"])), [3, 0])
    assert_equal(StringLookup(vocabulary=["\u00e9"])(np.array(["\u00e9".encode()], dtype=object)), [1])
    assert to_numpy(StringLookup(vocabulary=VOCAB)("b")).shape == ()


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count", "tf_idf"])
def test_string_lookup_encodings(mode):
    kwargs = {"idf_weights": [0.5, 0.25, 1.0, 2.0]} if mode == "tf_idf" else {}
    layer = StringLookup(vocabulary=VOCAB, output_mode=mode, mask_token="", **kwargs)
    indices = reference_lookup(DATA, VOCAB, 1, oov=lambda t: 0, mask="")  # no mask index here
    one_hot = (indices[..., None] == np.arange(5)) & (DATA != "")[..., None]
    out = to_numpy(layer(DATA))
    if mode == "one_hot":
        assert_equal(out, one_hot.astype("int64"))
    elif mode == "multi_hot":
        assert_equal(out, one_hot.max(axis=1).astype("int64"))
    else:
        counts = one_hot.sum(axis=1)
        if mode == "count":
            assert_equal(out, counts)
        else:  # the OOV weight is the average of the given ones
            idf = np.array([np.mean(kwargs["idf_weights"])] + kwargs["idf_weights"], "float32")
            np.testing.assert_allclose(out, counts * idf, rtol=1e-6)
    assert layer.compute_output_shape((3, 3)) == ((3, 3, 5) if mode == "one_hot" else (3, 5))


def test_string_lookup_invert_returns_strings():
    out = StringLookup(vocabulary=VOCAB, invert=True)(np.array([[1, 2], [0, 9]]))
    assert isinstance(out, np.ndarray) and out.dtype.kind == "U"
    assert_equal(out, [["a", "b"], ["[UNK]", "[UNK]"]])
    masked = StringLookup(vocabulary=VOCAB, mask_token="", invert=True)(ops.convert_to_tensor(
        np.array([0, 1, 2])))
    assert_equal(masked, ["", "[UNK]", "a"])


def test_string_lookup_adapt_orders_by_count_then_token():
    docs = np.array([["the", "cat", "sat"], ["the", "dog", "the"], ["a", "cat", "x"]])
    layer = StringLookup(max_tokens=5)
    layer.adapt(docs)
    counts = collections.Counter(docs.reshape(-1).tolist())
    ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
    assert layer.get_vocabulary() == ["[UNK]"] + ranked[:4]
    assert layer.get_vocabulary(include_special_tokens=False) == ranked[:4]
    assert layer.vocabulary_size() == 5
    # A generator gives batches; each row is a document for the tf-idf weights.
    tfidf = StringLookup(output_mode="tf_idf")
    tfidf.adapt(batch for batch in (docs[:1], docs[1:]))
    vocabulary = tfidf.get_vocabulary(include_special_tokens=False)
    frequencies = [sum(token in row for row in docs.tolist()) for token in vocabulary]
    idf = np.array([math.log(1 + 3 / (1 + f)) for f in frequencies])
    np.testing.assert_allclose(tfidf.idf_weights, np.concatenate([[idf.mean()], idf]), rtol=1e-6)


def test_string_lookup_config_round_trip_keeps_the_vocabulary(tmp_path):
    layer = StringLookup(num_oov_indices=2, mask_token="")
    layer.adapt(np.array(["x", "y", "y"]))
    config = json.loads(json.dumps(layer.get_config()))
    assert "vocabulary_dtype" not in config and config["encoding"] == "utf-8"
    clone = StringLookup.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "y", "x"]
    assert_equal(clone(np.array(["y", "x", ""])), [3, 4, 0])
    path = tmp_path / "vocab.txt"
    path.write_text("b\na\n", encoding="utf-8")
    assert StringLookup(vocabulary=str(path)).get_vocabulary() == ["[UNK]", "b", "a"]


def test_string_lookup_errors():
    with pytest.raises(ValueError, match="repeated term"):
        StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="reserved mask token"):
        StringLookup(vocabulary=["a", ""], mask_token="")
    with pytest.raises(ValueError, match="larger than the maximum"):
        StringLookup(vocabulary=VOCAB, max_tokens=3)
    with pytest.raises(ValueError, match="num_oov_indices=0"):
        StringLookup(vocabulary=VOCAB, num_oov_indices=0)(np.array(["a", "zz"]))
    with pytest.raises(ValueError, match="`invert` is true"):
        StringLookup(invert=True, output_mode="multi_hot")
    with pytest.raises(RuntimeError, match="set the layer's vocabulary"):
        StringLookup(output_mode="count")(np.array(["a"]))
    with pytest.raises(ValueError, match="Cannot adapt"):
        StringLookup(vocabulary=VOCAB).adapt(np.array(["a"]))
    with pytest.raises(ValueError, match="expects string inputs"):
        StringLookup(vocabulary=VOCAB)(np.array([1, 2]))


# ----------------------------------------------------------- IntegerLookup


def test_integer_lookup():
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36], [-3, 7, 0]])
    assert_equal(IntegerLookup(vocabulary=vocab)(data), reference_lookup(data, vocab, 1))
    # Several OOV indices: floormod by default, the hash of the decimal text with "farmhash".
    assert_equal(IntegerLookup(vocabulary=vocab, num_oov_indices=3)(data),
                 reference_lookup(data, vocab, 3, oov=lambda v: v % 3))
    assert_equal(IntegerLookup(vocabulary=vocab, num_oov_indices=3, oov_method="farmhash")(data),
                 reference_lookup(data, vocab, 3, oov=lambda v: fingerprint64(str(v).encode()) % 3))
    assert_equal(IntegerLookup(vocabulary=vocab, mask_token=0)(data),
                 reference_lookup(data, vocab, 2, oov=lambda v: 1, mask=0))
    assert_equal(IntegerLookup(vocabulary=vocab, invert=True)(np.array([0, 1, 4])), [-1, 12, 42])
    adapted = IntegerLookup()
    adapted.adapt(np.array([[1, 2, 2], [2, 3, 3], [4, 4, 4]]))
    assert adapted.get_vocabulary() == [-1, 4, 2, 3, 1]  # by count, ties by the larger value
    config = json.loads(json.dumps(IntegerLookup(vocabulary=np.array(vocab)).get_config()))
    assert config["vocabulary"] == vocab and config["vocabulary_dtype"] == "int64"
    assert IntegerLookup.from_config(config).get_vocabulary() == [-1] + vocab
    symbolic = IntegerLookup(vocabulary=vocab, output_mode="multi_hot")(kfacade.Input((3,), dtype="int64"))
    assert symbolic.shape == (None, 5)
    with pytest.raises(ValueError, match="Received: vocabulary_dtype=int32"):
        IntegerLookup(vocabulary_dtype="int32")
    with pytest.raises(ValueError, match="oov_method"):
        IntegerLookup(salt=3)


# ------------------------------------------------------- TextVectorization

TEXTS = np.array(["The cat sat.", "the DOG, the end!", "a  cat\tsat\u00a0down", "\u00dcn\u00efcode \u00c4B"])


def reference_tokens(text, lower=True, strip=True):
    """Keras's standardization (ASCII lowering, ASCII punctuation) and whitespace split."""
    if lower:
        text = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in text)
    if strip:
        text = "".join(c for c in text if c not in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\'')
    return [t for t in text.replace("\t", " ").replace("\n", " ").split(" ") if t]


def reference_vocabulary(rows):
    counts = collections.Counter(token for row in rows for token in row)
    return sorted(counts, key=lambda t: (counts[t], t), reverse=True)


def test_text_vectorization_int_sequences():
    layer = TextVectorization(output_sequence_length=5)
    layer.adapt(TEXTS)
    rows = [reference_tokens(t) for t in TEXTS]
    vocab = reference_vocabulary(rows)
    assert layer.get_vocabulary() == ["", "[UNK]"] + vocab
    assert "sat\u00a0down" in vocab  # U+00A0 is no ASCII whitespace: no split, as TensorFlow
    assert "\u00e4b" not in vocab and "\u00c4b" in vocab  # only ASCII letters are lowered
    index = {t: i + 2 for i, t in enumerate(vocab)}
    queries = np.array(["the cat ran the end and more", "unknown", ""])
    expected = np.zeros((3, 5), "int64")
    for i, q in enumerate(queries):
        ids = [index.get(t, 1) for t in reference_tokens(q)][:5]
        expected[i, :len(ids)] = ids
    assert_equal(layer(queries), expected)
    assert_equal(layer(queries[:, None]), expected)  # (batch, 1) strings too
    # Without output_sequence_length: padded to the longest sequence of the batch.
    free = TextVectorization(vocabulary=vocab)
    assert to_numpy(free(queries)).shape == (3, 7)


@pytest.mark.parametrize("mode", ["multi_hot", "count", "tf_idf"])
def test_text_vectorization_bag_of_words(mode):
    layer = TextVectorization(output_mode=mode, ngrams=2)
    layer.adapt(TEXTS)
    rows = []
    for text in TEXTS:
        tokens = reference_tokens(text)
        rows.append(tokens + [" ".join(tokens[i:i + 2]) for i in range(len(tokens) - 1)])
    vocab = reference_vocabulary(rows)
    assert layer.get_vocabulary() == ["[UNK]"] + vocab
    index = {t: i + 1 for i, t in enumerate(vocab)}
    query = reference_tokens("the cat ran")
    query += [" ".join(query[i:i + 2]) for i in range(len(query) - 1)]
    counts = np.zeros((1, len(vocab) + 1))
    for token in query:
        counts[0, index.get(token, 0)] += 1
    out = to_numpy(layer(["the cat ran"]))
    if mode == "multi_hot":
        assert_equal(out, (counts > 0).astype("int64"))
    elif mode == "count":
        assert_equal(out, counts.astype("int64"))
    else:
        idf = np.array([math.log(1 + 4 / (1 + sum(t in row for row in rows))) for t in vocab])
        np.testing.assert_allclose(out, counts * np.concatenate([[idf.mean()], idf]), rtol=1e-5)


def test_text_vectorization_splits_and_callables():
    chars = TextVectorization(split="character", standardize=None, vocabulary=["a", "b", " "])
    assert_equal(chars(["ab a", "b"]), [[2, 3, 4, 2], [3, 0, 0, 0]])
    whole = TextVectorization(split=None, vocabulary=["the dog", "a cat"])
    assert_equal(whole(["The dog", "x"]), [2, 1])  # no split: the input's shape

    def upper(strings):
        assert isinstance(strings, np.ndarray) and strings.dtype.kind == "U"
        return np.char.upper(strings)

    def on_commas(strings):
        return [s.split(",") for s in strings]

    custom = TextVectorization(standardize=upper, split=on_commas, vocabulary=["A", "B C"])
    assert_equal(custom(["a,b c,d"]), [[2, 3, 1]])


def test_text_vectorization_config_and_errors():
    layer = TextVectorization(max_tokens=6, output_mode="count", ngrams=(1, 2))
    layer.adapt(TEXTS)
    config = json.loads(json.dumps(layer.get_config()))
    clone = TextVectorization.from_config(config)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    assert_equal(clone(["the cat"]), layer(["the cat"]))
    assert config["ngrams"] == [1, 2] and config["vocabulary_size"] == 6
    assert TextVectorization(output_sequence_length=3).compute_output_shape((None, 1)) == (None, 3)
    with pytest.raises(ValueError, match="standardize=upper"):
        TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="output_sequence_length"):
        TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="last shape dimension must be 1"):
        TextVectorization(vocabulary=["a"])(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="ragged=True"):
        TextVectorization(ragged=True)
