"""``layers.ContrastLimitedAdaptiveHistogramEqualization`` against a NumPy
reference of CLAHE written here, loop by loop: tile histograms of the
symmetrically padded image, clip and redistribute, the CDF mapping, and the
bilinear blend of the four nearest tiles' mappings. Runs on the active
backend (``KERAS_BACKEND``).
"""
import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend import adapter as B

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

CLAHE = layers.ContrastLimitedAdaptiveHistogramEqualization
RNG = np.random.default_rng(11)


def _tile_mapping(tile, clip_limit):
    """The 256-level mapping of one tile's levels (float64)."""
    histogram = np.bincount(np.clip(tile.astype(np.int64), 0, 255).ravel(),
                            minlength=256).astype(np.float64)
    area = tile.size
    if clip_limit > 0:
        limit = clip_limit * area / 256.0
        excess = np.sum(np.maximum(histogram - limit, 0.0))
        histogram = np.minimum(histogram, limit) + excess / 256.0
    cdf = np.cumsum(histogram)
    denominator = area - cdf[0] if area != cdf[0] else 1.0
    return np.clip((cdf - cdf[0]) * 255.0 / denominator, 0.0, 255.0)


def _blend_position(index, tile, grid):
    """(tile before, tile after, weight of the one after) for a pixel row/column."""
    position = (index - tile / 2.0) / tile  # tile t's mapping is exact at t * tile + tile / 2
    first = int(np.floor(position))
    weight = position - first
    return min(max(first, 0), grid - 1), min(max(first + 1, 0), grid - 1), weight


def reference_clahe(image, clip_limit=4.0, grid=(8, 8), value_range=(0, 255)):
    """CLAHE of one `(height, width, channels)` image."""
    low, high = value_range
    levels = (image.astype(np.float64) - low) / (high - low) * 255.0
    height, width, channels = levels.shape
    tile_h, tile_w = -(-height // grid[0]), -(-width // grid[1])
    padded = np.pad(levels, ((0, tile_h * grid[0] - height), (0, tile_w * grid[1] - width),
                             (0, 0)), mode="symmetric")
    out = np.empty_like(levels)
    for c in range(channels):
        maps = [[_tile_mapping(padded[ty * tile_h:(ty + 1) * tile_h,
                                      tx * tile_w:(tx + 1) * tile_w, c], clip_limit)
                 for tx in range(grid[1])] for ty in range(grid[0])]
        for y in range(height):
            top, bottom, wy = _blend_position(y, tile_h, grid[0])
            for x in range(width):
                left, right, wx = _blend_position(x, tile_w, grid[1])
                level = min(max(int(levels[y, x, c]), 0), 255)
                upper = maps[top][left][level] * (1 - wx) + maps[top][right][level] * wx
                lower = maps[bottom][left][level] * (1 - wx) + maps[bottom][right][level] * wx
                out[y, x, c] = upper * (1 - wy) + lower * wy
    return out / 255.0 * (high - low) + low


def _compiled(layer):
    """`layer`'s call as one compiled step (jax.jit, tf.function; torch eager):
    static shapes, as in `fit`, and on JAX one compile instead of one per op."""
    step = B.compile_function(lambda x: {"y": layer(x)}, [], False)
    return lambda x: step(B.convert_to_tensor(x))["y"]


def _images(*shape, value_range=(0, 255)):
    # Skewed values, so the histograms are uneven and the clip limit matters.
    unit = RNG.uniform(0.0, 1.0, shape) ** 2
    return (unit * (value_range[1] - value_range[0]) + value_range[0]).astype(np.float32)


def test_clahe_matches_the_numpy_reference_batched_and_unbatched():
    images = _images(2, 8, 8, 3)  # 2x2 tiles divide the image
    expected = np.stack([reference_clahe(image, 4.0, (2, 2)) for image in images])
    output = CLAHE(tile_grid_size=(2, 2))(images)  # eager
    assert tuple(ops.shape(output)) == (2, 8, 8, 3) and ops.dtype(output) == "float32"
    assert_close(output, expected, rtol=1e-4, atol=1e-3)
    # Applied in inference too: not an augmentation.
    assert_close(CLAHE(tile_grid_size=(2, 2))(images, training=False), output)

    image = _images(8, 8, 3)  # unbatched, 3x2 tiles padded to 9x8, no clipping
    output = _compiled(CLAHE(tile_grid_size=(3, 2), clip_limit=0.0))(image)
    assert tuple(ops.shape(output)) == (8, 8, 3)
    assert_close(output, reference_clahe(image, 0.0, (3, 2)), rtol=1e-4, atol=1e-3)


def test_clahe_value_range_padding_and_channels_first():
    images = _images(2, 7, 9, 2, value_range=(0.0, 1.0))  # 3x2 tiles: padded to 9x10
    expected = np.stack([reference_clahe(image, 1.5, (3, 2), (0.0, 1.0)) for image in images])
    first = CLAHE(value_range=(0.0, 1.0), clip_limit=1.5, tile_grid_size=(3, 2),
                  data_format="channels_first")
    output = _compiled(first)(np.transpose(images, (0, 3, 1, 2)))
    assert tuple(ops.shape(output)) == (2, 2, 7, 9)
    assert_close(output, np.transpose(expected, (0, 3, 1, 2)), rtol=1e-4, atol=1e-5)


def test_clahe_of_integer_pixels_keeps_their_dtype():
    # As in Keras: the float result, truncated to the input's integer dtype.
    pixels = RNG.integers(0, 256, (1, 8, 8, 3)).astype(np.int32)
    integer_output = _compiled(CLAHE(tile_grid_size=(2, 2)))(pixels)
    assert ops.dtype(integer_output) == "int32"
    expected = reference_clahe(pixels[0], 4.0, (2, 2))[None]
    # A float32 result a rounding error below an integer truncates one lower.
    assert np.max(np.abs(ops.convert_to_numpy(integer_output) - np.trunc(expected))) <= 1


def test_clahe_layer_config_and_functional_model():
    run_layer_test(
        CLAHE, {"value_range": (0, 255), "tile_grid_size": (2, 2), "clip_limit": 3.0},
        input_data=_images(2, 8, 8, 3), expected_output_shape=(2, 8, 8, 3),
        expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
        run_training_check=False)
    layer = CLAHE(value_range=(0, 1), clip_limit=2, tile_grid_size=(4, 3),
                  data_format="channels_first")
    config = layer.get_config()
    assert config["value_range"] == [0, 1] and config["clip_limit"] == 2.0
    assert config["tile_grid_size"] == [4, 3] and config["data_format"] == "channels_first"
    assert "seed" not in config
    rebuilt = CLAHE.from_config(config)
    assert rebuilt.get_config() == config
    restored = kfacade.layers.deserialize(kfacade.layers.serialize(layer))
    assert type(restored) is CLAHE and restored.get_config() == config


def test_clahe_bad_arguments():
    with pytest.raises(ValueError, match="tile_grid_size"):
        CLAHE(tile_grid_size=(0, 2))
    with pytest.raises(ValueError, match="tile_grid_size"):
        CLAHE(tile_grid_size=4)
    with pytest.raises(ValueError, match="value_range"):
        CLAHE(value_range=(0, 1, 2))
    with pytest.raises(ValueError, match="clip_limit"):
        CLAHE(clip_limit="high")
