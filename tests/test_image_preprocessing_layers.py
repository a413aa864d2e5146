"""Resizing, CenterCrop, RandomCrop, RandomContrast, RandomBrightness and
UpSampling2D's interpolations against the NumPy references of
``numpy_reference.py`` (``resize``: half-pixel centres, TensorFlow's kernels),
on the active backend.

The random layers draw from their seed generators, whose streams differ
between backends; their tests check what holds for every draw (the output
is a window of the input; one contrast or brightness change per image, in
the factor's range) and compare those facts with NumPy.
"""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.layers import (
    CenterCrop, RandomBrightness, RandomContrast, RandomCrop, Resizing, UpSampling2D,
)
from kfacade.ops.image import resize

try:
    from tests import numpy_reference as ref
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    import numpy_reference as ref
    from helpers import assert_close
    from layer_testing import run_layer_test

METHODS = ["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"]


def to_numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def images(rng):
    return (rng.random((2, 7, 9, 3)) * 255).astype("float32")


# ------------------------------------------------------------------ resize


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("size", [(14, 20), (3, 4), (5, 9), (7, 23)])
def test_resize_matches_reference(method, size, images):
    # Values up to 255: the float32 tolerance is relative.
    assert_close(resize(images, size, interpolation=method), ref.resize(images, size, method),
                 rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "lanczos3"])
def test_resize_antialias_stretches_the_kernel_when_downsampling(method, images):
    out = resize(images, (3, 4), interpolation=method, antialias=True)
    assert_close(out, ref.resize(images, (3, 4), method, antialias=True), rtol=1e-5, atol=1e-3)
    # Upsampling is unchanged by antialias.
    assert_close(resize(images, (14, 18), interpolation=method, antialias=True),
                 resize(images, (14, 18), interpolation=method), rtol=1e-6, atol=1e-4)


def test_resize_channels_first_and_single_image(images):
    first = np.ascontiguousarray(np.moveaxis(images, -1, 1))
    out = resize(first, (5, 4), interpolation="bicubic", data_format="channels_first")
    assert_close(out, np.moveaxis(ref.resize(images, (5, 4), "bicubic"), -1, 1), atol=1e-3)
    assert_close(resize(images[0], (5, 4)), ref.resize(images[:1], (5, 4))[0], atol=1e-3)


def test_resize_gradient_is_the_transposed_interpolation(images):
    # d sum(resize(x) * g) / dx = the adjoint of the linear map resize.
    from kfacade.backend import adapter as B

    x = kfacade.Variable(images[:1])
    upstream = np.random.default_rng(0).standard_normal((1, 4, 5, 3)).astype("float32")

    def loss():
        return ops.sum(ops.multiply(resize(x.value, (4, 5), interpolation="bicubic"), upstream)), None

    _, (grad,) = B.value_and_grad(loss, [x])
    rows = ref.resize_axis_weights(7, 4, "bicubic")
    cols = ref.resize_axis_weights(9, 5, "bicubic")
    expected = np.zeros((1, 7, 9, 3))
    for o, row in enumerate(rows):
        for p, col in enumerate(cols):
            for i, wi in row.items():
                for j, wj in col.items():
                    expected[0, i, j] += wi * wj * upstream[0, o, p]
    assert_close(grad, expected, atol=1e-4)


def test_resize_errors(images):
    with pytest.raises(ValueError, match="Received: interpolation=cubic"):
        resize(images, (2, 2), interpolation="cubic")
    with pytest.raises(ValueError, match="fill_mode=reflect"):
        resize(images, (2, 2), fill_mode="reflect")
    with pytest.raises(ValueError, match="Only one of"):
        resize(images, (2, 2), crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="rank"):
        resize(images[0, 0], (2, 2))


# ---------------------------------------------------------------- Resizing


@pytest.mark.parametrize("kwargs,input_shape,output_shape", [
    (dict(height=4, width=5), (2, 7, 9, 3), (2, 4, 5, 3)),
    (dict(height=8, width=6, interpolation="bicubic", crop_to_aspect_ratio=True),
     (2, 7, 9, 3), (2, 8, 6, 3)),
    (dict(height=5, width=5, interpolation="area", data_format="channels_first"),
     (2, 3, 7, 9), (2, 3, 5, 5)),
])
def test_resizing_layer_contract(kwargs, input_shape, output_shape):
    run_layer_test(Resizing, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


def test_resizing_aspect_ratio_options(images):
    top, left, h, w = ref.aspect_crop_box(7, 9, 6, 4)
    cropped = Resizing(6, 4, crop_to_aspect_ratio=True)(images)
    assert_close(cropped, ref.resize(images[:, top:top + h, left:left + w], (6, 4)), atol=1e-3)
    # Padding 7 x 9 towards the 1:2 aspect of (4, 8): the 14 columns it needs
    # give (14 - 9) // 2 = 2 columns of fill_value on each side (Keras 3 pads evenly).
    padded = Resizing(4, 8, pad_to_aspect_ratio=True, fill_value=-1.0)(images)
    source = np.pad(images, [(0, 0), (0, 0), (2, 2), (0, 0)], constant_values=-1.0)
    assert_close(padded, ref.resize(source, (4, 8)), atol=1e-3)


def test_resizing_integer_images_round_and_saturate():
    images = np.array([[0, 255, 255, 0], [255, 0, 0, 255]], "uint8").reshape(1, 2, 4, 1)
    out = Resizing(4, 6, interpolation="bicubic")(images)
    assert ops.dtype(out) == "uint8"
    expected = np.clip(np.round(ref.resize(images, (4, 6), "bicubic").astype(np.float64)), 0, 255)
    np.testing.assert_array_equal(to_numpy(out), expected.astype("uint8"))


def test_resizing_errors():
    with pytest.raises(ValueError, match="interpolation=trilinear"):
        Resizing(2, 2, interpolation="trilinear")
    with pytest.raises(ValueError, match="fill_mode=wrap"):
        Resizing(2, 2, fill_mode="wrap")
    with pytest.raises(ValueError, match="Only one of"):
        Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)


# -------------------------------------------------------------- CenterCrop


def test_center_crop_cuts_the_centre_or_resizes(images):
    assert_close(CenterCrop(3, 4)(images), images[:, 2:5, 2:6])
    assert_close(CenterCrop(3, 4)(images[0]), images[0, 2:5, 2:6])
    # Smaller than the target along one axis: aspect-ratio crop, then bilinear resize.
    assert_close(CenterCrop(10, 4)(images), ref.smart_resize(images, (10, 4)), atol=1e-3)
    first = np.ascontiguousarray(np.moveaxis(images, -1, 1))
    assert_close(CenterCrop(3, 4, data_format="channels_first")(first),
                 np.moveaxis(images[:, 2:5, 2:6], -1, 1))


def test_center_crop_layer_contract():
    run_layer_test(CenterCrop, dict(height=3, width=4), input_shape=(2, 6, 6, 2),
                   expected_output_shape=(2, 3, 4, 2), expected_num_trainable_weights=0)


# -------------------------------------------------------------- RandomCrop


def _window_offsets(images, window):
    """Every (top, left) where `window` equals a window of `images`."""
    h, w = window.shape[1:3]
    return [(t, l) for t in range(images.shape[1] - h + 1) for l in range(images.shape[2] - w + 1)
            if np.array_equal(images[:, t:t + h, l:l + w], window)]


def test_random_crop_training_cuts_one_window_for_the_batch(images):
    layer = RandomCrop(4, 5, seed=3)
    offsets = set()
    for _ in range(6):
        out = to_numpy(layer(images, training=True))
        assert out.shape == (2, 4, 5, 3)
        found = _window_offsets(images, out)
        assert len(found) == 1  # the same window in both images
        offsets.add(found[0])
    assert len(offsets) > 1  # the position changes from call to call
    # The seed makes the draws reproducible.
    first = RandomCrop(4, 5, seed=7)(images, training=True)
    again = RandomCrop(4, 5, seed=7)(images, training=True)
    assert_close(first, again)


def test_random_crop_inference_and_small_inputs_resize_the_centre(images):
    layer = RandomCrop(4, 6, seed=1)
    assert_close(layer(images, training=False), ref.smart_resize(images, (4, 6)), atol=1e-3)
    # Not larger than the target along both axes: the same, even in training.
    assert_close(RandomCrop(5, 12)(images, training=True), ref.smart_resize(images, (5, 12)),
                 atol=1e-3)
    model = kfacade.Sequential([kfacade.Input((7, 9, 3)), RandomCrop(4, 6)])
    assert_close(model.predict(images, verbose=0), ref.smart_resize(images, (4, 6)), atol=1e-3)


def test_random_crop_layer_contract():
    run_layer_test(RandomCrop, dict(height=3, width=4, seed=1), input_shape=(2, 6, 6, 2),
                   expected_output_shape=(2, 3, 4, 2), expected_num_trainable_weights=0,
                   call_kwargs={"training": False})


# ------------------------------------------------- RandomContrast, Brightness


def test_random_contrast_scales_each_image_about_its_mean(rng):
    images = (rng.random((4, 5, 6, 3)) * 100 + 50).astype("float32")
    layer = RandomContrast((0.3, 0.5), seed=2)
    out = to_numpy(layer(images, training=True)).astype(np.float64)
    mean = images.astype(np.float64).mean(axis=(1, 2), keepdims=True)
    factors = (out - mean) / (images - mean)  # one factor per image, in [1 - 0.3, 1 + 0.5]
    per_image = factors.reshape(4, -1)
    np.testing.assert_allclose(per_image, per_image[:, :1] * np.ones_like(per_image), rtol=1e-3)
    assert np.all((per_image[:, 0] >= 0.7 - 1e-4) & (per_image[:, 0] <= 1.5 + 1e-4))
    assert len(np.unique(np.round(per_image[:, 0], 4))) > 1
    # A single number f draws in [1 - f, 1 + f]; the output is clipped to value_range.
    clipped = to_numpy(RandomContrast(1.0, value_range=(60, 120), seed=1)(images, training=True))
    assert clipped.min() >= 60 and clipped.max() <= 120
    assert RandomContrast(0.2).factor == (0.2, 0.2)


def test_random_brightness_shifts_each_image(rng):
    images = (rng.random((4, 5, 6, 3)) * 100 + 100).astype("float32")
    out = to_numpy(RandomBrightness(0.1, seed=4)(images, training=True)).astype(np.float64)
    deltas = (out - images).reshape(4, -1)
    np.testing.assert_allclose(deltas, deltas[:, :1] * np.ones_like(deltas), atol=1e-3)
    assert np.all(np.abs(deltas[:, 0]) <= 0.1 * 255 + 1e-3)
    clipped = to_numpy(RandomBrightness((0.9, 1.0), value_range=(0, 1), seed=4)(
        images / 255, training=True))
    np.testing.assert_allclose(clipped, 1.0)  # every pixel pushed past the maximum


@pytest.mark.parametrize("cls,kwargs", [
    (RandomContrast, dict(factor=0.3, seed=1)),
    (RandomBrightness, dict(factor=(-0.2, 0.1), value_range=(0, 1), seed=1)),
])
def test_color_layers_contract_and_inference_identity(cls, kwargs, images):
    np.testing.assert_array_equal(to_numpy(cls(**kwargs)(images, training=False)), images)
    run_layer_test(cls, kwargs, input_shape=(2, 4, 4, 3), expected_output_shape=(2, 4, 4, 3),
                   expected_num_trainable_weights=0, call_kwargs={"training": False})
    single = cls(**kwargs)(images[0], training=True)
    assert tuple(ops.shape(single)) == images[0].shape


def test_color_layer_factor_errors():
    with pytest.raises(ValueError, match=r"range \[0, 1\]. Received: factor=1.5"):
        RandomContrast(1.5)
    with pytest.raises(ValueError, match=r"range \[-1, 1\]. Received: factor=-2"):
        RandomBrightness(-2)
    with pytest.raises(ValueError, match="value_range"):
        RandomBrightness(0.1, value_range=(0, 1, 2))


# ------------------------------------------------------------ UpSampling2D


@pytest.mark.parametrize("method", METHODS)
def test_upsampling2d_interpolations(method, images):
    out = UpSampling2D((2, 3), interpolation=method)(images)
    assert_close(out, ref.resize(images, (14, 27), method), rtol=1e-5, atol=1e-3)
    first = np.ascontiguousarray(np.moveaxis(images, -1, 1))
    out = UpSampling2D(2, data_format="channels_first", interpolation=method)(first)
    assert_close(out, np.moveaxis(ref.resize(images, (14, 18), method), -1, 1), atol=1e-3)


def test_upsampling2d_bicubic_layer_contract():
    run_layer_test(UpSampling2D, dict(size=2, interpolation="bicubic"), input_shape=(2, 3, 4, 2),
                   expected_output_shape=(2, 6, 8, 2), expected_num_trainable_weights=0)
