"""CategoryEncoding, Normalization and Discretization against NumPy, on the
active backend: the encodings (one-hot, multi-hot, counts, weighted
counts), statistics given or adapted (arrays, batches, sequences), NumPy's
``digitize`` buckets, Keras 3's approximate-quantile ``adapt``, configs and
errors. These layers are written with ``kfacade.ops`` and run inside
compiled steps (``Model.predict`` in ``run_layer_test``).
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers import CategoryEncoding, Discretization, Normalization

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def np_encode(indices, mode, depth, weights=None):
    """The reference encodings: one-hot rows; multi-hot and counts per sample."""
    indices = np.atleast_1d(np.asarray(indices))
    if mode == "one_hot":
        if indices.ndim > 1 and indices.shape[-1] == 1:
            indices = indices[..., 0]
        return (indices[..., None] == np.arange(depth)).astype("float32")
    samples = indices if indices.ndim > 1 else indices[None]
    w = np.ones(samples.shape) if weights is None else np.asarray(weights).reshape(samples.shape)
    out = np.zeros((samples.shape[0], depth))
    for row, (values, row_weights) in enumerate(zip(samples, w)):
        for value, weight in zip(values, row_weights):
            if 0 <= value < depth:
                out[row, value] = 1.0 if mode == "multi_hot" else out[row, value] + weight
    return (out if indices.ndim > 1 else out[0]).astype("float32")


# --------------------------------------------------------- CategoryEncoding


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("data", [[3, 1, 1, 0], [[3], [1]], [[0, 1], [3, 3], [2, 1]], 2])
def test_category_encoding_matches_numpy(mode, data):
    out = CategoryEncoding(num_tokens=4, output_mode=mode)(np.asarray(data))
    np.testing.assert_array_equal(to_numpy(out), np_encode(data, mode, 4))


def test_category_encoding_count_weights_and_binary_alias():
    data = np.array([[0, 1], [3, 3]])
    weights = np.array([[0.5, 0.25], [1.0, 2.0]], "float32")
    out = CategoryEncoding(4, output_mode="count")(data, count_weights=weights)
    assert_close(out, np_encode(data, "count", 4, weights))
    assert CategoryEncoding(4, output_mode="binary").output_mode == "multi_hot"
    with pytest.raises(ValueError, match="count_weights"):
        CategoryEncoding(4, output_mode="one_hot")(data, count_weights=weights)


@pytest.mark.parametrize("mode,output_shape", [("multi_hot", (3, 5)), ("one_hot", (3, 2, 5))])
def test_category_encoding_layer_contract(mode, output_shape):
    data = np.array([[0, 4], [2, 2], [1, 3]], "int32")
    run_layer_test(CategoryEncoding, {"num_tokens": 5, "output_mode": mode}, input_data=data,
                   expected_output_shape=output_shape, expected_output=np_encode(data, mode, 5))


def test_category_encoding_errors():
    with pytest.raises(ValueError, match="num_tokens must be set"):
        CategoryEncoding()
    with pytest.raises(ValueError, match="num_tokens=0"):
        CategoryEncoding(0)
    with pytest.raises(ValueError, match="Unknown arg for output_mode: tf_idf"):
        CategoryEncoding(3, output_mode="tf_idf")


# ------------------------------------------------------------ Normalization


@pytest.mark.parametrize("axis", [-1, None, (1, 2), 1])
def test_normalization_adapt_matches_numpy(axis, rng):
    x = (rng.standard_normal((20, 3, 4)) * 3 + 1).astype("float32")
    keep = () if axis is None else tuple(a % 3 for a in np.atleast_1d(axis))
    reduce = tuple(a for a in range(3) if a not in keep)
    mean = x.astype(np.float64).mean(axis=reduce, keepdims=True)
    std = np.maximum(x.astype(np.float64).std(axis=reduce, keepdims=True), 1e-7)
    layer = Normalization(axis=axis)
    layer.adapt(x)
    assert_close(layer(x), (x - mean) / std, atol=1e-5)
    inverse = Normalization(axis=axis, invert=True)
    inverse.adapt(x)
    assert_close(inverse(x), x * std + mean, rtol=1e-5, atol=1e-4)


def test_normalization_adapts_from_batches_and_sequences(rng):
    x = (rng.standard_normal((30, 4)) * 2 - 1).astype("float32")
    whole = Normalization()
    whole.adapt(x)
    expected = to_numpy(whole(x))
    for data in ([x[:7], x[7:19], x[19:]],                     # a list of batches
                 ((x[i:i + 8], None) for i in range(0, 30, 8)),  # (x, y) tuples from a generator
                 kfacade.ops.convert_to_tensor(x)):              # a backend tensor
        layer = Normalization()
        layer.adapt(data)
        assert_close(layer(x), expected, atol=1e-5)
    assert [w.path.split("/")[1] for w in whole.weights] == ["mean", "variance", "count"]
    assert int(to_numpy(whole.count.value)) == 30


def test_normalization_with_given_statistics(rng):
    x = rng.standard_normal((5, 3, 4)).astype("float32")
    mean, variance = np.array([1.0, 2.0, 3.0, 4.0]), np.array([1.0, 4.0, 9.0, 0.0])
    layer = Normalization(mean=mean, variance=variance)
    assert_close(layer(x), (x - mean) / np.maximum(np.sqrt(variance), 1e-7), rtol=1e-5, atol=1e-5)
    assert layer.weights == []
    # Statistics of fewer axes than kept broadcast from the right.
    layer = Normalization(axis=(1, 2), mean=mean, variance=variance + 1)
    assert_close(layer(x), (x - mean) / np.sqrt(variance + 1))
    assert Normalization(mean=2.0, variance=4.0, axis=None)(x) is not None


def test_normalization_layer_contract(rng):
    x = rng.standard_normal((4, 3)).astype("float32")
    run_layer_test(Normalization, {"mean": [0.5, -1.0, 2.0], "variance": [4.0, 1.0, 0.25]},
                   input_data=x, expected_output=(x - [0.5, -1.0, 2.0]) / [2.0, 1.0, 0.5],
                   expected_num_trainable_weights=0, supports_masking=True)
    # An adapted layer saves its statistics as weights: a predict after set_weights agrees.
    adapted = Normalization()
    adapted.adapt(x * 3)
    model = kfacade.Sequential([kfacade.Input((3,)), Normalization()])
    model.set_weights(adapted.get_weights())
    assert_close(model.predict(x, verbose=0), adapted(x))


def test_normalization_errors(rng):
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="axis"):
        Normalization(axis=3).build((2, 3))
    layer = Normalization()
    layer.adapt(rng.standard_normal((4, 3)))
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(rng.standard_normal((4, 5)))
    with pytest.raises(ValueError, match="cannot be adapted"):
        Normalization(mean=1.0, variance=1.0).adapt(rng.standard_normal((4, 3)))


# ----------------------------------------------------------- Discretization


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
def test_discretization_buckets_like_numpy_digitize(mode):
    x = np.array([[-1.5, 0.0, 0.5, 1.0], [2.5, np.nan, 1.999, -0.0]], "float32")
    boundaries = [0.0, 1.0, 2.0]
    indices = np.digitize(x, boundaries)
    out = Discretization(bin_boundaries=boundaries, output_mode=mode)(x)
    if mode == "int":
        assert ops.dtype(out) == "int32"
        np.testing.assert_array_equal(to_numpy(out), indices)
    else:
        np.testing.assert_array_equal(to_numpy(out), np_encode(indices, mode, 4))


def np_quantile_summary(values, epsilon):
    """Keras 3's summary: every step-th sorted value, weighted by step."""
    values = np.sort(values.reshape(-1))
    step = max(values.size / (1.0 / epsilon), 1)
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.full(kept.shape, step)])


def np_compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    bins = np.interp(percents, cumulative / cumulative[-1], summary[0])
    weights = np.diff(np.interp(percents, cumulative / cumulative[-1], cumulative), prepend=0.0)
    return np.stack([bins, weights]).astype("float32")


@pytest.mark.parametrize("num_bins,epsilon,n", [(4, 0.01, 100), (5, 0.1, 1000), (3, 0.01, 37)])
def test_discretization_adapt_learns_quantile_boundaries(num_bins, epsilon, n, rng):
    data = rng.standard_normal(n).astype("float32")
    layer = Discretization(num_bins=num_bins, epsilon=epsilon)
    layer.adapt(data)
    summary = np_compress(np_quantile_summary(data, epsilon), epsilon)
    expected = np_compress(summary, 1.0 / num_bins)[0, :-1]
    # float32 summaries (as Keras) against float64 weights here: rounding only.
    np.testing.assert_allclose(layer.bin_boundaries, expected, rtol=1e-5, atol=1e-5)
    # With enough data the buckets hold about equal shares.
    counts = np.bincount(to_numpy(layer(data)).reshape(-1), minlength=num_bins)
    if n >= 100:
        assert counts.min() >= 0.5 * n / num_bins
    # Batches give boundaries close to the whole data's.
    batched = Discretization(num_bins=num_bins, epsilon=epsilon)
    batched.adapt([data[: n // 2], data[n // 2:]])
    assert len(batched.bin_boundaries) == num_bins - 1


def test_discretization_config_keeps_adapted_boundaries(rng):
    layer = Discretization(num_bins=4)
    layer.adapt(np.arange(100.0))
    clone = Discretization.from_config(layer.get_config())
    assert clone.bin_boundaries == layer.bin_boundaries
    assert set(layer.get_config()) == {"bin_boundaries", "num_bins", "epsilon", "output_mode",
                                       "sparse", "name", "dtype"}
    x = np.array([[0.5, 30.0, 60.0, 99.0]], "float32")
    np.testing.assert_array_equal(to_numpy(clone(x)), [[0, 1, 2, 3]])


def test_discretization_layer_contract():
    x = np.array([[-1.0, 0.5], [1.5, 3.0]], "float32")
    run_layer_test(Discretization, {"bin_boundaries": [0.0, 1.0, 2.0]}, input_data=x,
                   expected_output=np.digitize(x, [0.0, 1.0, 2.0]),
                   expected_num_trainable_weights=0)
    symbolic = Discretization(bin_boundaries=[0.0])(kfacade.Input((2,)))
    assert symbolic.dtype == "int32"


def test_discretization_errors():
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        Discretization()
    with pytest.raises(ValueError, match="should not be set"):
        Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="output_mode=tf_idf"):
        Discretization(num_bins=2, output_mode="tf_idf")
    with pytest.raises(ValueError, match="Cannot adapt"):
        Discretization(bin_boundaries=[0.0]).adapt(np.zeros(3))
    with pytest.raises(ValueError, match="call `adapt"):
        Discretization(num_bins=3)(np.zeros((1, 2), "float32"))
