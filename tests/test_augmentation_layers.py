"""Image augmentation layers and Rescaling on the active backend.

Random layers must be the identity unless ``training=True``; with factors
whose range is a single value the draw is deterministic, and the settings
below make the expected images exact (integer pixel shifts, quarter and half
turns, a 2x zoom onto integer coordinates). ``affine_transform`` itself is
compared with a NumPy port of Keras 3's ``map_coordinates`` (JAX/torch
backends) for every fill mode and interpolation.
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers.preprocessing import (
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
)
from kfacade.ops.image import affine_transform

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

RANDOM_LAYERS = [
    (RandomFlip, {"seed": 1}),
    (RandomRotation, {"factor": 0.2, "seed": 1}),
    (RandomTranslation, {"height_factor": 0.2, "width_factor": 0.3, "seed": 1}),
    (RandomZoom, {"height_factor": 0.3, "seed": 1}),
]


@pytest.fixture
def images(rng):
    return rng.standard_normal((4, 8, 8, 3)).astype("float32")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


# --------------------------------------------------- inference is identity


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS)
def test_identity_unless_training(cls, kwargs, images):
    layer = cls(**kwargs)
    np.testing.assert_array_equal(_numpy(layer(images, training=False)), images)
    np.testing.assert_array_equal(_numpy(layer(images[0], training=False)), images[0])
    # A model's predict runs in inference mode.
    model = kfacade.Sequential([kfacade.Input((8, 8, 3)), cls(**kwargs)])
    np.testing.assert_array_equal(model.predict(images, verbose=0), images)
    # Training draws a change (and keeps the shape, batched or not).
    changed = _numpy(layer(images, training=True))
    assert changed.shape == images.shape
    assert _numpy(layer(images[0], training=True)).shape == images[0].shape


@pytest.mark.parametrize("cls,kwargs", RANDOM_LAYERS)
def test_layer_contract(cls, kwargs):
    run_layer_test(cls, kwargs, input_shape=(2, 6, 6, 2), expected_output_shape=(2, 6, 6, 2),
                   expected_num_trainable_weights=0, call_kwargs={"training": False})


# -------------------------------------------------------------- RandomFlip


@pytest.mark.parametrize("mode,flip", [
    ("horizontal", lambda x: x[:, ::-1]),
    ("vertical", lambda x: x[::-1]),
    ("horizontal_and_vertical", lambda x: x[::-1, ::-1]),
])
def test_random_flip_gives_original_or_flipped(mode, flip, rng):
    images = rng.standard_normal((16, 5, 6, 2)).astype("float32")
    outputs = _numpy(RandomFlip(mode, seed=42)(images, training=True))
    flipped = []
    for image, output in zip(images, outputs):
        is_original = np.array_equal(output, image)
        is_flipped = np.array_equal(output, flip(image))
        assert is_original or is_flipped, f"{mode}: an image is neither kept nor flipped"
        flipped.append(is_flipped)
    assert any(flipped) and not all(flipped)  # 16 fair draws: both outcomes


def test_random_flip_seeded_is_reproducible_and_channels_first(rng):
    images = rng.standard_normal((8, 2, 4, 5)).astype("float32")  # channels_first
    first = _numpy(RandomFlip("horizontal", seed=5, data_format="channels_first")(images))
    second = _numpy(RandomFlip("horizontal", seed=5, data_format="channels_first")(images))
    np.testing.assert_array_equal(first, second)
    for image, output in zip(images, first):
        assert np.array_equal(output, image) or np.array_equal(output, image[:, :, ::-1])


# -------------------------------------------------------- RandomTranslation


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_random_translation_integer_shift_constant_fill(images, interpolation):
    # 0.25 * 8 = 2 rows down, -0.125 * 8 = 1 column left: integer source points.
    layer = RandomTranslation((0.25, 0.25), (-0.125, -0.125), fill_mode="constant",
                              interpolation=interpolation, seed=0)
    expected = np.roll(images, (2, -1), axis=(1, 2))
    expected[:, :2] = 0.0
    expected[:, :, -1:] = 0.0
    assert_close(layer(images, training=True), expected)


def test_random_translation_wrap_is_roll(images):
    layer = RandomTranslation((-0.5, -0.5), (0.375, 0.375), fill_mode="wrap",
                              interpolation="nearest")
    expected = np.roll(images, (-4, 3), axis=(1, 2))
    np.testing.assert_array_equal(_numpy(layer(images, training=True)), expected)


# ----------------------------------------------------------- RandomRotation


def test_random_rotation_half_turn(images):
    layer = RandomRotation((0.5, 0.5), interpolation="nearest", fill_mode="constant")
    np.testing.assert_array_equal(_numpy(layer(images, training=True)), images[:, ::-1, ::-1])


def test_random_rotation_quarter_turn_counter_clockwise(images):
    layer = RandomRotation((0.25, 0.25), interpolation="nearest", fill_mode="constant")
    expected = np.rot90(images, k=1, axes=(1, 2))
    np.testing.assert_array_equal(_numpy(layer(images, training=True)), expected)


# --------------------------------------------------------------- RandomZoom


def test_random_zoom_out_by_two(rng):
    images = rng.standard_normal((2, 5, 5, 2)).astype("float32")
    # Factor 1.0 samples over twice the size: source point 2 * i - 2.
    layer = RandomZoom((1.0, 1.0), fill_mode="constant", fill_value=-1.0)
    expected = np.full_like(images, -1.0)
    expected[:, 1:4, 1:4] = images[:, 0::2, 0::2]
    assert_close(layer(images, training=True), expected)


# ------------------------------------------------------- affine_transform


def _reflect_index(index, size):
    period = 2 * size
    index = np.mod(index, period)
    return np.where(index >= size, period - 1 - index, index)


def _np_affine_transform(images, transform, interpolation, fill_mode, fill_value):
    """Keras 3's map_coordinates rule per output pixel, in float64."""
    batch, height, width, _ = images.shape
    ys, xs = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    out = np.zeros(images.shape)
    for b in range(batch):
        a0, a1, a2, b0, b1, b2, c0, c1 = transform[b].astype("float64")
        k = c0 * xs + c1 * ys + 1
        x_src, y_src = (a0 * xs + a1 * ys + a2) / k, (b0 * xs + b1 * ys + b2) / k
        if interpolation == "nearest":
            y_nodes = [(np.round(y_src).astype(int), np.ones(y_src.shape))]
            x_nodes = [(np.round(x_src).astype(int), np.ones(x_src.shape))]
        else:
            y0, x0 = np.floor(y_src), np.floor(x_src)
            y_nodes = [(y0.astype(int), 1 - (y_src - y0)), (y0.astype(int) + 1, y_src - y0)]
            x_nodes = [(x0.astype(int), 1 - (x_src - x0)), (x0.astype(int) + 1, x_src - x0)]
        for y, wy in y_nodes:
            for x, wx in x_nodes:
                if fill_mode == "reflect":
                    fy, fx = _reflect_index(y, height), _reflect_index(x, width)
                elif fill_mode == "wrap":
                    fy, fx = np.mod(y, height), np.mod(x, width)
                else:
                    fy, fx = np.clip(y, 0, height - 1), np.clip(x, 0, width - 1)
                value = images[b][fy, fx].astype("float64")
                if fill_mode == "constant":
                    inside = (y >= 0) & (y < height) & (x >= 0) & (x < width)
                    value = np.where(inside[..., None], value, fill_value)
                out[b] += (wy * wx)[..., None] * value
    return out


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_matches_numpy_for_every_fill_mode(rng, interpolation):
    images = rng.standard_normal((3, 6, 7, 2)).astype("float32")
    angle = rng.uniform(-3, 3, 3)
    transform = np.stack([
        1.2 * np.cos(angle), -np.sin(angle), rng.uniform(-4, 4, 3),
        np.sin(angle), 0.9 * np.cos(angle), rng.uniform(-4, 4, 3),
        np.zeros(3), np.zeros(3),
    ], axis=1).astype("float32")
    for fill_mode in ("reflect", "wrap", "constant", "nearest"):
        expected = _np_affine_transform(images, transform, interpolation, fill_mode, 0.5)
        actual = affine_transform(images, transform, interpolation, fill_mode, fill_value=0.5)
        if interpolation == "nearest":
            # A source point within float32 rounding of a half-integer may
            # round either way (fused multiply-adds): allow a rare pixel.
            wrong = np.abs(_numpy(actual) - expected).max(axis=-1) > 1e-5
            assert wrong.mean() < 0.02, fill_mode
        else:
            assert_close(actual, expected, err_msg=fill_mode)


def test_reflect_fill_mirrors_about_the_edge(rng):
    images = rng.standard_normal((1, 4, 4, 1)).astype("float32")
    shift_right = np.array([[1, 0, -2, 0, 1, 0, 0, 0]], "float32")  # source x - 2
    actual = _numpy(affine_transform(images, shift_right, "nearest", "reflect"))
    # d c b a | a b c d: columns -2, -1 read columns 1, 0.
    expected = images[:, :, [1, 0, 0, 1]]
    np.testing.assert_array_equal(actual, expected)


# ----------------------------------------------------------------- Rescaling


def test_rescaling_is_exact_and_always_active(rng):
    pixels = rng.integers(0, 256, (2, 3, 3, 3)).astype("uint8")
    layer = Rescaling(1.0 / 127.5, offset=-1.0)
    expected = pixels.astype("float32") * np.float32(1.0 / 127.5) + np.float32(-1.0)
    for training in (False, True):
        out = layer(pixels, training=training)
        assert ops.dtype(out) == "float32"
        np.testing.assert_array_equal(_numpy(out), expected)
    per_channel = Rescaling([1.0, 2.0, 0.5], offset=[0.0, 1.0, -1.0])
    scale, offset = np.array([1.0, 2.0, 0.5], "float32"), np.array([0.0, 1.0, -1.0], "float32")
    np.testing.assert_array_equal(_numpy(per_channel(pixels)), pixels.astype("float32") * scale + offset)
    run_layer_test(Rescaling, {"scale": 0.5, "offset": 2.0}, input_shape=(2, 3, 3, 3),
                   expected_output=None, expected_num_trainable_weights=0)


# ----------------------------------------------- compiled steps and errors


def test_augmentations_run_inside_compiled_steps(rng):
    # The backend's compiled step (jax.jit / tf.function / torch), as fit uses it.
    from kfacade.backend import adapter

    x = adapter.convert_to_tensor(rng.standard_normal((4, 6, 6, 2)).astype("float32"))
    model = kfacade.Sequential([
        kfacade.Input((6, 6, 2)),
        Rescaling(0.5),
        RandomFlip(seed=1),
        RandomRotation(0.1, seed=2),
        RandomTranslation(0.1, 0.1, seed=3),
        RandomZoom(0.1, seed=4),
    ])
    step = adapter.compile_function(
        lambda data: {"out": model(data, training=True)}, model.variables, False)
    first, second = (_numpy(step(x)["out"]) for _ in range(2))
    assert first.shape == (4, 6, 6, 2) and np.all(np.isfinite(first))
    # Each step draws new transforms.
    assert not np.allclose(first, second)


def test_augmentation_errors():
    with pytest.raises(NotImplementedError, match="Unknown `fill_mode` bogus"):
        RandomRotation(0.1, fill_mode="bogus")
    with pytest.raises(NotImplementedError, match="Unknown `interpolation` cubic"):
        RandomZoom(0.1, interpolation="cubic")
    with pytest.raises(ValueError, match=r"Received: input_number=1.5"):
        RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match=r"Received: input_number=-1.0"):
        RandomZoom((-1.0, 0.0))
    with pytest.raises(ValueError, match=r"Received: factor=\(0.1, 0.2, 0.3\)"):
        RandomRotation((0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match=r"Received: mode='diagonal'"):
        RandomFlip("diagonal")
