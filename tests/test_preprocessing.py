"""NumPy-only preprocessing utilities: sequences, text, images, batch loading.

Every expectation is computed by hand (or by a NumPy one-liner that states
the definition), so these tests pass under any KERAS_BACKEND.
"""
import json
import math
import os
import sys
import threading
import time
import warnings

import numpy as np
import pytest

from kfacade.preprocessing.image import ImageDataGenerator
from kfacade.preprocessing.image import NumpyArrayIterator
from kfacade.preprocessing.image import apply_affine_transform
from kfacade.preprocessing.image import array_to_img
from kfacade.preprocessing.image import img_to_array
from kfacade.preprocessing.image import load_img
from kfacade.preprocessing.sequence import pad_sequences
from kfacade.preprocessing.text import Tokenizer
from kfacade.preprocessing.text import hashing_trick
from kfacade.preprocessing.text import one_hot
from kfacade.preprocessing.text import text_to_word_sequence
from kfacade.preprocessing.text import tokenizer_from_json
from kfacade.utils import PyDataset
from kfacade.utils import Sequence
from kfacade.utils import normalize
from kfacade.utils import to_categorical
from kfacade.utils.batch_loader import iterate_batches


# ---------------------------------------------------------------------------
# pad_sequences
SEQS = [[1, 2, 3], [4, 5], [6]]


def test_pad_sequences_default_pre():
    np.testing.assert_array_equal(
        pad_sequences(SEQS), [[1, 2, 3], [0, 4, 5], [0, 0, 6]]
    )
    assert pad_sequences(SEQS).dtype == np.int32


def test_pad_sequences_post():
    np.testing.assert_array_equal(
        pad_sequences(SEQS, padding="post"), [[1, 2, 3], [4, 5, 0], [6, 0, 0]]
    )


def test_pad_sequences_truncating():
    np.testing.assert_array_equal(
        pad_sequences(SEQS, maxlen=2), [[2, 3], [4, 5], [0, 6]]
    )
    np.testing.assert_array_equal(
        pad_sequences(SEQS, maxlen=2, truncating="post"), [[1, 2], [4, 5], [0, 6]]
    )
    np.testing.assert_array_equal(
        pad_sequences(SEQS, maxlen=2, truncating="post", padding="post"),
        [[1, 2], [4, 5], [6, 0]],
    )


def test_pad_sequences_value_dtype_and_empty():
    out = pad_sequences([[1.5], [], [2.5, 3.5]], dtype="float32", value=-1.0)
    np.testing.assert_array_equal(out, [[-1, 1.5], [-1, -1], [2.5, 3.5]])
    assert out.dtype == np.float32
    assert pad_sequences(SEQS, maxlen=0).shape == (3, 0)
    assert pad_sequences([]).shape == (0, 0)


def test_pad_sequences_nested_and_strings():
    out = pad_sequences([[[1, 1], [2, 2]], [[3, 3]]])
    np.testing.assert_array_equal(out, [[[1, 1], [2, 2]], [[0, 0], [3, 3]]])
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match=r"padding='nonsense'.*'pre', 'post'"):
        pad_sequences(SEQS, padding="nonsense")
    with pytest.raises(ValueError, match=r"truncating='middle'.*'pre', 'post'"):
        pad_sequences(SEQS, truncating="middle")
    with pytest.raises(ValueError, match="non-iterable 7"):
        pad_sequences([[1], 7])
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="shape"):
        pad_sequences([[[1, 1]], [[1, 1, 1]]])


# ---------------------------------------------------------------------------
# to_categorical, normalize
def test_to_categorical_basic():
    out = to_categorical([0, 2, 1])
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert out.dtype == np.float32


def test_to_categorical_shapes():
    assert to_categorical(np.array([[1], [0], [3]])).shape == (3, 4)
    assert to_categorical(np.zeros((2, 3), "int64"), num_classes=5).shape == (2, 3, 5)
    assert to_categorical(np.array([1.0, 0.0]), 2, dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(
        to_categorical(np.array([[1], [0]]), 3), [[0, 1, 0], [1, 0, 0]]
    )


def test_to_categorical_errors_name_the_label():
    with pytest.raises(ValueError, match="received label -1"):
        to_categorical([0, -1, 2])
    with pytest.raises(ValueError, match="num_classes=3; received label 5"):
        to_categorical([0, 5], num_classes=3)
    with pytest.raises(ValueError, match="1.5"):
        to_categorical([0.0, 1.5])
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([], num_classes=None)


def test_normalize():
    out = normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(normalize([[1.0, 3.0]], axis=-1, order=1), [[0.25, 0.75]])
    np.testing.assert_allclose(normalize(np.array([[3.0], [4.0]]), axis=0), [[0.6], [0.8]])


# ---------------------------------------------------------------------------
# Text
TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat and dog"]
# Counts: the 3; cat 2; dog 2; sat, on, mat, ate, my, homework, and 1 each.
# Descending count, ties in order of first appearance.
WORD_INDEX = {
    "the": 1, "cat": 2, "dog": 3, "sat": 4, "on": 5, "mat": 6,
    "ate": 7, "my": 8, "homework": 9, "and": 10,
}


def test_text_to_word_sequence():
    assert text_to_word_sequence("Hello, World!  It's me.") == ["hello", "world", "it's", "me"]
    assert text_to_word_sequence("a-b c", filters="", lower=False) == ["a-b", "c"]
    assert text_to_word_sequence("a,b", split=",", filters="") == ["a", "b"]


def test_tokenizer_vocabulary():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    assert tokenizer.word_index == WORD_INDEX
    assert list(tokenizer.word_index) == list(WORD_INDEX)
    assert tokenizer.index_word == {i: w for w, i in WORD_INDEX.items()}
    assert tokenizer.document_count == 3
    assert list(tokenizer.word_counts.items())[:3] == [("the", 3), ("cat", 2), ("sat", 1)]
    assert tokenizer.word_docs["the"] == 2 and tokenizer.word_docs["dog"] == 2
    assert tokenizer.index_docs[1] == 2


def test_tokenizer_sequences_num_words_and_oov():
    plain = Tokenizer()
    plain.fit_on_texts(TEXTS)
    assert plain.texts_to_sequences(["the cat and the bird"]) == [[1, 2, 10, 1]]
    limited = Tokenizer(num_words=4)
    limited.fit_on_texts(TEXTS)
    assert limited.texts_to_sequences(["the cat and the bird"]) == [[1, 2, 1]]

    oov = Tokenizer(oov_token="<OOV>")
    oov.fit_on_texts(TEXTS)
    assert oov.word_index["<OOV>"] == 1 and oov.word_index["the"] == 2
    assert oov.word_index["and"] == 11
    assert oov.texts_to_sequences(["the cat and the bird"]) == [[2, 3, 11, 2, 1]]
    assert oov.sequences_to_texts([[2, 3, 11, 2, 1]]) == ["the cat and the <OOV>"]

    both = Tokenizer(num_words=4, oov_token="<OOV>")
    both.fit_on_texts(TEXTS)
    assert both.texts_to_sequences(["the cat and the bird"]) == [[2, 3, 1, 2, 1]]
    assert both.sequences_to_texts([[2, 3, 11]]) == ["the cat <OOV>"]


def test_tokenizer_matrix_modes():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts(TEXTS)
    expected = {
        "binary": {1: 1.0, 2: 1.0},
        "count": {1: 2.0, 2: 1.0},
        "freq": {1: 2 / 3, 2: 1 / 3},
        # (1 + ln count) * ln(1 + documents / (1 + documents with word)):
        # 'the' is in 2 of 3 documents, 'cat' in 2 of 3.
        "tfidf": {
            1: (1 + math.log(2)) * math.log(1 + 3 / 3),
            2: 1.0 * math.log(1 + 3 / 3),
        },
    }
    for mode, cells in expected.items():
        matrix = tokenizer.texts_to_matrix(["the cat the"], mode=mode)
        want = np.zeros((1, 11))
        for column, value in cells.items():
            want[0, column] = value
        np.testing.assert_allclose(matrix, want, err_msg=mode)
    with pytest.raises(ValueError, match="mode='bogus'"):
        tokenizer.texts_to_matrix(["x"], mode="bogus")
    with pytest.raises(ValueError, match="num_words"):
        Tokenizer().texts_to_matrix(["x"])
    assert Tokenizer(num_words=5).sequences_to_matrix([[1, 7, 1]], mode="count").tolist() == [
        [0, 2, 0, 0, 0]
    ]


def test_tokenizer_char_level_and_token_lists():
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abca", "Cb"])
    assert chars.word_index == {"a": 1, "b": 2, "c": 3}
    assert chars.texts_to_sequences(["cab"]) == [[3, 1, 2]]
    pre_split = Tokenizer()
    pre_split.fit_on_texts([["Hello", "world"], ["hello"]])
    assert pre_split.word_index == {"hello": 1, "world": 2}


def test_tokenizer_json_round_trip():
    tokenizer = Tokenizer(num_words=6, oov_token="<unk>")
    tokenizer.fit_on_texts(TEXTS)
    config = json.loads(tokenizer.to_json())
    assert config["class_name"] == "Tokenizer"
    restored = tokenizer_from_json(tokenizer.to_json())
    assert restored.word_index == tokenizer.word_index
    assert restored.index_word == tokenizer.index_word
    assert restored.document_count == 3 and restored.num_words == 6
    assert restored.texts_to_sequences(TEXTS) == tokenizer.texts_to_sequences(TEXTS)
    np.testing.assert_allclose(
        restored.texts_to_matrix(TEXTS, mode="tfidf"),
        tokenizer.texts_to_matrix(TEXTS, mode="tfidf"),
    )
    restored.fit_on_texts(["new words"])  # restored state stays usable
    assert "new" in restored.word_index


def test_one_hot_and_hashing_trick():
    codes = one_hot("The cat. the CAT dog", 20)
    assert len(codes) == 5 and all(1 <= c < 20 for c in codes)
    assert codes[0] == codes[2] and codes[1] == codes[3]
    import hashlib

    expected = int(hashlib.md5(b"the").hexdigest(), 16) % 19 + 1
    assert codes[0] == expected
    assert hashing_trick("a b", 10, hash_function=len) == [2, 2]
    with pytest.raises(ValueError, match="n=1"):
        one_hot("a", 1)


# ---------------------------------------------------------------------------
# Images: each transform on a small image, against a hand-computed result.
def gray(array):
    """A (h, w) array as a channels_last image (h, w, 1)."""
    return np.asarray(array, dtype="float32")[..., None]


RAMP = gray(np.arange(12).reshape(3, 4))  # value = 4 * row + column


def test_horizontal_and_vertical_flip_exact():
    generator = ImageDataGenerator(horizontal_flip=True, vertical_flip=True)
    flipped = generator.apply_transform(RAMP, {"flip_horizontal": True})
    np.testing.assert_array_equal(flipped[..., 0], RAMP[:, ::-1, 0])
    flipped = generator.apply_transform(RAMP, {"flip_vertical": True})
    np.testing.assert_array_equal(flipped[..., 0], RAMP[::-1, :, 0])
    # Random flips: each output is the original or its mirror, and both occur.
    seen = set()
    for seed in range(20):
        out = ImageDataGenerator(horizontal_flip=True).random_transform(RAMP, seed=seed)
        if np.array_equal(out, RAMP):
            seen.add("same")
        else:
            np.testing.assert_array_equal(out, RAMP[:, ::-1])
            seen.add("flipped")
    assert seen == {"same", "flipped"}


def test_width_shift_one_pixel_constant_fill():
    generator = ImageDataGenerator(fill_mode="constant", cval=0.0)
    left = generator.apply_transform(RAMP, {"tx": 1})
    np.testing.assert_array_equal(
        left[..., 0], [[1, 2, 3, 0], [5, 6, 7, 0], [9, 10, 11, 0]]
    )
    right = generator.apply_transform(RAMP, {"tx": -1})
    np.testing.assert_array_equal(
        right[..., 0], [[0, 0, 1, 2], [0, 4, 5, 6], [0, 8, 9, 10]]
    )
    up = generator.apply_transform(RAMP, {"ty": 1})
    np.testing.assert_array_equal(
        up[..., 0], [[4, 5, 6, 7], [8, 9, 10, 11], [0, 0, 0, 0]]
    )
    # A width shift range of [1] pixel shifts columns, by -1 or +1.
    shifter = ImageDataGenerator(width_shift_range=[1], fill_mode="constant", cval=-5)
    seen = set()
    for seed in range(12):
        out = shifter.random_transform(RAMP, seed=seed)
        if out[0, 3, 0] == -5:
            np.testing.assert_array_equal(out[:, :3], RAMP[:, 1:])
            seen.add("left")
        else:
            np.testing.assert_array_equal(out[:, 1:], RAMP[:, :3])
            assert np.all(out[:, 0] == -5)
            seen.add("right")
    assert seen == {"left", "right"}


def test_height_shift_moves_rows():
    generator = ImageDataGenerator(height_shift_range=[1], fill_mode="constant", cval=-5)
    out = generator.random_transform(RAMP, seed=0)
    moved_up = np.array_equal(out[:2], RAMP[1:]) and np.all(out[2] == -5)
    moved_down = np.array_equal(out[1:], RAMP[:2]) and np.all(out[0] == -5)
    assert moved_up or moved_down


def test_shift_range_forms():
    # float < 1: a fraction of the size; int n: integers in (-n, n).
    fraction = ImageDataGenerator(width_shift_range=0.25, height_shift_range=0.5)
    for seed in range(10):
        params = fraction.get_random_transform((4, 8, 1), seed=seed)
        assert abs(params["tx"]) <= 2.0 and abs(params["ty"]) <= 2.0
    integer = ImageDataGenerator(width_shift_range=2)
    shifts = {integer.get_random_transform((4, 8, 1), seed=s)["tx"] for s in range(40)}
    assert shifts <= {-1, 0, 1} and len(shifts) > 1
    pixels = ImageDataGenerator(width_shift_range=3.0)
    for seed in range(10):
        assert abs(pixels.get_random_transform((4, 8, 1), seed=seed)["tx"]) <= 3.0


def test_fill_modes_on_a_shift():
    row = gray([[1, 2, 3, 4]])
    expected = {
        "nearest": [2, 3, 4, 4],
        "constant": [2, 3, 4, 9],
        "reflect": [2, 3, 4, 4],
        "wrap": [2, 3, 4, 1],
    }
    for mode, want in expected.items():
        generator = ImageDataGenerator(fill_mode=mode, cval=9)
        np.testing.assert_array_equal(
            generator.apply_transform(row, {"tx": 1})[0, :, 0], want, err_msg=mode
        )
    two = {"reflect": [3, 4, 4, 3], "wrap": [3, 4, 1, 2], "nearest": [3, 4, 4, 4]}
    for mode, want in two.items():
        generator = ImageDataGenerator(fill_mode=mode)
        np.testing.assert_array_equal(
            generator.apply_transform(row, {"tx": 2})[0, :, 0], want, err_msg=mode
        )


def test_rotation_exact_quarter_turn_and_45_degrees():
    # Keras 2's own expectations: +90 degrees turns counter-clockwise.
    image = gray([[0, 1], [0, 0]])
    out = apply_affine_transform(image, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_allclose(out[..., 0], [[1, 0], [0, 0]], atol=1e-6)
    square = gray(np.arange(16).reshape(4, 4))
    out = ImageDataGenerator().apply_transform(square, {"theta": 90})
    np.testing.assert_allclose(out, np.rot90(square, k=1, axes=(0, 1)), atol=1e-5)
    ones = np.ones((3, 3, 3))
    out = apply_affine_transform(
        ones, theta=45, row_axis=0, col_axis=1, channel_axis=2, fill_mode="constant"
    )
    corners = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], dtype=float)
    np.testing.assert_allclose(out, np.repeat(corners[..., None], 3, axis=2), atol=1e-6)


def test_zoom_on_a_linear_ramp():
    # Bilinear interpolation reproduces a linear ramp, so zoom zx about the
    # centre c maps column j to value zx * (j - c) + c exactly.
    ramp = gray(np.tile(np.arange(4.0), (4, 1)))
    out = ImageDataGenerator().apply_transform(ramp, {"zx": 0.5, "zy": 1})
    np.testing.assert_allclose(out[0, :, 0], [0.75, 1.25, 1.75, 2.25], atol=1e-6)
    np.testing.assert_allclose(out[:, 0, 0], [0.75] * 4, atol=1e-6)
    zoomer = ImageDataGenerator(zoom_range=[0.5, 0.5])
    params = zoomer.get_random_transform((4, 4, 1), seed=0)
    assert params["zx"] == 0.5 and params["zy"] == 0.5
    assert ImageDataGenerator(zoom_range=0.2).zoom_range == [0.8, 1.2]
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=[1, 2, 3])


def test_shear_on_a_linear_ramp():
    # Shear s maps output (row r, column c) to column c - sin(s) (r - cy).
    size = 5
    ramp = gray(np.tile(np.arange(float(size)), (size, 1)))
    out = ImageDataGenerator().apply_transform(ramp, {"shear": 30})
    for r in range(size):
        for c in range(size):
            source = c - 0.5 * (r - 2)
            if 0 <= source <= size - 1:
                assert out[r, c, 0] == pytest.approx(source, abs=1e-6)


def test_channel_shift_and_brightness():
    image = np.stack([np.zeros((2, 2)), np.full((2, 2), 3.0)], axis=-1).astype("float32")
    out = ImageDataGenerator().apply_transform(image, {"channel_shift_intensity": 1.0})
    np.testing.assert_array_equal(out[..., 0], np.ones((2, 2)))
    np.testing.assert_array_equal(out[..., 1], np.full((2, 2), 3.0))  # clipped to max
    bright = ImageDataGenerator().apply_transform(gray([[10, 100]]), {"brightness": 2.0})
    np.testing.assert_allclose(bright[..., 0], [[20, 200]])


def test_rescale_and_samplewise():
    generator = ImageDataGenerator(rescale=1 / 255)
    x = np.full((2, 2, 1), 255, "uint8")
    np.testing.assert_allclose(generator.standardize(x), np.ones((2, 2, 1)))
    assert x[0, 0, 0] == 255  # input not modified
    centred = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True)
    out = centred.standardize(gray([[1, 3], [1, 3]]))
    np.testing.assert_allclose(out[..., 0], [[-1, 1], [-1, 1]], atol=1e-5)


def test_preprocessing_function_runs_before_rescale():
    generator = ImageDataGenerator(preprocessing_function=lambda im: im + 1, rescale=2)
    np.testing.assert_array_equal(generator.standardize(gray([[1]])), gray([[4]]))


def test_featurewise_center_and_std_after_fit():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[1.0, -2.0, 5.0], scale=[1.0, 2.0, 0.5], size=(50, 4, 4, 3))
    generator = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    generator.fit(x)
    assert generator.mean.shape == (1, 1, 3)
    np.testing.assert_allclose(generator.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(generator.std.ravel(), x.std(axis=(0, 1, 2)), rtol=1e-4)
    out = generator.standardize(x)
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)


def test_featurewise_center_without_fit_warns():
    generator = ImageDataGenerator(featurewise_center=True)
    with pytest.warns(UserWarning, match="hasn't been fit"):
        generator.standardize(gray([[1.0]]))
    with pytest.warns(UserWarning, match="overrides"):
        ImageDataGenerator(featurewise_std_normalization=True)


def test_zca_whitening_decorrelates():
    rng = np.random.default_rng(1)
    mixing = rng.normal(size=(9, 9))
    x = (rng.normal(size=(400, 9)) @ mixing).reshape(400, 3, 3, 1)
    with pytest.warns(UserWarning, match="zca_whitening"):
        generator = ImageDataGenerator(zca_whitening=True)
    generator.fit(x)
    assert generator.featurewise_center
    white = generator.standardize(x).reshape(400, 9).astype("float64")
    covariance = white.T @ white / 400
    np.testing.assert_allclose(covariance, np.eye(9), atol=2e-3)


def test_fit_and_flow_reject_wrong_rank():
    generator = ImageDataGenerator(featurewise_center=True)
    with pytest.raises(ValueError, match=r"\(4, 4\)"):
        generator.fit(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"\(5, 4, 4\)"):
        generator.flow(np.zeros((5, 4, 4)))


def test_flow_batches_shapes_and_count():
    x = np.arange(10 * 2 * 2, dtype="float32").reshape(10, 2, 2, 1)
    y = np.arange(10)
    batches = ImageDataGenerator().flow(x, y, batch_size=4, shuffle=False)
    assert isinstance(batches, Sequence) and isinstance(batches, NumpyArrayIterator)
    assert len(batches) == 3
    shapes = [batches[i][0].shape for i in range(3)]
    assert shapes == [(4, 2, 2, 1), (4, 2, 2, 1), (2, 2, 2, 1)]
    np.testing.assert_array_equal(batches[2][1], [8, 9])
    np.testing.assert_array_equal(batches[2][0], x[8:])
    with pytest.raises(IndexError):
        batches[3]

    weighted = ImageDataGenerator().flow(x, y, batch_size=5, sample_weight=np.ones(10))
    assert len(weighted[0]) == 3
    only_x = ImageDataGenerator().flow(x, batch_size=5)
    assert only_x[1].shape == (5, 2, 2, 1)
    misc = ImageDataGenerator().flow((x, np.arange(10.0)), y, batch_size=5, shuffle=False)
    inputs, labels = misc[1]
    assert inputs[0].shape == (5, 2, 2, 1) and inputs[1].tolist() == [5, 6, 7, 8, 9]


def test_flow_shuffles_each_epoch_and_iterates_forever():
    x = np.arange(8, dtype="float32").reshape(8, 1, 1, 1)
    batches = ImageDataGenerator().flow(x, np.arange(8), batch_size=8, seed=3)
    first = batches[0][1].tolist()
    assert sorted(first) == list(range(8))
    batches.on_epoch_end()
    assert sorted(batches[0][1].tolist()) == list(range(8))
    # next() wraps around epochs like Keras 2's iterators.
    looping = ImageDataGenerator().flow(x, batch_size=3, shuffle=False)
    sizes = [len(next(looping)) for _ in range(4)]
    assert sizes == [3, 3, 2, 3]


def test_flow_validation_split_subsets():
    x = np.zeros((10, 2, 2, 1), "float32")
    y = np.array([0, 1] * 5)
    generator = ImageDataGenerator(validation_split=0.2)
    validation = generator.flow(x, y, batch_size=4, subset="validation")
    training = generator.flow(x, y, batch_size=4, subset="training")
    assert validation.n == 2 and len(validation) == 1
    assert training.n == 8 and len(training) == 2
    with pytest.raises(ValueError, match="different classes"):
        generator.flow(x, np.array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1]), subset="training")
    with pytest.raises(ValueError, match="subset='test'"):
        generator.flow(x, y, subset="test")
    with pytest.raises(ValueError, match="validation_split=1.5"):
        ImageDataGenerator(validation_split=1.5)


def test_flow_augments_with_seed_reproducibly():
    rng = np.random.default_rng(2)
    x = rng.random((6, 5, 5, 3)).astype("float32")
    generator = ImageDataGenerator(rotation_range=30, width_shift_range=0.2, zoom_range=0.1)
    a = generator.flow(x, batch_size=3, seed=7, shuffle=True)
    b = generator.flow(x, batch_size=3, seed=7, shuffle=True)
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], x[:3])
    # Parallel reading gives the same batches (per-batch seeds).
    parallel = list(iterate_batches(a, workers=2))
    for index, batch in enumerate(parallel):
        np.testing.assert_array_equal(batch, b[index])


def test_channels_first():
    generator = ImageDataGenerator(data_format="channels_first", fill_mode="constant")
    image = np.arange(12, dtype="float32").reshape(1, 3, 4)
    out = generator.apply_transform(image, {"tx": 1, "flip_vertical": True})
    np.testing.assert_array_equal(out[0], [[9, 10, 11, 0], [5, 6, 7, 0], [1, 2, 3, 0]])
    generator.fit(np.ones((2, 3, 4, 4)))
    with pytest.raises(ValueError, match="data_format='nchw'"):
        ImageDataGenerator(data_format="nchw")


def test_scipy_is_needed_only_by_geometric_transforms(monkeypatch):
    # SciPy is imported on the first rotation/shift/shear/zoom, not before.
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    image = np.arange(12, dtype="float32").reshape(3, 4, 1)
    generator = ImageDataGenerator(horizontal_flip=True, fill_mode="wrap")
    flipped = generator.apply_transform(image, {"flip_horizontal": True})
    np.testing.assert_array_equal(flipped[..., 0], image[:, ::-1, 0])
    with pytest.raises(ImportError, match="need SciPy"):
        generator.apply_transform(image, {"tx": 1})


def test_integer_shifts_match_numpy_roll_for_every_order():
    # SciPy's "grid-wrap" tiles with the image's own period, so an integer
    # shift under fill_mode="wrap" is a roll, whatever the interpolation.
    image = np.random.default_rng(3).random((5, 6, 2))
    for order in (0, 1):
        generator = ImageDataGenerator(fill_mode="wrap", interpolation_order=order)
        moved = generator.apply_transform(image, {"tx": 2, "ty": -1})
        np.testing.assert_allclose(
            moved, np.roll(image, (1, -2), axis=(0, 1)), atol=1e-12, err_msg=f"order={order}"
        )


def test_invalid_fill_mode():
    with pytest.raises(ValueError, match="fill_mode='mirror'"):
        ImageDataGenerator(fill_mode="mirror")


def test_img_to_array_and_pil_errors(monkeypatch):
    assert img_to_array(np.zeros((4, 5))).shape == (4, 5, 1)
    assert img_to_array(np.zeros((4, 5, 3)), data_format="channels_first").shape == (3, 4, 5)
    assert img_to_array(np.zeros((2, 2, 3), "uint8")).dtype == np.float32
    with pytest.raises(ValueError, match=r"\(2,\)"):
        img_to_array(np.zeros(2))
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match="pip install pillow"):
        load_img("missing.png")
    with pytest.raises(ImportError, match="pip install pillow"):
        array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="rank 3"):
        array_to_img(np.zeros((2, 2)))


# ---------------------------------------------------------------------------
# Sequence, PyDataset and iterate_batches.
class Numbered(Sequence):
    """Batch i is (i, pid); reads take a varying time so workers finish out
    of order."""

    def __init__(self, count, delay=0.0):
        self.count = count
        self.delay = delay

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        if not 0 <= index < self.count:
            raise IndexError(index)
        if self.delay:
            time.sleep(self.delay * ((index * 7) % 3))
        return index, os.getpid()


class Recording(Sequence):
    """Remembers which batches were read (threads share the list)."""

    def __init__(self, count):
        self.count = count
        self.read = []
        self.lock = threading.Lock()

    def __len__(self):
        return self.count

    def __getitem__(self, index):
        with self.lock:
            self.read.append(index)
        time.sleep(0.002)
        return index


class Failing(Sequence):
    def __len__(self):
        return 6

    def __getitem__(self, index):
        if index == 3:
            raise RuntimeError("batch 3 is broken")
        return index


def test_sequence_protocol():
    data = Numbered(4)
    assert [batch[0] for batch in data] == [0, 1, 2, 3]
    data.on_epoch_end()
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Sequence())


def test_pydataset_attributes_and_num_batches():
    class Squares(PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 3

        def __getitem__(self, index):
            return index * index

    data = Squares(workers=3, use_multiprocessing=True, max_queue_size=4)
    assert (data.workers, data.use_multiprocessing, data.max_queue_size) == (3, True, 4)
    assert data.num_batches == 3 and list(data) == [0, 1, 4]
    assert isinstance(data, Sequence)

    class Endless(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, index):
            if index >= 5:
                raise IndexError(index)
            return index

    endless = Endless()  # no super().__init__(): defaults still work
    assert endless.workers == 1 and endless.max_queue_size == 10
    assert list(iterate_batches(endless, workers=2, max_queue_size=2)) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="workers=-1"):
        PyDataset(workers=-1)
    with pytest.raises(NotImplementedError, match="num_batches"):
        PyDataset().num_batches


def test_iterate_batches_in_order_with_threads():
    data = Numbered(20, delay=0.002)
    batches = list(iterate_batches(data, workers=4, max_queue_size=3))
    assert [index for index, _ in batches] == list(range(20))
    order = list(iterate_batches(Numbered(20), workers=2, shuffle=True, seed=0))
    indices = [index for index, _ in order]
    assert sorted(indices) == list(range(20)) and indices != list(range(20))
    again = [i for i, _ in iterate_batches(Numbered(20), workers=2, shuffle=True, seed=0)]
    assert again == indices
    single = [i for i, _ in iterate_batches(Numbered(5), workers=1)]
    assert single == [0, 1, 2, 3, 4]


def test_iterate_batches_with_processes():
    data = Numbered(12, delay=0.002)
    with warnings.catch_warnings():
        # Frameworks warn that fork() follows their threads; batches are NumPy.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        batches = list(
            iterate_batches(data, workers=2, use_multiprocessing=True, max_queue_size=4)
        )
    assert [index for index, _ in batches] == list(range(12))
    assert {pid for _, pid in batches} - {os.getpid()}, "no batch came from a worker"
    # An early stop shuts the process pool down promptly.
    start = time.monotonic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        stream = iterate_batches(Numbered(10**9), workers=2, use_multiprocessing=True)
        assert next(stream)[0] == 0 and next(stream)[0] == 1
        stream.close()
    assert time.monotonic() - start < 30


def test_unpicklable_dataset_falls_back_to_threads():
    data = Recording(6)  # holds a lock: cannot be pickled
    with pytest.warns(RuntimeWarning, match="cannot be pickled"):
        batches = list(iterate_batches(data, workers=2, use_multiprocessing=True))
    assert batches == list(range(6))


def test_iterate_batches_early_stop_is_bounded_and_clean():
    data = Recording(10**9)  # far too large to materialise
    before = {t for t in threading.enumerate() if t.name.startswith("kfacade-batches")}
    stream = iterate_batches(data, workers=2, max_queue_size=3)
    taken = [next(stream) for _ in range(4)]
    assert taken == [0, 1, 2, 3]
    stream.close()
    assert len(data.read) <= 4 + 3 + 2
    time.sleep(0.05)
    after = {t for t in threading.enumerate() if t.name.startswith("kfacade-batches")}
    assert not (after - before), "worker threads survived close()"
    for batch in iterate_batches(Numbered(10**9), workers=2):
        break  # a for-loop break closes the generator too


def test_iterate_batches_propagates_errors():
    stream = iterate_batches(Failing(), workers=2, max_queue_size=2)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(RuntimeError, match="batch 3 is broken"):
        next(stream)
    with pytest.raises(RuntimeError, match="batch 3 is broken"):
        list(iterate_batches(Failing(), workers=1))


# ---------------------------------------------------------------------------
# Where the Keras 2 shims live.
def test_keras2_paths_serve_the_legacy_objects():
    import kfacade
    from kfacade.legacy.preprocessing import image_data_generator, text

    assert ImageDataGenerator is image_data_generator.ImageDataGenerator
    assert Tokenizer is text.Tokenizer
    assert kfacade.preprocessing.sequence.pad_sequences is pad_sequences
    assert kfacade.utils.img_to_array is img_to_array


def test_only_public_namespaces_import_legacy_preprocessing():
    import ast
    import pathlib

    import kfacade

    package = pathlib.Path(kfacade.__file__).resolve().parent
    allowed = {package / "preprocessing", package / "legacy"}
    offenders = []
    for path in package.rglob("*.py"):
        if any(folder in path.parents for folder in allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.startswith("kfacade.legacy.preprocessing") for name in names):
                offenders.append(f"{path.relative_to(package)}:{node.lineno}")
    assert offenders == [], (
        "kfacade.legacy.preprocessing is imported below the public namespaces "
        f"at {offenders}; expected only kfacade/preprocessing/ to serve it."
    )
