"""HashedCrossing on the active backend: TensorFlow's ``tf.sparse.cross_hashed`` bins.

The reference folds the features' hashes in plain Python integers:
FarmHash ``Fingerprint64`` of each string (kfacade's ``fingerprint64``,
itself checked against TensorFlow's values in ``test_lookup_layers.py``),
an integer's own 64 bits, combined with FarmHash's ``FingerprintCat64``
(written out below from its definition) from TensorFlow's default key
``0xDECAFCAFFE``, then modulo the number of bins. The first case is the
example of Keras 3's documentation.
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers import HashedCrossing
from kfacade.layers.preprocessing.string_hash import fingerprint64

MASK = (1 << 64) - 1


def shift_mix(value):
    return value ^ (value >> 47)


def fingerprint_cat64(first, second):
    mul = 0xC6A4A7935BD1E995
    result = first ^ mul
    result ^= (shift_mix((second * mul) & MASK) * mul) & MASK
    result = (result * mul) & MASK
    result = (shift_mix(result) * mul) & MASK
    return shift_mix(result)


def reference_bin(features, num_bins):
    hashed = 0xDECAFCAFFE
    for value in features:
        if isinstance(value, (str, bytes)):
            value = fingerprint64(value.encode() if isinstance(value, str) else value)
        hashed = fingerprint_cat64(hashed, int(value) & MASK)
    return hashed % num_bins


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_keras_documentation_example():
    features = (np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102]))
    out = HashedCrossing(num_bins=5)(features)
    assert ops.dtype(out) in ("int64", "int32")  # int32 where the backend narrows 64 bits
    np.testing.assert_array_equal(to_numpy(out), [1, 4, 1, 1, 3])
    one_hot = to_numpy(HashedCrossing(num_bins=5, output_mode="one_hot")(features))
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])


def test_bins_equal_the_reference_for_strings_bytes_and_integers(rng):
    words = np.array(["", "a", "h\u00e9llo \u2713", "the quick brown fox jumps", "x" * 70])
    strings = words[rng.integers(0, len(words), 12)]
    large = rng.integers(-2**40, 2**40, 12)
    small = rng.integers(-5, 5, 12).astype("int32")
    as_bytes = np.array([w.encode() for w in strings[::-1]], dtype=object)
    for features in [(strings, large), (large, small), (strings, as_bytes, small)]:
        expected = [reference_bin([f[i] for f in features], 1000003) for i in range(12)]
        np.testing.assert_array_equal(to_numpy(HashedCrossing(1000003)(features)), expected)
    # (batch, 1) inputs keep their shape; scalars give a scalar.
    column = to_numpy(HashedCrossing(7)((strings[:, None], large[:, None])))
    assert column.shape == (12, 1)
    np.testing.assert_array_equal(column[:, 0], [reference_bin(p, 7) for p in zip(strings, large)])
    assert int(to_numpy(HashedCrossing(7)(("A", 101)))) == reference_bin(("A", 101), 7)
    assert to_numpy(HashedCrossing(7, output_mode="one_hot")(("A", 101))).shape == (1, 7)


def test_symbolic_inputs_config_and_errors():
    a = kfacade.Input((1,), dtype="int64")
    b = kfacade.Input((1,), dtype="int64")
    assert HashedCrossing(4)((a, b)).shape == (None, 1)
    hot = HashedCrossing(4, output_mode="one_hot")((a, b))
    assert hot.shape == (None, 4) and hot.dtype == "float32"

    layer = HashedCrossing(9, output_mode="one_hot", name="cross")
    config = layer.get_config()
    assert config == {"num_bins": 9, "output_mode": "one_hot", "sparse": False,
                      "name": "cross", "dtype": "float32"}
    assert HashedCrossing.from_config(config).get_config() == config
    assert HashedCrossing(3).get_config()["dtype"] == "int64"

    ints = np.array([1, 2])
    with pytest.raises(ValueError, match="list or tuple of inputs"):
        HashedCrossing(3)(ints)
    with pytest.raises(ValueError, match="at least two inputs"):
        HashedCrossing(3)((ints,))
    with pytest.raises(ValueError, match="integer or string dtype"):
        HashedCrossing(3)((ints * 1.5, ints))
    with pytest.raises(ValueError, match="equal shape"):
        HashedCrossing(3)((ints, ints[:1]))
    with pytest.raises(ValueError, match=r"\(batch_size, 1\)"):
        HashedCrossing(3)((np.ones((2, 2), "int32"), np.ones((2, 2), "int32")))
    with pytest.raises(ValueError, match="output_mode"):
        HashedCrossing(3, output_mode="multi_hot")
    with pytest.raises(ValueError, match="sparse"):
        HashedCrossing(3, output_mode="one_hot", sparse=True)
