"""`keras.saving.KerasFileEditor`: reads the weights of .keras and .weights.h5 files
(kfacade's and real Keras 3's), edits them, and writes a .weights.h5 that loads into a
model of the edited structure; compare() against a model; errors name the problem."""
import os
import zipfile

import numpy as np
import pytest

import kfacade
from kfacade import layers as L
from kfacade.saving import KerasFileEditor, keras3_weights, keras_zip

from conftest import BACKEND

HERE = os.path.dirname(os.path.abspath(__file__))
REAL_KERAS = os.path.join(HERE, "fixtures", "real_keras", f"keras3_{BACKEND}")


def original_model(compiled=False):
    """Dense(4) -> BatchNormalization -> Dense(2) on 3 features: paths layers/dense,
    layers/batch_normalization, layers/dense_1 (and optimizer when compiled)."""
    model = kfacade.Sequential([kfacade.Input((3,)), L.Dense(4), L.BatchNormalization(),
                                L.Dense(2)])
    if compiled:
        model.compile(optimizer="adam", loss="mse")
        model.optimizer.build(model.trainable_variables)
    return model


def edited_model():
    """The original with a new Dense(3) in front, no BatchNormalization and no bias
    at the end: paths layers/dense (new), layers/dense_1 (was dense), layers/dense_2."""
    return kfacade.Sequential([kfacade.Input((3,)), L.Dense(3), L.Dense(4),
                               L.Dense(2, use_bias=False)])


def saved_arrays(model):
    """{object path: [arrays]} of a model, as a Keras 3 file would hold them."""
    return {path: [np.asarray(v.numpy()) for v in variables]
            for path, _, variables in keras3_weights.object_paths(model) if variables}


def test_reads_a_kfacade_keras_file(tmp_path, capsys):
    model = original_model(compiled=True)
    path = str(tmp_path / "model.keras")
    model.save(path)
    editor = KerasFileEditor(path)
    assert editor.config["class_name"] == "Sequential"
    assert editor.metadata["keras_version"] == keras_zip.KERAS_FORMAT_VERSION
    for object_path, arrays in saved_arrays(model).items():
        node = editor.weights_dict
        for part in object_path.split("/"):
            node = node[part]
        assert list(node) == [str(i) for i in range(len(arrays))]
        for i, array in enumerate(arrays):
            np.testing.assert_array_equal(node[str(i)], array)
    assert len(editor.weights_dict["optimizer"]) == len(model.optimizer.variables)
    assert editor.object_metadata["layers/dense_1"]["name"] == model.layers[-1].name

    capsys.readouterr()
    editor.summary()
    printed = capsys.readouterr().out
    assert printed.startswith("Weights structure")
    for text in ("layers", "batch_normalization", "dense_1", "optimizer",
                 "0: shape=(3, 4), dtype=float32", "└─ "):
        assert text in printed

    result = editor.compare(model)
    expected = len(model.weights) + len(model.optimizer.variables)
    assert result == {"status": "success", "error_count": 0, "match_count": expected}
    assert f"Found {expected} matching weights" in capsys.readouterr().out


def test_edit_then_load_into_the_edited_model(tmp_path, capsys):
    """Insert a layer in front (rename the two Dense objects up, add the new one),
    delete the BatchNormalization, the last bias and the optimizer state; the saved
    file loads into `edited_model()` with each array where the edit put it."""
    model = original_model(compiled=True)
    source = str(tmp_path / "original.weights.h5")
    model.save_weights(source)
    before = saved_arrays(model)
    target = edited_model()
    editor = KerasFileEditor(source)

    capsys.readouterr()
    result = editor.compare(target)
    printed = capsys.readouterr().out
    # Before the edit: both kernels and both biases differ in shape, and layers/dense_2
    # (in the model), batch_normalization and optimizer (in the file) are one-sided.
    assert result["status"] == "error" and result["error_count"] == 4 + 3
    assert result["match_count"] == 0
    assert "Object layers/dense_2 present in reference model, missing from saved file" in printed
    assert "Weight shape mismatch for layers/dense/0" in printed

    rng = np.random.default_rng(0)
    new_kernel = rng.normal(size=(3, 3)).astype("float32")
    new_bias = rng.normal(size=(3,)).astype("float32")
    editor.delete_object("batch_normalization")
    editor.rename_object("layers/dense_1", "dense_2")
    editor.rename_object("dense", "dense_1")  # unique by its last part
    editor.add_object("layers/dense", {"0": new_kernel})
    editor.add_weights("layers/dense", {"1": new_bias})
    editor.delete_weight("dense_2", "1")
    editor.delete_object("optimizer")
    assert list(editor.weights_dict["layers"]["dense_2"]) == ["0"]
    assert editor.object_metadata["layers/dense_2"]["name"] == model.layers[-1].name

    result = editor.compare(target)
    assert result == {"status": "success", "error_count": 0,
                      "match_count": len(target.weights)}
    out = str(tmp_path / "edited.weights.h5")
    editor.save(out)
    assert sorted(os.listdir(tmp_path)) == ["edited.weights.h5", "original.weights.h5"]
    kfacade.saving.load_weights(target, out)
    expected = {"layers/dense": [new_kernel, new_bias],
                "layers/dense_1": before["layers/dense"],
                "layers/dense_2": before["layers/dense_1"][:1]}
    for path, arrays in saved_arrays(target).items():
        for got, want in zip(arrays, expected[path], strict=True):
            np.testing.assert_array_equal(got, want)
    # The source file is untouched, and resave_weights writes the same file.
    assert sorted(KerasFileEditor(source).weights_dict["layers"]) == sorted(
        ["dense", "batch_normalization", "dense_1"])
    editor.resave_weights(out)
    assert KerasFileEditor(out).compare(target)["status"] == "success"


def test_nested_objects_keep_their_weights(tmp_path):
    """An LSTM's cell lies under layers/lstm/cell (the LSTM has no weights of its
    own); it survives the round trip, and a name used twice must be a path."""
    inner = kfacade.Sequential([L.Dense(2)])
    model = kfacade.Sequential([kfacade.Input((4, 3)), L.LSTM(3), L.Dense(2), inner])
    path = str(tmp_path / "nested.weights.h5")
    model.save_weights(path)
    editor = KerasFileEditor(path)
    assert len(editor.weights_dict["layers"]["lstm"]["cell"]) == 3
    with pytest.raises(ValueError, match="occurs more than once"):
        editor.delete_object("dense")
    editor.rename_object("layers/sequential/layers/dense", "dense_0")
    editor.rename_object("layers/sequential/layers/dense_0", "dense")
    out = str(tmp_path / "resaved.weights.h5")
    editor.save(out)
    restored = kfacade.Sequential([kfacade.Input((4, 3)), L.LSTM(3), L.Dense(2),
                                   kfacade.Sequential([L.Dense(2)])])
    kfacade.saving.load_weights(restored, out)
    for got, want in zip(restored.weights, model.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(got.numpy()), np.asarray(want.numpy()))


@pytest.mark.skipif(not os.path.isdir(REAL_KERAS),
                    reason=f"no real Keras 3 fixtures for {BACKEND} in {REAL_KERAS}")
def test_reads_a_file_real_keras_wrote(tmp_path):
    """tests/fixtures/real_keras/keras3_<backend>/mlp.keras (Keras 3.15.1): its
    weights, moved to a .weights.h5 without the optimizer, give Keras's predictions."""
    editor = KerasFileEditor(os.path.join(REAL_KERAS, "mlp.keras"))
    assert editor.metadata["keras_version"].startswith("3.")
    assert editor.config["class_name"] == "Sequential"
    model = kfacade.Sequential([kfacade.Input((5,)), L.Dense(4, activation="relu"), L.Dense(3)])
    result = editor.compare(model)
    assert result["error_count"] == 1  # the optimizer state, which `model` has not
    assert result["match_count"] == len(model.weights)
    editor.delete_object("optimizer")
    assert editor.compare(model)["status"] == "success"
    out = str(tmp_path / "mlp.weights.h5")
    editor.save(out)
    kfacade.saving.load_weights(model, out)
    data = np.load(os.path.join(REAL_KERAS, "mlp.npz"))
    predicted = kfacade.ops.convert_to_numpy(model(data["x0"]))
    np.testing.assert_allclose(predicted, data["y0"], rtol=1e-5, atol=1e-5)


def test_errors_name_the_problem(tmp_path):
    model = original_model()
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    editor = KerasFileEditor(path)
    with pytest.raises(ValueError, match=r"expected a `.keras` `.weights.h5` extension"):
        KerasFileEditor(str(tmp_path / "model.h5"))
    with pytest.raises(FileNotFoundError, match="no_such.weights.h5"):
        KerasFileEditor(str(tmp_path / "no_such.weights.h5"))
    truncated = tmp_path / "truncated.keras"
    model.save(str(tmp_path / "whole.keras"))
    truncated.write_bytes((tmp_path / "whole.keras").read_bytes()[:200])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        KerasFileEditor(str(truncated))
    not_h5 = tmp_path / "zip.weights.h5"
    with zipfile.ZipFile(not_h5, "w") as archive:
        archive.writestr("x", "y")
    with pytest.raises(ValueError, match="zip.weights.h5"):
        KerasFileEditor(str(not_h5))
    legacy = str(tmp_path / "legacy.weights.h5")
    kfacade.saving.save_weights_to_h5(model, legacy)
    with pytest.raises(ValueError, match="Keras 2's layout"):
        KerasFileEditor(legacy)

    with pytest.raises(ValueError, match="Path 'layers/nope' not found"):
        editor.delete_object("layers/nope")
    with pytest.raises(ValueError, match="Source name 'nope' does not appear"):
        editor.rename_object("nope", "other")
    with pytest.raises(ValueError, match="already exists"):
        editor.rename_object("layers/dense", "dense_1")
    with pytest.raises(ValueError, match="leaf name"):
        editor.rename_object("layers/dense", "layers/other")
    with pytest.raises(ValueError, match="is a weight, not an object"):
        editor.delete_object("layers/dense/0")
    with pytest.raises(ValueError, match=r"Weight 7 not found in object dense. Weights found"):
        editor.delete_weight("dense", "7")
    with pytest.raises(ValueError, match="already exists"):
        editor.add_object("layers/dense", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="Path 'model/layers' not found"):
        editor.add_object("model/layers/dense", {"0": np.zeros(2)})
    with pytest.raises(ValueError, match="should be a dict"):
        editor.add_weights("dense", [np.zeros(2)])
    with pytest.raises(ValueError, match=r"already has the weights \['1'\]"):
        editor.add_weights("dense", {"1": np.zeros(2)})
    with pytest.raises(ValueError, match="expected a `.weights.h5` extension"):
        editor.save(str(tmp_path / "out.keras"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        editor.save(str(tmp_path / "missing" / "out.weights.h5"))
    with pytest.raises(TypeError, match="reference_model"):
        editor.compare({"layers": {}})
    # Nothing above changed the file's contents.
    assert sorted(editor.weights_dict["layers"]) == ["batch_normalization", "dense", "dense_1"]
