"""``kfacade.ops.image`` (geometry, patches, filters) against NumPy/SciPy
references: ``scipy.ndimage`` for sampling and filters, NumPy slicing for
crops, pads and patches, and the ``tf.image.resize`` values kept in
``test_image_resize.py``."""
import numpy as np
import pytest

from kfacade import Input, ops
from kfacade.ops import image

try:
    from tests.helpers import assert_close
    from tests.test_image_resize import IMAGE, TF_RESIZED
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from test_image_resize import IMAGE, TF_RESIZED

ndimage = pytest.importorskip("scipy.ndimage", reason="scipy (the sampling and filter references)")

#: kfacade's fill modes as scipy names them (JAX's map_coordinates semantics).
SCIPY_MODES = {"constant": "grid-constant", "nearest": "nearest", "wrap": "grid-wrap",
               "mirror": "mirror", "reflect": "reflect"}


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_public_names_and_signatures():
    import kfacade.ops.image as module
    assert module is image
    for name in ("affine_transform", "crop_images", "elastic_transform", "extract_patches",
                 "extract_patches_3d", "gaussian_blur", "map_coordinates", "pad_images",
                 "perspective_transform", "resize", "scale_and_translate", "sobel_edges", "ssim"):
        assert callable(getattr(image, name)), name


# Not bicubic: tf.image.resize's bicubic differs from Keras 3's JAX and kfacade's
# (scale_and_translate's Keys kernel) by up to ~0.1 on this 0..250 image.
@pytest.mark.parametrize("method", ["bilinear", "nearest", "area", "lanczos3"])
def test_resize_matches_tensorflow_values(method):
    batch = np.array([IMAGE, IMAGE], "float32")[..., None]
    for size in ((2, 3), (5, 6)):
        out = _np(image.resize(batch, size, interpolation=method))
        assert_close(out[1, ..., 0], np.array(TF_RESIZED[(method, size)]), atol=2e-3)


def test_resize_keeps_integer_dtype_layout_and_rank(rng):
    pixels = rng.integers(0, 256, (7, 9, 2)).astype("uint8")
    out = image.resize(pixels, (4, 5), interpolation="bicubic")
    floats = _np(image.resize(pixels.astype("float32"), (4, 5), interpolation="bicubic"))
    assert ops.dtype(out) == "uint8"
    np.testing.assert_array_equal(_np(out), np.clip(np.round(floats), 0, 255).astype("uint8"))
    first = _np(image.resize(np.moveaxis(pixels, -1, 0), (4, 5), interpolation="bicubic",
                             data_format="channels_first"))
    np.testing.assert_array_equal(first, np.moveaxis(_np(out), -1, 0))
    with pytest.raises(ValueError, match="rank 3 .* rank 4"):
        image.resize(pixels[0], (2, 2))
    with pytest.raises(ValueError, match="positive"):
        image.resize(pixels, (0, 2))


def test_scale_and_translate_generalizes_resize(rng):
    x = rng.random((2, 6, 5)).astype("float32")
    out = image.scale_and_translate(x, (2, 9, 5), [1.5], [0.0], (1,), "cubic", antialias=False)
    assert_close(out, image.resize(x[..., None], (9, 5), interpolation="bicubic")[..., 0],
                 atol=1e-5)
    # A translation by one whole cell shifts the samples by one (linear, scale 1).
    shifted = _np(image.scale_and_translate(x, (2, 6, 5), [1.0, 1.0], [1.0, 0.0], (1, 2),
                                            "linear"))
    assert_close(shifted[:, 1:], x[:, :-1], atol=1e-6)
    with pytest.raises(ValueError, match="method=nearest"):
        image.scale_and_translate(x, (2, 6, 5), [1.0], [0.0], (1,), "nearest")


@pytest.mark.parametrize("order", [0, 1])
def test_map_coordinates_matches_scipy(rng, order):
    inputs = rng.random((5, 6)).astype("float32")
    coordinates = rng.uniform(-4.0, 10.0, (2, 3, 7)).astype("float32")
    for fill_mode, scipy_mode in SCIPY_MODES.items():
        expected = ndimage.map_coordinates(inputs.astype("float64"), coordinates, order=order,
                                           mode=scipy_mode, cval=0.25)
        actual = image.map_coordinates(inputs, coordinates, order, fill_mode, 0.25)
        assert_close(actual, expected, atol=1e-5, err_msg=fill_mode)


def test_map_coordinates_checks_and_symbolic_shape():
    with pytest.raises(ValueError, match="order=2"):
        image.map_coordinates(np.zeros((3, 3)), np.zeros((2, 4)), 2)
    with pytest.raises(ValueError, match="fill_mode=bogus"):
        image.map_coordinates(np.zeros((3, 3)), np.zeros((2, 4)), 1, fill_mode="bogus")
    with pytest.raises(ValueError, match="rank of `inputs`"):
        image.map_coordinates(np.zeros((3, 3)), np.zeros((3, 4)), 1)
    out = image.map_coordinates(Input((5,), batch_size=4), Input((6,), batch_size=2), 1)
    assert out.shape == (6,)


def _scipy_warp(images, transform, order, mode, cval):
    """The reference warp: for each output (y, x), scipy samples the source point."""
    a0, a1, a2, b0, b1, b2, c0, c1 = transform
    ys, xs = np.meshgrid(np.arange(images.shape[0]), np.arange(images.shape[1]), indexing="ij")
    k = c0 * xs + c1 * ys + 1.0
    points = np.stack([(b0 * xs + b1 * ys + b2) / k, (a0 * xs + a1 * ys + a2) / k])
    return np.stack([ndimage.map_coordinates(images[..., c].astype("float64"), points,
                                             order=order, mode=mode, cval=cval)
                     for c in range(images.shape[-1])], axis=-1)


@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
def test_affine_transform_matches_scipy(rng, interpolation):
    images = rng.random((2, 6, 7, 2)).astype("float32")
    # The second transform's source points are never half-way between pixels,
    # where scipy (halves up) and kfacade (halves away from zero, as JAX) differ.
    transforms = np.array([[0.9, 0.2, 0.7, -0.1, 1.1, -0.4, 0.01, 0.02],
                           [1.0, 0.0, -2.4, 0.0, 1.0, 3.25, 0.0, 0.0]], "float32")
    order = ("nearest", "bilinear").index(interpolation)
    for fill_mode in ("constant", "mirror"):
        expected = np.stack([_scipy_warp(images[i], transforms[i], order,
                                         SCIPY_MODES[fill_mode], 0.5) for i in range(2)])
        actual = image.affine_transform(images, transforms, interpolation, fill_mode, 0.5)
        assert_close(actual, expected, atol=1e-4, err_msg=fill_mode)
    single = image.affine_transform(np.moveaxis(images[1], -1, 0), transforms[1], interpolation,
                                    data_format="channels_first")
    assert_close(np.moveaxis(_np(single), 0, -1),
                 image.affine_transform(images, transforms, interpolation)[1], atol=1e-6)
    with pytest.raises(ValueError, match="interpolation=bicubic"):
        image.affine_transform(images, transforms, "bicubic")
    with pytest.raises(ValueError, match="transform rank"):
        image.affine_transform(images, transforms[None])


def test_perspective_transform_is_the_homography_warp(rng):
    images = rng.random((6, 7, 1)).astype("float32")
    corners = np.array([[0, 0], [6, 0], [0, 5], [6, 5]], "float32")
    assert_close(image.perspective_transform(images, corners, corners), images, atol=1e-5)
    # Moving the corners right by one samples each output one pixel to the left.
    moved = _np(image.perspective_transform(images, corners, corners + [1.0, 0.0],
                                            fill_value=0.5))
    assert_close(moved[:, 1:], images[:, :-1], atol=1e-4)
    assert_close(moved[:, 0], np.full((6, 1), 0.5), atol=1e-4)
    with pytest.raises(ValueError, match="start_points"):
        image.perspective_transform(images, corners[:3], corners[:3])


def test_elastic_transform_identity_without_displacement_and_seeded(rng):
    images = rng.random((1, 5, 6, 2)).astype("float32")
    assert_close(image.elastic_transform(images, alpha=0.0, sigma=0.5, seed=3), images, atol=1e-6)
    first = _np(image.elastic_transform(images, alpha=2.0, sigma=0.5, seed=3))
    assert_close(image.elastic_transform(images, alpha=2.0, sigma=0.5, seed=3), first)
    assert first.shape == images.shape and not np.allclose(first, images)


def test_crop_and_pad_images_match_numpy(rng):
    x = rng.random((2, 6, 7, 3)).astype("float32")
    np.testing.assert_array_equal(
        _np(image.crop_images(x, 1, 2, target_height=3, right_cropping=1)), x[:, 1:4, 2:6])
    np.testing.assert_array_equal(
        _np(image.pad_images(x[0], 1, None, 2, 3, target_width=12)),
        np.pad(x[0], [(1, 2), (2, 3), (0, 0)]))
    first = np.moveaxis(x, -1, 1)
    np.testing.assert_array_equal(
        _np(image.crop_images(first, None, 0, 1, None, 2, 4, data_format="channels_first")),
        first[:, :, 3:5, 0:4])
    with pytest.raises(ValueError, match="exactly two of top_cropping"):
        image.crop_images(x, 1, 1)
    with pytest.raises(ValueError, match="bottom_padding must be >= 0"):
        image.pad_images(x, 1, 1, target_height=2, target_width=20)
    symbolic = Input((None, None, 3))
    assert image.crop_images(symbolic, 1, 1, target_height=2, target_width=3).shape == \
        (None, 2, 3, 3)
    assert image.pad_images(Input((4, None, 3)), 1, 1, 2, 2).shape == (None, 7, None, 3)


def test_extract_patches_match_numpy(rng):
    x = rng.random((2, 5, 7, 2)).astype("float32")
    patches = _np(image.extract_patches(x, (2, 3), strides=(1, 2)))
    expected = np.stack([np.stack([x[:, i:i + 2, j:j + 3].reshape(2, -1)
                                   for j in range(0, 5, 2)], 1) for i in range(4)], 1)
    assert_close(patches, expected, atol=1e-6)
    assert image.extract_patches(Input((None, 8, 2)), 2).shape == (None, None, 4, 8)
    volumes = rng.random((3, 4, 5, 2)).astype("float32")
    cubes = _np(image.extract_patches_3d(volumes, 2, strides=1))
    assert cubes.shape == (2, 3, 4, 16)
    assert_close(cubes[1, 2, 3], volumes[1:3, 2:4, 3:5].reshape(-1), atol=1e-6)
    with pytest.raises(ValueError, match="length 2 or 3"):
        image.extract_patches(x, (1, 2, 3, 4))


def _gaussian(size, sigma):
    offsets = np.arange(size) - (size - 1) / 2
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def test_gaussian_blur_and_sobel_match_scipy(rng):
    x = rng.random((2, 6, 7, 3)).astype("float32")
    kernel = np.outer(_gaussian(5, 1.7), _gaussian(5, 0.8))  # sigma[0] along the width
    expected = ndimage.correlate(x.astype("float64"), kernel[None, :, :, None], mode="constant")
    assert_close(image.gaussian_blur(x, (5, 5), (0.8, 1.7)), expected, atol=1e-5)
    single = image.gaussian_blur(np.moveaxis(x[0], -1, 0), (5, 5), (0.8, 1.7),
                                 data_format="channels_first")
    assert_close(np.moveaxis(_np(single), 0, -1), expected[0], atol=1e-5)
    sobel_y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], "float64")
    edges = _np(image.sobel_edges(x))
    assert edges.shape == x.shape + (2,)
    for i, kernel in enumerate((sobel_y, sobel_y.T)):
        expected = ndimage.correlate(x.astype("float64"), kernel[None, :, :, None],
                                     mode="constant")
        assert_close(edges[..., i], expected, atol=1e-5)
    first = _np(image.sobel_edges(np.moveaxis(x, -1, 1), data_format="channels_first"))
    assert_close(first, np.moveaxis(edges, 3, 1), atol=1e-6)
    with pytest.raises(ValueError, match="rank 4"):
        image.sobel_edges(x[0])


def _ssim_reference(a, b, size, sigma, max_val):
    window = np.outer(_gaussian(size, sigma), _gaussian(size, sigma))[None, :, :, None]
    crop = size // 2

    def local(v):
        return ndimage.correlate(v, window, mode="constant")[:, crop:-crop, crop:-crop]

    a, b = a.astype("float64"), b.astype("float64")
    mu_a, mu_b = local(a), local(b)
    var_a, var_b = local(a * a) - mu_a ** 2, local(b * b) - mu_b ** 2
    cov = local(a * b) - mu_a * mu_b
    c1, c2 = (0.01 * max_val) ** 2, (0.03 * max_val) ** 2
    ssim_map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)
                / ((mu_a ** 2 + mu_b ** 2 + c1) * (var_a + var_b + c2)))
    return ssim_map.mean(axis=(1, 2, 3))


def test_ssim_matches_numpy(rng):
    a = rng.random((2, 12, 13, 3)).astype("float32")
    b = np.clip(a + rng.normal(0, 0.1, a.shape), 0, 1).astype("float32")
    assert_close(image.ssim(a, b, filter_size=5, filter_sigma=1.2),
                 _ssim_reference(a, b, 5, 1.2, 1.0), atol=1e-5)
    assert_close(image.ssim(a[0], a[0], filter_size=5), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="image1 rank"):
        image.ssim(a[0, 0], a[0, 0])


def test_symbolic_calls_give_keras_shapes():
    x = Input((None, None, 3))
    assert image.resize(x, (4, 5)).shape == (None, 4, 5, 3)
    assert image.affine_transform(x, np.eye(3).reshape(-1)[:8]).shape == (None, None, None, 3)
    assert image.sobel_edges(x).shape == (None, None, None, 3, 2)
    assert image.gaussian_blur(Input((6, 7, 3))).shape == (None, 6, 7, 3)
    assert image.ssim(Input((11, 12, 3)), Input((11, 12, 3))).shape == (None,)
