"""RandomShear, RandomPerspective, RandomElasticTransform and RandomGaussianBlur.

Each layer is the identity unless ``training=True``, keeps shapes and
dtypes, and repeats its draws for a given seed. The numbers are checked
against ``scipy.ndimage``: with factor pairs ``(f, f)`` the transform is
known (shear up to its random sign, the blur fully); for the perspective
and elastic layers, whose corner shifts and noise are random, the test
replays the layer's draws from a ``SeedGenerator`` of the same seed, in the
layer's order, and warps the image with SciPy.
"""
import numpy as np
import pytest

ndimage = pytest.importorskip("scipy.ndimage", reason="needs scipy.ndimage for the references")

import kfacade  # noqa: E402
from kfacade import ops, random  # noqa: E402
from kfacade.layers import (  # noqa: E402
    RandomElasticTransform,
    RandomGaussianBlur,
    RandomPerspective,
    RandomShear,
)
from kfacade.layers.preprocessing.base_augmentation import random_apply_mask  # noqa: E402

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

LAYERS = [
    (RandomShear, {"x_factor": 0.3, "y_factor": 0.2}),
    (RandomPerspective, {"scale": 0.4}),
    (RandomElasticTransform, {"scale": 0.5, "value_range": (-5, 5)}),
    (RandomGaussianBlur, {"sigma": (0.5, 1.5), "value_range": (-5, 5)}),
]


# One image shape throughout, so that JAX reuses its compiled ops.
SHAPE = (2, 8, 10, 1)


def _numpy(x):
    return np.asarray(ops.convert_to_numpy(x))


def _warp(image, y_src, x_src, mode, order=1):
    """``(h, w, c)`` `image` sampled at source points, channel by channel."""
    return np.stack([ndimage.map_coordinates(image[..., c], [y_src, x_src], order=order,
                                             mode=mode, cval=0.0)
                     for c in range(image.shape[-1])], axis=-1)


@pytest.mark.parametrize("cls,kwargs", LAYERS)
def test_identity_unless_training_shapes_and_seeds(cls, kwargs, rng):
    images = rng.uniform(-1, 1, SHAPE).astype("float32")
    layer = cls(seed=7, **kwargs)
    np.testing.assert_array_equal(_numpy(layer(images, training=False)), images)
    out = _numpy(layer(images, training=True))
    assert out.shape == images.shape and out.dtype == np.float32 and np.all(np.isfinite(out))
    # The same seed repeats the draws.
    assert_close(_numpy(cls(seed=7, **kwargs)(images, training=True)), out)
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


@pytest.mark.parametrize("cls,kwargs", [LAYERS[0]])
def test_unbatched_and_channels_first(cls, kwargs, rng):
    images = rng.uniform(-1, 1, SHAPE).astype("float32")
    first = _numpy(cls(seed=11, **kwargs)(images, training=True))
    transposed = cls(seed=11, data_format="channels_first", **kwargs)(
        np.transpose(images, (0, 3, 1, 2)), training=True)
    assert_close(np.transpose(_numpy(transposed), (0, 2, 3, 1)), first, atol=1e-5)
    single = cls(seed=11, **kwargs)
    assert _numpy(single(images[0], training=True)).shape == images[0].shape
    assert_close(_numpy(single(images[0], training=False)), images[0])


def test_random_shear_matches_scipy_for_a_fixed_amount(rng):
    images = rng.uniform(0, 1, SHAPE).astype("float32")
    f = 0.35
    out = _numpy(RandomShear(x_factor=(f, f), fill_mode="nearest", seed=3)(images, training=True))
    ys, xs = np.meshgrid(np.arange(8.0), np.arange(10.0), indexing="ij")
    for image, result in zip(images, out):
        # Output (x, y) reads input (x + s f y, y) with a random sign s.
        plus, minus = (_warp(image, ys, xs + s * f * ys, "nearest") for s in (1.0, -1.0))
        assert np.allclose(result, plus, atol=1e-5) or np.allclose(result, minus, atol=1e-5)
    # y shear with reflect fill: the output reads (x, y + s f x).
    out = _numpy(RandomShear(y_factor=(f, f), seed=4)(images, training=True))
    for image, result in zip(images, out):
        plus, minus = (_warp(image, ys + s * f * xs, xs, "reflect") for s in (1.0, -1.0))
        assert np.allclose(result, plus, atol=1e-5) or np.allclose(result, minus, atol=1e-5)


def _homography(start, end):
    """``3x3`` matrix taking output (end) corners to input (start) corners."""
    rows, target = [], []
    for (sx, sy), (ex, ey) in zip(start, end):
        rows.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey])
        rows.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey])
        target += [sx, sy]
    return np.append(np.linalg.solve(np.array(rows), np.array(target)), 1.0).reshape(3, 3)


def test_random_perspective_matches_scipy_with_replayed_corners(rng):
    images = rng.uniform(0, 1, SHAPE).astype("float32")
    layer = RandomPerspective(factor=(1.0, 1.0), scale=0.6, fill_value=0.0, seed=5)
    out = _numpy(layer(images, training=True))
    # Replay: the apply draws (always true here), then the corner shifts.
    generator = random.SeedGenerator(5)
    assert np.all(_numpy(random_apply_mask(generator, 2, (1.0, 1.0))))
    shift = _numpy(random.uniform((2, 4, 2), -0.3, 0.3, seed=generator))
    start = np.array([[0, 0], [9, 0], [0, 7], [9, 7]], "float64")
    ys, xs = np.meshgrid(np.arange(8.0), np.arange(10.0), indexing="ij")
    for image, result, d in zip(images, out, shift):
        matrix = _homography(start, start + start * d)
        k = matrix[2, 0] * xs + matrix[2, 1] * ys + 1.0
        x_src = (matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]) / k
        y_src = (matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]) / k
        assert_close(result, _warp(image, y_src, x_src, "grid-constant"), atol=1e-4)
    # factor (0, 0) never warps; scale 0 leaves the corners in place.
    assert_close(_numpy(RandomPerspective(factor=0.0, seed=1)(images)), images)
    assert_close(_numpy(RandomPerspective(factor=(1.0, 1.0), scale=0.0, seed=1)(images)), images,
                 atol=1e-5)


def _gaussian(taps, sigma):
    offsets = np.arange(taps) - (taps - 1) / 2.0
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    return kernel / kernel.sum()


def test_random_elastic_transform_matches_scipy_with_replayed_noise(rng):
    images = rng.uniform(0, 255, SHAPE).astype("float32")
    layer = RandomElasticTransform(factor=(1.0, 1.0), scale=(0.8, 0.8), value_range=(20, 230),
                                   seed=9)
    out = _numpy(layer(images, training=True))
    # Replay: the apply draws, the distortion, then the displacement noise.
    generator = random.SeedGenerator(9)
    random_apply_mask(generator, 2, (1.0, 1.0))
    distortion = float(_numpy(random.uniform((), 0.8, 0.8, seed=generator)))
    alpha, sigma = 0.1 * 10 * distortion, 0.05 * 8 * distortion  # max and min of (8, 10)
    noise = _numpy(random.normal((4, 8, 10, 1), seed=generator))[..., 0] * sigma
    window = _gaussian(int(6 * sigma) | 1, sigma)
    kernel = np.outer(window, window)
    noise = np.stack([ndimage.correlate(n, kernel, mode="constant") for n in noise]) * alpha
    ys, xs = np.meshgrid(np.arange(8.0), np.arange(10.0), indexing="ij")
    for i, (image, result) in enumerate(zip(images, out)):
        dx, dy = noise[i], noise[2 + i]
        expected = np.clip(_warp(image, ys + dy, xs + dx, "reflect"), 20, 230)
        assert_close(result, expected, atol=1e-2)
    # A zero upper bound of factor or scale: the identity, unclipped (as in Keras).
    assert_close(_numpy(RandomElasticTransform(factor=0.0, seed=1)(images - 10.0)), images - 10.0)
    assert_close(_numpy(RandomElasticTransform(scale=0.0, seed=1)(images - 10.0)), images - 10.0)


def test_random_gaussian_blur_matches_scipy(rng):
    images = rng.uniform(0, 1, SHAPE).astype("float32")
    layer = RandomGaussianBlur(factor=(1.0, 1.0), kernel_size=(3, 5), sigma=(0.8, 0.8),
                               value_range=(0.1, 0.9), seed=2)
    out = _numpy(layer(images, training=True))
    # kernel_size is (width taps, height taps); zero padding; then the clip.
    kernel = np.outer(_gaussian(5, 0.8 + 1e-6), _gaussian(3, 0.8 + 1e-6))[..., None]
    expected = np.stack([ndimage.correlate(image, kernel, mode="constant") for image in images])
    assert_close(out, np.clip(expected, 0.1, 0.9), atol=1e-5)
    # factor 0: never blurred, only clipped.
    assert_close(_numpy(RandomGaussianBlur(factor=0.0, value_range=(0.1, 0.9))(images)),
                 np.clip(images, 0.1, 0.9))


def test_geometric_augmentations_run_inside_a_compiled_step(rng):
    from kfacade.backend import adapter

    x = adapter.convert_to_tensor(rng.uniform(0, 255, SHAPE).astype("float32"))
    # The elastic layer's sigma is drawn inside the step (its blur width is static).
    model = kfacade.Sequential([
        kfacade.Input(SHAPE[1:]),
        RandomElasticTransform(factor=(1.0, 1.0), scale=(0.2, 0.6), seed=3),
        RandomGaussianBlur(factor=(1.0, 1.0), seed=4),
    ])
    step = adapter.compile_function(
        lambda data: {"out": model(data, training=True)}, model.variables, False)
    first, second = (_numpy(step(x)["out"]) for _ in range(2))
    assert first.shape == SHAPE and np.all(np.isfinite(first))
    assert not np.allclose(first, second)  # each step draws anew


def test_geometric_augmentation_errors():
    with pytest.raises(ValueError, match=r"range \[0, 1.0\]. Received: input_number=-0.1"):
        RandomShear(-0.1)
    with pytest.raises(ValueError, match=r"Received: y_factor=\(0.1, 0.2, 0.3\)"):
        RandomShear(0.1, (0.1, 0.2, 0.3))
    with pytest.raises(NotImplementedError, match="Unknown `fill_mode` mirror"):
        RandomShear(fill_mode="mirror")
    with pytest.raises(ValueError, match=r"`scale` argument .* \[0,1\]. Received: scale=2"):
        RandomPerspective(scale=2)
    with pytest.raises(ValueError, match=r"`factor` argument .* Received: factor=-0.5"):
        RandomPerspective(factor=-0.5)
    with pytest.raises(NotImplementedError, match="Unknown `interpolation` bicubic"):
        RandomElasticTransform(interpolation="bicubic")
    with pytest.raises(ValueError, match=r"`scale` argument .* Received: factor=2"):
        RandomElasticTransform(scale=2)
    with pytest.raises(ValueError, match="kernel_size must be an odd number. Received: kernel_size=4"):
        RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match=r"`sigma` argument .* Received: factor=-1"):
        RandomGaussianBlur(sigma=-1)
