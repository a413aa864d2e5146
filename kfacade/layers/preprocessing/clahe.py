"""ContrastLimitedAdaptiveHistogramEqualization (CLAHE): histogram equalization
per tile, with the histograms clipped, and the tiles' mappings blended bilinearly."""
import numpy as np

from kfacade import ops
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.color_adjust import value_range_pair

#: CLAHE works on the 0-255 scale, one histogram bin per integer level.
_BINS = 256


def _tile_grid_pair(tile_grid_size):
    """`tile_grid_size` as a tuple of two positive ints, or ValueError."""
    if (not isinstance(tile_grid_size, (tuple, list)) or len(tile_grid_size) != 2
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                       for n in tile_grid_size)):
        raise ValueError(
            "The `tile_grid_size` argument should be a tuple of two positive integers "
            f"(rows, columns). Received: tile_grid_size={tile_grid_size}")
    return tuple(int(n) for n in tile_grid_size)


def _neighbour_tiles(length, tile, grid):
    """For each of `length` pixel positions along one axis: the two tiles whose
    mappings it blends and the second one's weight (NumPy, static).

    Tile ``t`` covers positions ``[t * tile, (t + 1) * tile)`` and its mapping is
    exact at ``t * tile + tile / 2`` (Keras's anchor); beyond the outermost
    anchors a position takes its edge tile's mapping alone.
    """
    position = (np.arange(length, dtype=np.float32) - tile / 2.0) / tile
    first = np.floor(position)
    weight = position - first
    first = first.astype(np.int32)
    return (np.clip(first, 0, grid - 1), np.clip(first + 1, 0, grid - 1),
            weight.astype(np.float32))


class ContrastLimitedAdaptiveHistogramEqualization(BaseImageAugmentation):
    """Contrast Limited Adaptive Histogram Equalization of each image channel.

    The image (on the 0-255 scale) is cut into a `tile_grid_size` grid of
    tiles, its bottom and right edges first padded symmetrically so the tiles
    divide it. Each tile and channel gets a 256-bin histogram of its pixels'
    integer levels; a bin above ``clip_limit * tile_area / 256`` is cut
    down to it and the excess spread evenly over all bins, which limits how
    much noise in flat regions is amplified. The cumulative histogram maps a
    level to ``255 * (cdf - cdf[0]) / (tile_area - cdf[0])``, and each pixel
    takes the bilinear blend of the mappings of the four tiles whose
    centres surround it, so no tile borders show. Not random, and applied
    in inference too (as in Keras).

    Args:
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        clip_limit: the histogram clip limit, relative to a flat histogram
            (default 4.0); 0 or less: no clipping (plain adaptive equalization).
        tile_grid_size: ``(rows, columns)`` of tiles (default (8, 8)).
        data_format: "channels_last" (default) or "channels_first".

    Input shape:
        `(batch, height, width, channels)` or an unbatched `(height, width,
        channels)` (channels first with "channels_first"); height and width
        must be known. Float inputs compute in the layer's dtype; integer
        inputs give a result cast back to their dtype, as in Keras.

    Output shape:
        The input's.

    Example:
        >>> layer = ContrastLimitedAdaptiveHistogramEqualization(
        ...     value_range=(0.0, 1.0), tile_grid_size=(4, 4))
        >>> layer(np.random.rand(2, 64, 64, 3))
    """

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8),
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range_pair(value_range)
        if isinstance(clip_limit, bool) or not isinstance(clip_limit, (int, float, np.number)):
            raise ValueError(
                f"The `clip_limit` argument should be a number. Received: clip_limit={clip_limit}")
        self.clip_limit = float(clip_limit)
        self.tile_grid_size = _tile_grid_pair(tile_grid_size)

    def call(self, inputs, training=True):
        input_dtype = standardize_dtype(ops.dtype(inputs))
        outputs = super().call(inputs, training=True)
        if is_float_dtype(input_dtype) or input_dtype == "bool":
            return outputs
        return ops.cast(outputs, input_dtype)

    def _augment(self, images):
        channels_first = self.data_format == "channels_first"
        if channels_first:
            images = ops.transpose(images, (0, 2, 3, 1))
        low, high = (float(v) for v in self.value_range)
        # Keras's order of operations, so a pixel falls in Keras's bin.
        images = ops.cast(images, "float32")
        levels = ops.multiply(ops.divide(ops.subtract(images, low), high - low), 255.0)
        equalized = self._equalize(levels)
        equalized = ops.add(ops.multiply(ops.divide(equalized, 255.0), high - low), low)
        equalized = ops.cast(equalized, self.compute_dtype)
        return ops.transpose(equalized, (0, 3, 1, 2)) if channels_first else equalized

    def _equalize(self, levels):
        """CLAHE of a `(batch, height, width, channels)` batch on the 0-255 scale."""
        batch, height, width, channels = ops.shape(levels)
        if None in (batch, height, width, channels):
            raise ValueError(
                f"{type(self).__name__} needs images of a known shape (batch size, height, "
                f"width and channels). Received: images of shape {tuple(ops.shape(levels))}")
        grid_h, grid_w = self.tile_grid_size
        tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)  # ceil
        pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
        padded = levels
        if pad_h or pad_w:
            padded = ops.pad(levels, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
        bins = ops.clip(ops.cast(padded, "int32"), 0, _BINS - 1)

        # One histogram per (image, tile row, tile column, channel): a pixel
        # counts into segment ((b * grid_h + ty) * grid_w + tx) * channels + c,
        # whose bins are that segment's 256 slots.
        tile_stride = channels * _BINS
        tile_of_row = np.arange(tile_h * grid_h) // tile_h
        tile_of_column = np.arange(tile_w * grid_w) // tile_w
        tile_offsets = (tile_of_row[:, None] * grid_w + tile_of_column[None, :]) * tile_stride
        image_stride = grid_h * grid_w * tile_stride
        image_offsets = ops.reshape(
            ops.multiply(ops.arange(batch, dtype="int32"), image_stride), (-1, 1, 1, 1))
        tile_channel_offsets = ops.convert_to_tensor(
            (tile_offsets[:, :, None] + np.arange(channels) * _BINS).astype(np.int32))
        segments = ops.add(ops.add(bins, image_offsets), tile_channel_offsets)
        segments = ops.reshape(segments, (-1,))
        histograms = ops.segment_sum(ops.ones_like(segments, dtype="float32"), segments,
                                     num_segments=batch * image_stride)
        histograms = ops.reshape(histograms, (-1, _BINS))

        area = float(tile_h * tile_w)
        if self.clip_limit > 0:
            limit = self.clip_limit * area / _BINS
            clipped = ops.minimum(histograms, limit)
            excess = ops.sum(ops.subtract(histograms, clipped), axis=-1, keepdims=True)
            histograms = ops.add(clipped, ops.divide(excess, float(_BINS)))
        cdf = ops.cumsum(histograms, axis=-1)
        cdf_min = cdf[:, :1]
        denominator = ops.subtract(area, cdf_min)
        denominator = ops.where(ops.equal(denominator, 0.0), 1.0, denominator)
        mappings = ops.clip(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0),
                                       denominator), 0.0, 255.0)
        mappings = ops.reshape(mappings, (-1,))  # indexed like the segments

        # Each pixel of the unpadded image, through its four neighbour tiles' mappings.
        top, bottom, row_weight = _neighbour_tiles(height, tile_h, grid_h)
        left, right, column_weight = _neighbour_tiles(width, tile_w, grid_w)
        # A pixel's segment less its tile's offset: its image, channel and bin.
        pixel_offsets = ops.subtract(
            ops.reshape(segments, ops.shape(padded))[:, :height, :width, :],
            ops.convert_to_tensor(
                tile_offsets[None, :height, :width, None].astype(np.int32)))

        def through(rows, columns):
            tiles = (rows[:, None] * grid_w + columns[None, :]) * tile_stride
            index = ops.add(pixel_offsets,
                            ops.convert_to_tensor(tiles[None, :, :, None].astype(np.int32)))
            return ops.take(mappings, index)

        row_weight = ops.convert_to_tensor(row_weight[None, :, None, None])
        column_weight = ops.convert_to_tensor(column_weight[None, None, :, None])
        upper = _lerp(through(top, left), through(top, right), column_weight)
        lower = _lerp(through(bottom, left), through(bottom, right), column_weight)
        return _lerp(upper, lower, row_weight)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.pop("seed")
        return {**config, "value_range": list(self.value_range), "clip_limit": self.clip_limit,
                "tile_grid_size": list(self.tile_grid_size)}


def _lerp(start, end, weight):
    """``start * (1 - weight) + end * weight``, Keras's form of the blend."""
    return ops.add(ops.multiply(start, ops.subtract(1.0, weight)), ops.multiply(end, weight))
