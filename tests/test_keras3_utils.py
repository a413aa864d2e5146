"""`kfacade.utils` (Keras 3's `keras.utils`): sequences, splits, the `*_dataset_from_*`
functions, images, `Config`, and the graph helpers.

The expected file orders, texts, windows and labels below are what Keras 3.15
(`format="tf"`) gives for the same folders, arguments and seeds; kfacade returns
them as NumPy batches (see docs/compatibility.md).
"""
import os
import random

import numpy as np
import pytest

import kfacade as keras
from kfacade import utils
from kfacade.utils import directory_datasets


# ---------------------------------------------------------------- pad_sequences & co
def test_pad_sequences_keras3_path():
    sequences = [[1], [2, 3], [4, 5, 6]]
    assert utils.pad_sequences(sequences).tolist() == [[0, 0, 1], [0, 2, 3], [4, 5, 6]]
    assert utils.pad_sequences(sequences, value=-1).tolist() == [[-1, -1, 1], [-1, 2, 3],
                                                                 [4, 5, 6]]
    assert utils.pad_sequences(sequences, padding="post").tolist() == [[1, 0, 0], [2, 3, 0],
                                                                       [4, 5, 6]]
    assert utils.pad_sequences(sequences, maxlen=2).tolist() == [[0, 1], [2, 3], [5, 6]]
    assert utils.pad_sequences(sequences, maxlen=2, truncating="post").tolist() == [
        [0, 1], [2, 3], [4, 5]]
    padded = utils.pad_sequences([[0.5, 1.5]], maxlen=3, dtype="float32")
    assert padded.dtype == np.float32 and padded.tolist() == [[0.0, 0.5, 1.5]]
    strings = utils.pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert strings.tolist() == [["a", "b"], ["<pad>", "c"]]
    with pytest.raises(ValueError, match="padding='middle'"):
        utils.pad_sequences(sequences, padding="middle")
    with pytest.raises(ValueError, match="truncating"):
        utils.pad_sequences(sequences, truncating="middle")
    with pytest.raises(ValueError, match="not compatible"):
        utils.pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="non-iterable"):
        utils.pad_sequences([1, 2])
    assert keras.preprocessing.sequence.pad_sequences is utils.pad_sequences  # Keras 2's path


def test_to_categorical_and_normalize_keras3_path():
    assert utils.to_categorical([0, 2], num_classes=3).tolist() == [[1, 0, 0], [0, 0, 1]]
    np.testing.assert_allclose(utils.normalize(np.array([[3.0, 4.0]])), [[0.6, 0.8]])


def test_pack_and_unpack_x_y_sample_weight():
    assert utils.unpack_x_y_sample_weight((1, 2, 3)) == (1, 2, 3)
    assert utils.unpack_x_y_sample_weight([1, 2]) == (1, 2, None)
    assert utils.unpack_x_y_sample_weight((1,)) == (1, None, None)
    assert utils.unpack_x_y_sample_weight({"a": 1}) == ({"a": 1}, None, None)
    with pytest.raises(ValueError, match="sample_weight"):
        utils.unpack_x_y_sample_weight((1, 2, 3, 4))
    assert utils.pack_x_y_sample_weight(1) == 1
    assert utils.pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    assert utils.pack_x_y_sample_weight(1, 2) == (1, 2)
    assert utils.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)


def test_config_container():
    cfg = utils.Config(learning_rate=0.1, momentum=0.9)
    cfg.seed = 123
    cfg["batch"] = 8
    assert (cfg.learning_rate, cfg["seed"], cfg.get("missing", 5), len(cfg)) == (0.1, 123, 5, 4)
    assert list(cfg) == ["batch", "learning_rate", "momentum", "seed"]
    assert cfg.as_dict()["momentum"] == 0.9 and '"seed": 123' in cfg.to_json()
    with pytest.raises(AttributeError, match="Did you mean 'momentum'"):
        cfg.momentun
    cfg.freeze()
    assert cfg.frozen
    with pytest.raises(ValueError, match="frozen"):
        cfg.seed = 1
    with pytest.raises(ValueError, match="frozen"):
        del cfg["seed"]
    cfg.unfreeze()
    cfg.pop("seed")
    assert "seed" not in cfg


def test_graph_helpers_and_clear_session():
    first, second = keras.Input((3,)), keras.Input((2,))
    merged = keras.layers.Concatenate()([keras.layers.Dense(2)(first), second])
    output = keras.layers.Dense(1)(merged)
    sources = utils.get_source_inputs(output)
    assert len(sources) == 2 and sources[0] is first and sources[1] is second
    assert utils.get_source_inputs(first)[0] is first
    assert utils.is_keras_tensor(output) and not utils.is_keras_tensor(np.ones(2))
    assert utils.standardize_dtype(np.float32) == "float32"
    utils.clear_session()
    assert keras.layers.Dense(1).name == "dense"


# ---------------------------------------------------------------- split_dataset
def test_split_dataset_fractions_counts_and_structures():
    x = np.arange(10)
    left, right = utils.split_dataset(x, left_size=0.6, shuffle=True, seed=3)
    assert left.tolist() == [1, 5, 6, 0, 9, 4] and right.tolist() == [7, 2, 8, 3]  # Keras 3's
    (lx, ly), (rx, ry) = utils.split_dataset((x, x * 2), left_size=3, right_size=4)
    assert lx.tolist() == [0, 1, 2] and rx.tolist() == [6, 7, 8, 9]  # the middle is left out
    assert ly.tolist() == [0, 2, 4] and ry.tolist() == [12, 14, 16, 18]
    left, right = utils.split_dataset({"a": x.reshape(5, 2), "b": [x[:5]]}, right_size=0.4)
    assert left["a"].shape == (3, 2) and right["b"][0].tolist() == [3, 4]
    left, right = utils.split_dataset([x, x], right_size=2)
    assert isinstance(left, list) and left[1].tolist() == list(range(8))


def test_split_dataset_shuffle_is_python_random_of_the_seed():
    indices = list(range(50))
    random.Random(11).shuffle(indices)
    left, right = utils.split_dataset(np.arange(50), left_size=30, shuffle=True, seed=11)
    assert left.tolist() == indices[:30] and right.tolist() == indices[30:]


def test_split_dataset_of_a_pydataset_keeps_its_batch_size():
    class Batches(utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            x = np.arange(index * 4, min(index * 4 + 4, 10), dtype="float32")
            return x[:, None], x * 10

    left, right = utils.split_dataset(Batches(), left_size=0.7)
    assert isinstance(left, utils.PyDataset) and len(left) == 2 and len(right) == 1
    x0, y0 = left[0]
    assert x0.shape == (4, 1) and y0.tolist() == [0, 10, 20, 30]
    assert right[0][0][:, 0].tolist() == [7, 8, 9]


@pytest.mark.parametrize("kwargs, error, match", [
    ({}, ValueError, "At least one"),
    ({"left_size": 0, "right_size": 0}, ValueError, "Both"),
    ({"left_size": 10}, ValueError, "smaller than 10"),
    ({"left_size": 1.5}, ValueError, "left_size=1.5"),
    ({"left_size": 0.7, "right_size": 0.5}, ValueError, "greater than 1"),
    ({"left_size": 6, "right_size": 6}, ValueError, "smaller than the 10"),
    ({"left_size": 0.01}, ValueError, "will be empty"),
    ({"left_size": "half"}, TypeError, "left_size"),
])
def test_split_dataset_size_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        utils.split_dataset(np.arange(10), **kwargs)


def test_split_dataset_input_errors():
    with pytest.raises(ValueError, match="different lengths"):
        utils.split_dataset((np.arange(4), np.arange(5)), left_size=2)
    with pytest.raises(TypeError, match="NumPy array"):
        utils.split_dataset(5, left_size=2)
    with pytest.raises(ValueError, match="numpy.ndarray"):
        utils.split_dataset(([1, 2, 3],), left_size=1)


# ---------------------------------------------------------------- timeseries
def test_timeseries_windows_targets_and_order():
    data, targets = np.arange(20), np.arange(20) * 10
    dataset = utils.timeseries_dataset_from_array(
        data, targets, sequence_length=4, sequence_stride=3, sampling_rate=2, batch_size=2,
        start_index=1, end_index=18)
    batches = [(x.tolist(), y.tolist()) for x, y in dataset]
    assert batches == [([[1, 3, 5, 7], [4, 6, 8, 10]], [10, 40]),
                       ([[7, 9, 11, 13], [10, 12, 14, 16]], [70, 100])]
    single = utils.timeseries_dataset_from_array(np.arange(20).reshape(10, 2), None,
                                                 sequence_length=3, batch_size=None)
    assert len(single) == 8 and single[0].tolist() == [[0, 1], [2, 3], [4, 5]]
    assert single[7].tolist() == [[14, 15], [16, 17], [18, 19]]


def test_timeseries_shuffle_uses_the_seeded_start_positions():
    data = np.arange(30)
    dataset = utils.timeseries_dataset_from_array(data, data, sequence_length=5, batch_size=4,
                                                  shuffle=True, seed=9)
    starts = np.arange(26, dtype="int32")
    np.random.RandomState(9).shuffle(starts)
    windows = np.concatenate([x for x, _ in dataset])
    targets = np.concatenate([y for _, y in dataset])
    assert windows[:, 0].tolist() == starts.tolist() and targets.tolist() == starts.tolist()
    np.testing.assert_array_equal(windows, starts[:, None] + np.arange(5))


@pytest.mark.parametrize("kwargs, match", [
    ({"start_index": -1}, "start_index"), ({"start_index": 10}, "start_index"),
    ({"start_index": 5, "end_index": 4}, "end_index"), ({"end_index": 10}, "end_index"),
    ({"sampling_rate": 0}, "sampling_rate"), ({"sequence_stride": 10}, "sequence_stride"),
    ({"format": "torch"}, "format"),
])
def test_timeseries_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=2, **kwargs)


def test_fit_reads_a_timeseries_dataset():
    data = np.linspace(0, 1, 40, dtype="float32")[:, None]
    dataset = utils.timeseries_dataset_from_array(data[:-3], data[3:, 0], sequence_length=3,
                                                  batch_size=8)
    model = keras.Sequential([keras.Input((3, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


# ---------------------------------------------------------------- directories
CLASSES = (("cat", 5), ("dog", 4), ("zebra", 3))
#: Keras 3.15's `file_paths` for `_make_tree`'s folder (relative to it).
KERAS_ORDER_SEED_7 = ["dog/dog_3.png", "zebra/zebra_0.png", "cat/cat_2.png", "dog/dog_0.png",
                      "cat/cat_0.png", "cat/cat_1.png", "zebra/zebra_2.png", "dog/dog_2.png",
                      "zebra/zebra_1.png", "cat/cat_3.png", "dog/dog_1.png",
                      "dog/sub/deep.png", "cat/cat_4.png"]


def _make_tree(root, extension):
    """class folders cat (5 files), dog (4 + one in dog/sub), zebra (3), and a stray .md."""
    for name, count in CLASSES:
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(count):
            with open(os.path.join(root, name, f"{name}_{i}{extension}"), "w") as f:
                f.write(f"{name} text {i}")
    os.makedirs(os.path.join(root, "dog", "sub"))
    with open(os.path.join(root, "dog", "sub", f"deep{extension}"), "w") as f:
        f.write("deep dog")
    with open(os.path.join(root, "cat", "notes.md"), "w") as f:
        f.write("ignored")
    return str(root)


@pytest.fixture
def fake_images(monkeypatch):
    """Reads a ".png" of `_make_tree` as a (6, 8, channels) image whose pixels encode the
    file's text, so that the tests need no image decoder."""
    def read(path, color_mode):
        with open(path) as f:
            code = sum(f.read().encode()) % 200
        channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]
        return np.full((6, 8, channels), code, dtype="uint8")

    monkeypatch.setattr(directory_datasets, "_read_image", read)
    return read


def _relative(paths, root):
    return [os.path.relpath(p, root).replace(os.sep, "/") for p in paths]


def test_image_dataset_order_labels_and_shapes(tmp_path, fake_images, capsys):
    root = _make_tree(tmp_path, ".png")
    dataset = utils.image_dataset_from_directory(root, seed=7, batch_size=4, image_size=(3, 4))
    assert "Found 13 files belonging to 3 classes." in capsys.readouterr().out
    assert _relative(dataset.file_paths, root) == KERAS_ORDER_SEED_7
    assert dataset.class_names == ["cat", "dog", "zebra"] and len(dataset) == 4
    images, labels = dataset[0]
    assert images.shape == (4, 3, 4, 3) and images.dtype == np.float32
    assert labels.dtype == np.int32 and labels.tolist() == [1, 2, 0, 1]
    all_labels = np.concatenate([y for _, y in dataset])
    expected = [["cat", "dog", "zebra"].index(p.split("/")[0]) for p in KERAS_ORDER_SEED_7]
    assert all_labels.tolist() == expected
    first = fake_images(dataset.file_paths[0], "rgb")  # a constant image stays constant
    np.testing.assert_allclose(images[0], np.full((3, 4, 3), first[0, 0, 0], "float32"))


def test_image_dataset_split_modes_and_formats(tmp_path, fake_images):
    root = _make_tree(tmp_path, ".png")
    train, val = utils.image_dataset_from_directory(
        root, seed=7, batch_size=4, validation_split=0.25, subset="both", image_size=5,
        label_mode="categorical", verbose=False)
    assert _relative(train.file_paths, root) == KERAS_ORDER_SEED_7[:10]
    assert _relative(val.file_paths, root) == KERAS_ORDER_SEED_7[10:]
    images, labels = val[0]
    assert images.shape == (3, 5, 5, 3) and labels.tolist() == [[0, 1, 0], [0, 1, 0], [1, 0, 0]]
    only = utils.image_dataset_from_directory(
        root, shuffle=False, class_names=["zebra", "cat"], label_mode="binary",
        color_mode="grayscale", data_format="channels_first", image_size=(2, 3), batch_size=None,
        verbose=False)
    assert [p.split("/")[0] for p in _relative(only.file_paths, root)] == ["zebra"] * 3 + [
        "cat"] * 5
    image, label = only[0]
    assert image.shape == (1, 2, 3) and label.tolist() == [0.0] and only[7][1].tolist() == [1.0]
    unlabeled = utils.image_dataset_from_directory(root, labels=None, shuffle=False,
                                                   image_size=(2, 2), verbose=False,
                                                   crop_to_aspect_ratio=True)
    assert unlabeled.class_names is None and len(unlabeled) == 1
    assert unlabeled[0].shape == (13, 2, 2, 3)  # images only, no labels
    validation = utils.image_dataset_from_directory(
        root, seed=7, validation_split=0.25, subset="validation", image_size=(2, 2),
        pad_to_aspect_ratio=True, verbose=False, format="grain")
    assert _relative(validation.file_paths, root) == KERAS_ORDER_SEED_7[10:]


@pytest.mark.parametrize("kwargs, match", [
    ({"labels": "folders"}, "`labels` argument"),
    ({"labels": [0] * 13, "class_names": ["a"]}, "class_names"),
    ({"label_mode": "sparse"}, "label_mode"),
    ({"color_mode": "cmyk"}, "color_mode"),
    ({"image_size": (1, 2, 3)}, "image_size"),
    ({"interpolation": "cubic"}, "interpolation"),
    ({"crop_to_aspect_ratio": True, "pad_to_aspect_ratio": True}, "Only one"),
    ({"format": "torch"}, "format"),
    ({"validation_split": 0.2, "subset": "training"}, "seed"),
    ({"validation_split": 1.5, "subset": "training", "seed": 1}, "between 0 and 1"),
    ({"subset": "training"}, "validation_split"),
    ({"label_mode": "binary"}, "exactly 2"),
    ({"class_names": ["cat", "cow"]}, "did not match"),
    ({"labels": [0, 1]}, "lengths of `labels`"),
])
def test_image_dataset_argument_errors(tmp_path, fake_images, kwargs, match):
    root = _make_tree(tmp_path, ".png")
    with pytest.raises(ValueError, match=match):
        utils.image_dataset_from_directory(root, verbose=False, **kwargs)


def test_fit_reads_an_image_dataset(tmp_path, fake_images):
    root = _make_tree(tmp_path, ".png")
    dataset = utils.image_dataset_from_directory(root, seed=1, batch_size=5, image_size=(4, 4),
                                                 verbose=False)
    model = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert np.isfinite(model.fit(dataset, epochs=1, verbose=0).history["loss"][0])


def test_text_dataset_matches_keras3(tmp_path):
    root = _make_tree(tmp_path, ".txt")
    dataset = utils.text_dataset_from_directory(root, shuffle=False, batch_size=5, max_length=7,
                                                label_mode="categorical", verbose=False)
    batches = [(x.tolist(), y.tolist()) for x, y in dataset]
    assert batches[0] == (["cat tex"] * 5, [[1.0, 0.0, 0.0]] * 5)
    assert batches[1] == (["dog tex"] * 4 + ["deep do"], [[0.0, 1.0, 0.0]] * 5)
    assert batches[2] == (["zebra t"] * 3, [[0.0, 0.0, 1.0]] * 3)
    texts = utils.text_dataset_from_directory(root, shuffle=False, batch_size=None, labels=None,
                                              verbose=False)
    assert [texts[i] for i in range(len(texts))] == (
        [f"cat text {i}" for i in range(5)] + [f"dog text {i}" for i in range(4)]
        + ["deep dog"] + [f"zebra text {i}" for i in range(3)])
    train, val = utils.text_dataset_from_directory(root, seed=7, validation_split=0.25,
                                                   subset="both", verbose=False)
    assert train.class_names == ["cat", "dog", "zebra"]
    val_texts, val_labels = val[0]
    assert val_texts.tolist() == ["dog text 1", "deep dog", "cat text 4"]  # Keras 3's order
    assert val_labels.tolist() == [1, 1, 0] and val_labels.dtype == np.int32
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="No text files"):
        utils.text_dataset_from_directory(str(tmp_path / "empty"), labels=None, verbose=False)


# ---------------------------------------------------------------- images with Pillow
def test_save_img_and_image_dataset_with_pillow(tmp_path):
    pytest.importorskip("PIL", reason="Pillow (PIL) is not installed")
    rng = np.random.default_rng(0)
    for name in ("a", "b"):
        os.makedirs(tmp_path / name)
        for i in range(2):
            utils.save_img(str(tmp_path / name / f"{i}.png"),
                           rng.integers(0, 256, (6, 5, 3)).astype("float32"), scale=False)
    loaded = utils.img_to_array(utils.load_img(str(tmp_path / "a" / "0.png")))
    assert loaded.shape == (6, 5, 3)
    dataset = utils.image_dataset_from_directory(str(tmp_path), shuffle=False, batch_size=4,
                                                 image_size=(6, 5), verbose=False)
    images, labels = dataset[0]
    np.testing.assert_allclose(images[0], loaded)  # same size: resizing is the identity
    assert labels.tolist() == [0, 0, 1, 1]
    with pytest.warns(UserWarning, match="converting to RGB"):
        utils.save_img(str(tmp_path / "x.jpg"), np.zeros((4, 4, 4)))  # JPEG has no alpha
    assert os.path.getsize(tmp_path / "x.jpg") > 0
