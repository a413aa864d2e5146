"""Equalization: histogram equalization of each channel, in training."""
from kfacade import ops
from kfacade.layers.preprocessing.base_augmentation import BaseImageAugmentation
from kfacade.layers.preprocessing.color_adjust import rescale, value_range_pair


class Equalization(BaseImageAugmentation):
    """Spreads each channel's values evenly over the value range (training only).

    On the 0-255 scale a value ``x`` falls in bin ``int(x * (bins - 1) / 255)``;
    with ``cdf`` the cumulative histogram of the channel and ``cdf_min`` its
    first non-zero entry, the bin maps to
    ``round(255 * (cdf - cdf_min) / (cdf[-1] - cdf_min))``. A channel whose
    values all fall in one bin is left as it is.

    As in Keras 3.15, the histogram of a channel counts the pixels of every
    image in the batch, so one call equalizes the batch as a whole.

    Args:
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        bins: the number of histogram bins (default 256).
        data_format: "channels_last" (default) or "channels_first".

    Example:
        >>> Equalization(value_range=(0, 1), bins=128)(images, training=True)
    """

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        self.value_range = value_range_pair(value_range)

    def _augment(self, images):
        channels_first = self.data_format == "channels_first"
        if channels_first:
            images = ops.transpose(images, (0, 2, 3, 1))
        shape = ops.shape(images)
        channels, bins = shape[-1], self.bins
        pixels = ops.cast(ops.reshape(images, (-1, channels)), "float32")
        scaled = rescale(pixels, self.value_range, (0, 255))
        bin_of = ops.divide(ops.multiply(scaled, float(bins - 1)), 255.0)  # Keras's order
        bin_of = ops.clip(ops.cast(bin_of, "int32"), 0, bins - 1)
        # One histogram per channel: channel c counts into bins [c * bins, (c + 1) * bins).
        offsets = ops.multiply(ops.arange(channels, dtype="int32"), bins)
        flat_bins = ops.reshape(ops.add(bin_of, offsets), (-1,))
        hist = ops.segment_sum(ops.ones_like(flat_bins, dtype="float32"), flat_bins,
                               num_segments=channels * bins)
        hist = ops.reshape(hist, (channels, bins))
        cdf = ops.cumsum(hist, axis=-1)
        total = cdf[:, -1:]
        cdf_min = ops.min(ops.where(ops.greater(cdf, 0), cdf, total), axis=-1, keepdims=True)
        denominator = ops.subtract(total, cdf_min)
        denominator = ops.where(ops.equal(denominator, 0), ops.ones_like(denominator),
                                denominator)
        table = ops.clip(ops.round(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0),
                                              denominator)), 0.0, 255.0)
        mapped = ops.take(ops.reshape(table, (-1,)), flat_bins)
        mapped = rescale(ops.reshape(mapped, (-1, channels)), (0, 255), self.value_range)
        occupied = ops.sum(ops.cast(ops.greater(hist, 0), "int32"), axis=-1)
        equalized = ops.where(ops.greater(occupied, 1), mapped, pixels)
        equalized = ops.reshape(ops.cast(equalized, self.compute_dtype), shape)
        return ops.transpose(equalized, (0, 3, 1, 2)) if channels_first else equalized

    def get_config(self):
        config = super().get_config()
        config.pop("seed")
        return {**config, "bins": self.bins, "value_range": list(self.value_range)}
