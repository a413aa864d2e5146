"""Colour ops (``ops.image.rgb_to_grayscale``/``rgb_to_hsv``/``hsv_to_rgb``)
and the colour augmentation layers on the active backend.

The ops are compared with ``colorsys`` and the luma formula; the layers
that are deterministic (AutoContrast, Equalization, and the random ones with
a factor range of one value) with NumPy ports of their formulas; the random
ones for the identity outside training, range, shape, dtype and seeding.
"""
import colorsys

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend.dtypes import standardize_dtype
from kfacade.ops.image import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

#: One image shape for every test: JAX compiles each op once per shape.
SHAPE = (4, 4, 4, 3)
LUMA = np.array([0.2989, 0.5870, 0.1140], dtype="float32")


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def rgb(rng):
    """A batch of RGB images in [0, 1] with a gray, a black and a magenta pixel."""
    images = rng.uniform(0, 1, SHAPE).astype("float32")
    images[0, 0, :3] = [[0.5, 0.5, 0.5], [0, 0, 0], [1, 0, 1]]
    return images


def _per_pixel(fn, images):
    return np.apply_along_axis(lambda p: np.array(fn(*p), dtype="float32"), -1, images)


# ----------------------------------------------------------------- colour ops


def test_rgb_to_grayscale_matches_luma(rgb):
    expected = (rgb @ LUMA)[..., None]
    assert_close(rgb_to_grayscale(rgb), expected)
    assert_close(rgb_to_grayscale(rgb[0]), expected[0])
    first = rgb_to_grayscale(rgb.transpose(0, 3, 1, 2), data_format="channels_first")
    assert_close(first, expected.transpose(0, 3, 1, 2))
    # One channel comes back unchanged; integers keep their dtype (truncated).
    assert_close(rgb_to_grayscale(expected), expected)
    pixels = (rgb * 255).astype("uint8")
    gray = rgb_to_grayscale(pixels)
    assert standardize_dtype(ops.dtype(gray)) == "uint8"
    np.testing.assert_array_equal(_numpy(gray)[..., 0], (pixels.astype("float32") @ LUMA)
                                  .astype("uint8"))


def test_rgb_hsv_round_trip_matches_colorsys(rgb):
    hsv = _per_pixel(colorsys.rgb_to_hsv, rgb)
    assert_close(rgb_to_hsv(rgb), hsv, atol=1e-6)
    assert_close(rgb_to_hsv(rgb.transpose(0, 3, 1, 2), data_format="channels_first"),
                 hsv.transpose(0, 3, 1, 2), atol=1e-6)
    assert_close(hsv_to_rgb(hsv), rgb, atol=1e-6)
    # Hue wraps around: 1 + h is h.
    wrapped = hsv.copy()
    wrapped[..., 0] += 1.0
    assert_close(hsv_to_rgb(wrapped), rgb, atol=1e-5)


def test_colour_ops_errors_and_symbolic_shapes(rgb):
    with pytest.raises(ValueError, match="Invalid images rank: expected rank 3"):
        rgb_to_hsv(rgb[0, 0])
    with pytest.raises(ValueError, match="expected float dtype. Received: images.dtype=uint8"):
        hsv_to_rgb((rgb * 255).astype("uint8"))
    with pytest.raises(ValueError, match="must have 3 channels, but received images with 2"):
        rgb_to_hsv(rgb[..., :2])
    with pytest.raises(ValueError, match="Invalid channel size: expected 3 \\(RGB\\) or 1"):
        rgb_to_grayscale(rgb[..., :2])
    inputs = kfacade.Input((4, 4, 3))
    assert tuple(rgb_to_grayscale(inputs).shape) == (None, 4, 4, 1)
    assert tuple(hsv_to_rgb(rgb_to_hsv(inputs)).shape) == (None, 4, 4, 3)
    assert tuple(rgb_to_grayscale(kfacade.Input((3, 4, 4)), "channels_first").shape) == (
        None, 1, 4, 4)


# ------------------------------------------------------------- layer contract

ALL_LAYERS = [
    (layers.RandomGrayscale, {"seed": 1}),
    (layers.RandomInvert, {"factor": (0.8, 1.0), "seed": 1}),
    (layers.Solarization, {"addition_factor": 0.1, "seed": 1}),
    (layers.RandomPosterization, {"factor": 4, "seed": 1}),
    (layers.AutoContrast, {}),
    (layers.RandomColorDegeneration, {"factor": 0.5, "seed": 1}),
    (layers.RandomSaturation, {"factor": (0.2, 0.5), "seed": 1}),
    (layers.RandomHue, {"factor": 0.5, "seed": 1}),
    (layers.RandomSharpness, {"factor": 0.5, "seed": 1}),
    (layers.RandomColorJitter, {"brightness_factor": 0.2, "contrast_factor": 0.3,
                                "saturation_factor": (0.3, 0.7), "hue_factor": 0.2, "seed": 1}),
    (layers.Equalization, {}),
]


@pytest.mark.parametrize("cls,kwargs", ALL_LAYERS, ids=[c.__name__ for c, _ in ALL_LAYERS])
def test_layer_contract(cls, kwargs):
    run_layer_test(cls, kwargs, input_shape=SHAPE, expected_output_shape=SHAPE,
                   expected_num_trainable_weights=0, call_kwargs={"training": False})


@pytest.fixture
def pixels(rng):
    return rng.uniform(0, 255, SHAPE).astype("float32")


@pytest.mark.parametrize("cls,kwargs", ALL_LAYERS[:4] + ALL_LAYERS[5:],
                         ids=[c.__name__ for c, _ in ALL_LAYERS[:4] + ALL_LAYERS[5:]])
def test_random_layers_identity_range_and_seed(cls, kwargs, pixels):
    layer = cls(**kwargs)
    np.testing.assert_array_equal(_numpy(layer(pixels, training=False)), pixels)
    outputs = _numpy(layer(pixels, training=True))
    assert outputs.shape == pixels.shape and outputs.dtype == np.float32
    assert outputs.min() >= -1e-3 and outputs.max() <= 255 + 1e-3
    assert not np.allclose(outputs, pixels)
    again = _numpy(cls(**kwargs)(pixels, training=True))
    np.testing.assert_array_equal(again, outputs)  # same seed, same draws


# ------------------------------------------------- deterministic vs NumPy


def test_grayscale_invert_solarize_posterize(pixels):
    gray = np.repeat((pixels @ LUMA)[..., None], 3, axis=-1)
    assert_close(layers.RandomGrayscale(1.0)(pixels), gray, atol=1e-4)
    first = layers.RandomGrayscale(1.0, data_format="channels_first")(pixels.transpose(0, 3, 1, 2))
    assert_close(first, gray.transpose(0, 3, 1, 2), atol=1e-4)
    assert_close(layers.RandomInvert((1.0, 1.0))(pixels), 255.0 - pixels)
    assert_close(layers.Solarization()(pixels), 255.0 - pixels)  # threshold 0: every pixel
    unit = pixels / 255.0
    shifted = np.clip(unit * 255.0 + 51.0, 0, 255)
    expected = np.where(shifted < 102.0, shifted, 255.0 - shifted) / 255.0
    solarize = layers.Solarization((0.2, 0.2), (0.4, 0.4), value_range=(0, 1))
    assert_close(solarize(unit), expected, atol=1e-5)
    expected = np.floor(np.floor(pixels) / 16.0) * 16.0  # keep 4 bits
    assert_close(layers.RandomPosterization((4, 4))(pixels), expected)


def test_auto_contrast_stretches_each_channel_always(pixels):
    images = pixels * 0.5 + 20.0
    images[1, ..., 2] = 7.0  # a constant channel stays
    low = images.min(axis=(1, 2), keepdims=True)
    high = images.max(axis=(1, 2), keepdims=True)
    expected = np.where(high > low, (images - low) / np.where(high > low, high - low, 1) * 255,
                        images)
    layer = layers.AutoContrast()
    assert_close(layer(images, training=False), expected, atol=1e-3)
    first = layers.AutoContrast(value_range=(0, 1), data_format="channels_first")
    assert_close(first(images.transpose(0, 3, 1, 2) / 255.0, training=True),
                 expected.transpose(0, 3, 1, 2) / 255.0, atol=1e-5)


def _equalize_numpy(images, bins, value_range):
    """Histogram equalization per channel over the whole batch."""
    out = images.copy()
    for c in range(images.shape[-1]):
        channel = (images[..., c] - value_range[0]) / (value_range[1] - value_range[0]) * 255
        index = np.clip((channel * (bins - 1) / 255).astype(int), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            continue
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        table = np.clip(np.round((cdf - cdf_min) * 255.0 / (cdf[-1] - cdf_min)), 0, 255)
        out[..., c] = table[index] / 255 * (value_range[1] - value_range[0]) + value_range[0]
    return out


def test_equalization_matches_numpy(pixels):
    images = np.round(pixels * 0.3 + 40.0)
    images[..., 1] = 9.0  # one occupied bin: unchanged
    layer = layers.Equalization()
    np.testing.assert_array_equal(_numpy(layer(images, training=False)), images)
    assert_close(layer(images), _equalize_numpy(images, 256, (0, 255)))
    # float32 vs float64 can round a table entry that is nearly k + 1/2 either way.
    unit = images / 255.0
    first = layers.Equalization(value_range=(0, 1), bins=64, data_format="channels_first")
    assert_close(first(unit.transpose(0, 3, 1, 2)),
                 _equalize_numpy(unit, 64, (0, 1)).transpose(0, 3, 1, 2), atol=1.01 / 255)


def test_fixed_factor_colour_strengths(pixels):
    gray = (pixels @ LUMA)[..., None]
    degenerate = layers.RandomColorDegeneration((0.25, 0.25))
    assert_close(degenerate(pixels), pixels + 0.25 * (gray - pixels), atol=1e-3)
    # Saturation factor 0.5 and sharpness 0.5 are no-ops; a hue shift of 0 too.
    assert_close(layers.RandomSaturation((0.5, 0.5))(pixels), pixels, atol=1e-2)
    assert_close(layers.RandomSaturation((0.0, 0.0))(pixels), np.repeat(
        pixels.max(axis=-1, keepdims=True), 3, axis=-1), atol=1e-3)
    assert_close(layers.RandomSharpness((0.5, 0.5))(pixels), pixels, atol=1e-3)
    assert_close(layers.RandomHue((0.0, 0.0))(pixels), pixels, atol=1e-2)
    # A hue shift of half a turn (factor 1, either sign) gives the complement.
    unit = pixels / 255.0
    hsv = _per_pixel(colorsys.rgb_to_hsv, unit)
    hsv[..., 0] = (hsv[..., 0] + 0.5) % 1.0
    assert_close(layers.RandomHue((1.0, 1.0), value_range=(0, 1))(unit),
                 _per_pixel(colorsys.hsv_to_rgb, hsv), atol=1e-4)


def test_color_jitter_trains_in_a_compiled_step(rng):
    images = rng.uniform(0, 1, SHAPE).astype("float32")
    targets = rng.standard_normal((4, 1)).astype("float32")
    jitter = layers.RandomColorJitter(value_range=(0, 1), brightness_factor=0.2,
                                      saturation_factor=(0.3, 0.7), hue_factor=0.2, seed=3)
    model = kfacade.Sequential([kfacade.Input((4, 4, 3)), jitter, layers.Flatten(),
                                layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(images, targets, batch_size=2, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    state = _numpy(jitter.generator.state)
    assert state[0] > 0  # the seed stream advanced inside the compiled step
    np.testing.assert_array_equal(model.predict(images, verbose=0),
                                  model.predict(images, verbose=0))
