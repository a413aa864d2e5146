"""keras.utils.FeatureSpace: each feature type's encoding against NumPy, crosses,
"concat" and "dict" output, adapt on a dict or on batches, a model trained on the
encoding, config and .keras round trips, and the errors."""
import collections

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.utils import FeatureSpace

from helpers import assert_close

DATA = {
    "f": np.array([0.5, -1.0, 2.0, 3.5, 0.0, 1.0], "float32"),
    "fn": np.array([1.0, 3.0, 5.0, 7.0, 9.0, 11.0], "float32"),
    "fr": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "float32"),
    "fd": np.array([0.1, 0.5, 0.9, 1.3, 1.7, 2.1], "float32"),
    "s": np.array(["a", "b", "a", "c", "a", "b"]),
    "i": np.array([3, 1, 3, 2, 3, 7], "int32"),
    "sh": np.array(["x", "y", "z", "x", "y", "q"]),
    "ih": np.array([10, 20, 30, 40, 50, 60], "int32"),
}


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _one_hot(indices, depth):
    return (np.asarray(indices).reshape(-1)[:, None] == np.arange(depth)).astype("float32")


def _vocabulary(values):
    """Keras's adapted vocabulary: by decreasing count, ties by decreasing value."""
    counts = collections.Counter(values.tolist())
    return sorted(counts, key=lambda token: (-counts[token], _neg(token)))


def _neg(token):
    return -token if isinstance(token, int) else tuple(-ord(c) for c in token)


def _space(output_mode="concat", **kwargs):
    return FeatureSpace(
        features={"f": "float", "fn": "float_normalized",
                  "fr": FeatureSpace.float_rescaled(scale=2.0, offset=1.0),
                  "fd": FeatureSpace.float_discretized(num_bins=3),
                  "s": "string_categorical", "i": "integer_categorical",
                  "sh": FeatureSpace.string_hashed(num_bins=4),
                  "ih": FeatureSpace.integer_hashed(num_bins=5)},
        output_mode=output_mode, **kwargs)


def test_each_feature_type_is_encoded_as_numpy_computes_it():
    space = _space(crosses=[("s", "i")], crossing_dim=8)
    space.adapt(DATA)
    out = _np(space(DATA))
    bounds = space.preprocessors["fd"].bin_boundaries
    assert len(bounds) == 2 and bounds[0] < bounds[1]
    s_vocab, i_vocab = _vocabulary(DATA["s"]), _vocabulary(DATA["i"].astype(int))
    assert space.preprocessors["s"].get_vocabulary() == ["[UNK]"] + s_vocab
    s_index = np.array([s_vocab.index(v) + 1 for v in DATA["s"]])
    i_index = np.array([i_vocab.index(v) + 1 for v in DATA["i"]])
    hashed_s = _np(layers.Hashing(num_bins=4)(DATA["sh"][:, None]))
    hashed_i = _np(layers.Hashing(num_bins=5)(DATA["ih"][:, None]))
    cross = _np(layers.HashedCrossing(8)([s_index[:, None], i_index[:, None]]))
    fn = DATA["fn"]
    # Sorted feature names, then the crosses: f fd fn fr i ih s sh s_X_i.
    expected = np.concatenate([
        DATA["f"][:, None], _one_hot(np.digitize(DATA["fd"], bounds), 3),
        ((fn - fn.mean()) / fn.std())[:, None], (DATA["fr"] * 2.0 + 1.0)[:, None],
        _one_hot(i_index, 5), _one_hot(hashed_i, 5), _one_hot(s_index, 4),
        _one_hot(hashed_s, 4), _one_hot(cross, 8)], axis=1)
    assert out.shape == (6, 32) and out.dtype == np.float32
    assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # One sample (scalars) gives one vector; a list or a backend tensor works as arrays.
    single = space({key: value[2] for key, value in DATA.items()})
    assert_close(_np(single), expected[2], rtol=1e-5, atol=1e-5)
    as_lists = {key: value.tolist() for key, value in DATA.items()}
    as_lists["f"] = ops.convert_to_tensor(DATA["f"])
    assert_close(_np(space(as_lists)), expected, rtol=1e-5, atol=1e-5)


def test_dict_mode_keeps_int_features_and_crosses():
    space = FeatureSpace(
        features={"s": FeatureSpace.string_categorical(output_mode="int"),
                  "i": "integer_categorical", "f": "float"},
        crosses=[FeatureSpace.cross(("s", "i"), crossing_dim=8, output_mode="int"),
                 FeatureSpace.cross(("i", "s"), crossing_dim=6)],
        output_mode="dict")
    space.adapt({key: DATA[key] for key in ("s", "i", "f")})
    out = {key: _np(value) for key, value in space({key: DATA[key] for key in ("s", "i", "f")}).items()}
    assert sorted(out) == ["f", "i", "i_X_s", "s", "s_X_i"]
    s_index = _np(space.preprocessors["s"](DATA["s"][:, None]))
    i_index = _np(space.preprocessors["i"](DATA["i"][:, None]))
    assert out["s"].shape == (6, 1) and out["s"].dtype.kind == "i"
    np.testing.assert_array_equal(out["s"], s_index)
    np.testing.assert_array_equal(out["i"], _one_hot(i_index, 5))
    np.testing.assert_array_equal(out["s_X_i"], _np(layers.HashedCrossing(8)([s_index, i_index])))
    np.testing.assert_array_equal(
        out["i_X_s"], _one_hot(_np(layers.HashedCrossing(6)([i_index, s_index])), 6))
    assert space.crossers["s_X_i"].num_bins == 8
    single = space({"s": "b", "i": 1, "f": 0.5})
    assert {key: tuple(ops.shape(v)) for key, v in single.items()} == {
        "s": (1,), "i": (5,), "s_X_i": (1,), "i_X_s": (6,), "f": (1,)}


def _batches():
    for start in range(0, 6, 4):  # (x, y) batches of 4 and 2, as a fit data set yields
        yield {key: value[start:start + 4] for key, value in DATA.items()}, None


def test_adapt_reads_batches_like_the_whole_dict():
    whole, batched = _space(), _space()
    whole.adapt(DATA)
    batched.adapt(_batches())
    assert batched.preprocessors["s"].get_vocabulary() == whole.preprocessors["s"].get_vocabulary()
    assert_close(_np(batched(DATA)), _np(whole(DATA)), rtol=1e-5, atol=1e-5)


if kfacade.backend.backend() == "tensorflow":
    # A tf.data pipeline is TensorFlow's native input: collected in the
    # TensorFlow run only (the other runs do not import TensorFlow).
    @pytest.mark.parametrize("batch_size", [None, 4])
    def test_adapt_reads_a_tf_data_dataset(batch_size):
        import tensorflow as tf

        dataset = tf.data.Dataset.from_tensor_slices(DATA)
        from_tf, whole = _space(), _space()
        from_tf.adapt(dataset if batch_size is None else dataset.batch(batch_size))
        whole.adapt(DATA)
        assert_close(_np(from_tf(DATA)), _np(whole(DATA)), rtol=1e-5, atol=1e-5)


def test_encoded_output_trains_a_model_and_builds_a_functional_one():
    numeric = {key: DATA[key] for key in ("fn", "i", "ih")}
    space = FeatureSpace({"fn": "float_normalized", "i": "integer_categorical",
                          "ih": "integer_hashed"}, crosses=[("i", "ih")], hashing_dim=4,
                         crossing_dim=4)
    space.adapt(numeric)
    encoded = space.get_encoded_features()
    assert tuple(encoded.shape) == (None, 1 + 5 + 4 + 4)
    assert sorted(space.get_inputs()) == ["fn", "i", "ih"]
    inference = kfacade.Model(space.get_inputs(), encoded)
    assert_close(_np(inference({k: v[:, None] for k, v in numeric.items()})),
                 _np(space(numeric)), rtol=1e-5, atol=1e-5)

    x = _np(space(numeric))
    y = (DATA["fn"] > 5).astype("float32")[:, None]
    model = kfacade.Sequential([layers.Input((x.shape[1],)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    before = _np(model.layers[-1].kernel.value).copy()
    history = model.fit(x, y, epochs=2, batch_size=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert not np.allclose(_np(model.layers[-1].kernel.value), before)


def test_config_and_keras_file_round_trip(tmp_path):
    space = _space(crosses=[("s", "i")], crossing_dim=8)
    space.adapt(DATA)
    config = space.get_config()
    assert list(config) == ["features", "output_mode", "crosses", "crossing_dim", "hashing_dim",
                            "num_discretization_bins", "name"]
    rebuilt = FeatureSpace.from_config(config)
    assert rebuilt.get_config() == config
    path = str(tmp_path / "space.keras")
    space.save(path)
    loaded = kfacade.saving.load_model(path)
    assert type(loaded) is FeatureSpace
    # The vocabularies and bins travel in the config, the statistics in the weights.
    assert_close(_np(loaded(DATA)), _np(space(DATA)), rtol=1e-6, atol=1e-6)
    unadapted = FeatureSpace.from_config(FeatureSpace({"fn": "float_normalized"}).get_config())
    with pytest.raises(ValueError, match="adapt"):
        unadapted({"fn": DATA["fn"]})


def test_fixed_bins_need_no_adapt():
    space = FeatureSpace({"d": FeatureSpace.feature(
        "float32", layers.Discretization(bin_boundaries=[0.0, 1.0]), "one_hot"),
        "r": "float_rescaled"})
    out = _np(space({"d": [-1.0, 0.5, 3.0], "r": [1, 2, 3]}))
    expected = np.concatenate([_one_hot([0, 1, 2], 3), [[1.0], [2.0], [3.0]]], axis=1)
    assert_close(out, expected)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="Invalid feature type: nope"):
        FeatureSpace({"a": "nope"})
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FeatureSpace({})
    with pytest.raises(ValueError, match="Received: output_mode=flat"):
        FeatureSpace({"a": "float"}, output_mode="flat")
    with pytest.raises(ValueError, match="unknown features"):
        FeatureSpace({"a": "float"}, crosses=[("a", "zz")])
    space = FeatureSpace({"s": "string_categorical", "f": "float"})
    with pytest.raises(ValueError, match=r"call `\.adapt\(dataset\)`"):
        space({"s": ["a"], "f": [1.0]})
    with pytest.raises(ValueError, match="can only be called on a dict"):
        space.adapt(np.zeros(3))
    space.adapt({"s": ["a", "b"], "f": [1.0, 2.0]})
    with pytest.raises(ValueError, match=r"Missing: \['f'\]"):
        space({"s": ["a"]})
    with pytest.raises(ValueError, match=r"unknown: \['label'\]"):
        space({"s": ["a"], "f": [1.0], "label": [0]})
    with pytest.raises(ValueError, match="can only be called with a dict"):
        space(np.zeros(3))
    custom = FeatureSpace({"f": FeatureSpace.feature("float32", layers.Rescaling(2.0),
                                                      "one_hot")})
    with pytest.raises(ValueError, match="should return an integer dtype"):
        custom({"f": [1.0]})
