"""Weights in Keras 2's HDF5 layout: round trips, matching by name, errors, layout.

Predictions after loading are compared with a NumPy reference computed
from the loaded weights (Dense -> BatchNormalization in inference -> Dense).
"""
import os
import sys

import h5py
import numpy as np
import pytest

import kfacade
from kfacade.saving import WeightsIOMixin, load_weights_from_h5, save_weights_to_h5
from kfacade.saving import h5_weights

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

BN_EPSILON = 1e-3  # BatchNormalization's default


def make_model(hidden=4, names=("d1", "bn", "d2"), cls=None):
    cls = cls or kfacade.Sequential
    return cls([
        kfacade.layers.Dense(hidden, input_dim=3, name=names[0]),
        kfacade.layers.BatchNormalization(name=names[1]),
        kfacade.layers.Dense(2, name=names[2]),
    ])


def randomize(model, rng):
    """Gives every weight (moving statistics too) distinct random values."""
    values = [rng.uniform(0.5, 1.5, size=w.shape).astype(np.float32) for w in model.weights]
    model.set_weights(values)
    return values


def numpy_predict(weights, x):
    kernel1, bias1, gamma, beta, mean, variance, kernel2, bias2 = weights
    h = x @ kernel1 + bias1
    h = (h - mean) / np.sqrt(variance + BN_EPSILON) * gamma + beta
    return h @ kernel2 + bias2


def predict(model, x):
    """An eager inference call (independent of the trainer's predict loop)."""
    return kfacade.ops.convert_to_numpy(model(x, training=False))


def saved_file(tmp_path, rng, name="model.weights.h5"):
    model = make_model()
    values = randomize(model, rng)
    path = tmp_path / name
    save_weights_to_h5(model, str(path))
    return model, values, path


def test_round_trip_gives_identical_weights_and_predictions(tmp_path, rng):
    model, values, path = saved_file(tmp_path, rng)
    fresh = make_model()
    load_weights_from_h5(fresh, path)  # a PathLike is accepted too
    for loaded, expected in zip(fresh.get_weights(), values):
        np.testing.assert_array_equal(loaded, expected)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    assert_close(predict(fresh, x), numpy_predict(values, x))
    np.testing.assert_array_equal(predict(fresh, x), predict(model, x))
    assert os.listdir(tmp_path) == ["model.weights.h5"]


def test_file_layout_matches_keras_2(tmp_path, rng):
    _, values, path = saved_file(tmp_path, rng)

    def strings(attribute):
        return [v.decode("utf8") if isinstance(v, bytes) else v for v in attribute]

    with h5py.File(path, "r") as f:
        assert strings(f.attrs["layer_names"]) == ["d1", "bn", "d2"]
        backend = f.attrs["backend"]
        assert (backend.decode() if isinstance(backend, bytes) else backend) == \
            kfacade.backend.backend()
        assert "keras_version" in f.attrs
        assert sorted(f.keys()) == ["bn", "d1", "d2", "top_level_model_weights"]
        assert strings(f["d1"].attrs["weight_names"]) == ["d1/kernel:0", "d1/bias:0"]
        assert strings(f["bn"].attrs["weight_names"]) == [
            "bn/gamma:0", "bn/beta:0", "bn/moving_mean:0", "bn/moving_variance:0"]
        assert strings(f["d2"].attrs["weight_names"]) == ["d2/kernel:0", "d2/bias:0"]
        assert len(f["top_level_model_weights"].attrs["weight_names"]) == 0
        # Datasets live at <layer group>/<weight name>, i.e. f["d1"]["d1"]["kernel:0"].
        datasets = [f["d1"]["d1"]["kernel:0"], f["d1"]["d1"]["bias:0"],
                    f["bn"]["bn"]["gamma:0"], f["bn"]["bn"]["beta:0"],
                    f["bn"]["bn"]["moving_mean:0"], f["bn"]["bn"]["moving_variance:0"],
                    f["d2"]["d2"]["kernel:0"], f["d2"]["d2"]["bias:0"]]
        for dataset, expected in zip(datasets, values):
            assert dataset.dtype == np.float32
            np.testing.assert_array_equal(dataset[()], expected)


def test_nested_model_lists_its_sublayers_weights(tmp_path, rng):
    def make():
        inner = kfacade.Sequential([kfacade.layers.Dense(3, input_dim=2, name="inner_d")],
                                   name="inner")
        return kfacade.Sequential([inner, kfacade.layers.Dense(1, name="out")])

    model = make()
    values = randomize(model, rng)
    path = tmp_path / "nested.h5"
    save_weights_to_h5(model, path)
    with h5py.File(path, "r") as f:
        names = [n.decode() if isinstance(n, bytes) else n
                 for n in f["inner"].attrs["weight_names"]]
        assert names == ["inner_d/kernel:0", "inner_d/bias:0"]
        np.testing.assert_array_equal(f["inner"]["inner_d"]["kernel:0"][()], values[0])
    fresh = make()
    load_weights_from_h5(fresh, path)
    for loaded, expected in zip(fresh.get_weights(), values):
        np.testing.assert_array_equal(loaded, expected)


def test_load_by_name_sets_only_matching_layers(tmp_path, rng):
    _, values, path = saved_file(tmp_path, rng)
    other = kfacade.Sequential([kfacade.layers.Dense(4, input_dim=3, name="d1"),
                                kfacade.layers.Dense(7, name="unrelated")])
    before = other.get_weights()
    load_weights_from_h5(other, path, by_name=True)
    after = other.get_weights()
    np.testing.assert_array_equal(after[0], values[0])
    np.testing.assert_array_equal(after[1], values[1])
    np.testing.assert_array_equal(after[2], before[2])
    np.testing.assert_array_equal(after[3], before[3])


def test_by_name_shape_mismatch_raises_or_skips(tmp_path, rng):
    _, values, path = saved_file(tmp_path, rng)
    wider = make_model(hidden=5)
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"named 'd1'.*d1/kernel.*\(3, 5\).*\(3, 4\)"):
        load_weights_from_h5(wider, path, by_name=True)
    for unchanged, original in zip(wider.get_weights(), before):  # nothing was set
        np.testing.assert_array_equal(unchanged, original)
    with pytest.warns(UserWarning, match="Skipping loading weights"):
        load_weights_from_h5(wider, path, by_name=True, skip_mismatch=True)
    after = wider.get_weights()
    np.testing.assert_array_equal(after[0], before[0])  # d1 kernel (3, 5) skipped
    np.testing.assert_array_equal(after[7], values[7])  # d2 bias (2,) loaded


def test_shape_mismatch_by_order_names_layer_and_shapes(tmp_path, rng):
    _, _, path = saved_file(tmp_path, rng)
    wider = make_model(hidden=5, names=("e1", "bn2", "e2"))
    with pytest.raises(ValueError) as error:
        load_weights_from_h5(wider, path)
    message = str(error.value)
    assert "e1" in message and "d1" in message
    assert "(3, 5)" in message and "(3, 4)" in message
    with pytest.raises(ValueError, match="skip_mismatch can only be set to True when by_name"):
        load_weights_from_h5(wider, path, skip_mismatch=True)


def test_layer_count_mismatch(tmp_path, rng):
    _, _, path = saved_file(tmp_path, rng)
    shorter = kfacade.Sequential([kfacade.layers.Dense(4, input_dim=3)])
    with pytest.raises(ValueError, match="Layer count mismatch.*expected 1 layers, found 3"):
        load_weights_from_h5(shorter, path)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty"])
def test_corrupt_file_raises_value_error_naming_it(tmp_path, rng, damage):
    _, _, path = saved_file(tmp_path, rng)
    data = path.read_bytes()
    bad = tmp_path / f"{damage}.h5"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        bad.write_bytes(b"not an hdf5 file at all" * 10)
    else:
        bad.write_bytes(b"")
    model = make_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match=str(bad)):
        load_weights_from_h5(model, bad)
    for unchanged, original in zip(model.get_weights(), before):
        np.testing.assert_array_equal(unchanged, original)


def test_hdf5_file_without_keras_weights_is_rejected(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("x", data=np.zeros(3))
    with pytest.raises(ValueError, match=f"{path}.*not a Keras weights file"):
        load_weights_from_h5(make_model(), path)
    with pytest.raises(FileNotFoundError, match="missing.h5"):
        load_weights_from_h5(make_model(), tmp_path / "missing.h5")


def test_failed_save_leaves_previous_file_and_no_temporary(tmp_path, rng, monkeypatch):
    _, _, path = saved_file(tmp_path, rng)
    previous = path.read_bytes()
    calls = []
    original = h5_weights._to_numpy

    def fail_on_third(weight):
        calls.append(weight)
        if len(calls) == 3:
            raise RuntimeError("device lost")
        return original(weight)

    monkeypatch.setattr(h5_weights, "_to_numpy", fail_on_third)
    with pytest.raises(RuntimeError, match="device lost"):
        save_weights_to_h5(make_model(), path)
    assert path.read_bytes() == previous
    assert os.listdir(tmp_path) == ["model.weights.h5"]


def test_missing_h5py_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match="pip install h5py"):
        save_weights_to_h5(make_model(), tmp_path / "x.h5")


def test_long_attributes_are_chunked_as_keras_2_does(tmp_path):
    values = [f"layer_{i:05d}_" + "x" * 40 for i in range(2000)]  # > 64 KB in all
    path = tmp_path / "attrs.h5"
    with h5py.File(path, "w") as f:
        h5_weights._save_attribute(f, "layer_names", values)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs
        assert h5_weights._load_attribute(f, "layer_names") == values


SavingSequential = kfacade.Sequential  # Model carries WeightsIOMixin
assert issubclass(SavingSequential, WeightsIOMixin)


def test_mixin_save_and_load_weights(tmp_path, rng, monkeypatch):
    model = make_model(cls=SavingSequential)
    values = randomize(model, rng)
    path = tmp_path / "mixin.h5"
    model.save_weights(path)
    fresh = make_model(cls=SavingSequential)
    fresh.load_weights(path)
    for loaded, expected in zip(fresh.get_weights(), values):
        np.testing.assert_array_equal(loaded, expected)
    # overwrite=False asks first; "n" keeps the file.
    previous = path.read_bytes()
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    randomize(model, rng)
    model.save_weights(path, overwrite=False)
    assert path.read_bytes() == previous
    with pytest.raises(ValueError, match="save_format"):
        model.save_weights(path, save_format="tf")
