"""RandomGaussianBlur: blurs images, each with a random probability, by a random Gaussian."""
from kfacade import ops
from kfacade import random
from kfacade.layers.preprocessing.base_augmentation import (
    BaseImageAugmentation,
    random_apply_mask,
)
from kfacade.layers.preprocessing.color_adjust import value_range_pair
from kfacade.layers.preprocessing.color_random import _from_zero
from kfacade.ops.image import gaussian_blur


def _kernel_size_pair(kernel_size):
    """``(width taps, height taps)`` from an odd number or a pair of odd numbers."""
    error = f"kernel_size must be an odd number. Received: kernel_size={kernel_size}"
    if isinstance(kernel_size, (tuple, list)):
        if len(kernel_size) != 2:
            raise ValueError("The `kernel_size` argument should be a number (or a list of two "
                             f"numbers) Received: kernel_size={kernel_size}")
        sizes = tuple(kernel_size)
    elif isinstance(kernel_size, (int, float)) and not isinstance(kernel_size, bool):
        sizes = (kernel_size, kernel_size)
    else:
        raise ValueError(error)
    if any(size != int(size) or int(size) % 2 == 0 or size < 1 for size in sizes):
        raise ValueError(error)
    return tuple(int(size) for size in sizes)


class RandomGaussianBlur(BaseImageAugmentation):
    """Randomly blurs images with a Gaussian filter during training.

    Each call draws one ``(sigma_x, sigma_y)`` pair in the `sigma` range
    (plus 1e-6, so never 0) for the whole batch; each image is blurred
    (zero padding at the border) with probability drawn in `factor`. The
    result is clipped to `value_range`.

    Args:
        factor: the probability range: a number ``f`` in [0, 1] draws each
            image's probability in ``[0, f]`` (default 1.0), a pair
            ``(lo, hi)`` in ``[lo, hi]``.
        kernel_size: an odd number of taps, or ``(width taps, height taps)``
            (default 3).
        sigma: the standard deviation range: a number ``s`` in [0, 1]
            means ``(0, s)`` (default 1.0); a pair ``(lo, hi)`` may go
            above 1, as Keras allows.
        value_range: ``(min, max)`` of the pixel values (default (0, 255)).
        data_format: "channels_last" (default) or "channels_first".
        seed: an int for reproducible draws.

    Identity (apart from a cast to the layer's dtype) unless ``training=True``.

    Example:
        >>> RandomGaussianBlur(factor=(1.0, 1.0), sigma=(0.5, 1.5))(images, training=True)
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = _from_zero(factor, (0, 1))
        self.kernel_size = _kernel_size_pair(kernel_size)
        self.sigma = _from_zero(sigma, (0, 1), "sigma")
        self.value_range = value_range_pair(value_range)

    def _augment(self, images):
        apply = random_apply_mask(self.generator, ops.shape(images)[0], self.factor)
        sigma = ops.add(random.uniform((2,), self.sigma[0], self.sigma[1],
                                       dtype=self.compute_dtype, seed=self.generator), 1e-6)
        blurred = gaussian_blur(images, kernel_size=self.kernel_size, sigma=(sigma[0], sigma[1]),
                                data_format=self.data_format)
        outputs = ops.where(ops.reshape(apply, (-1, 1, 1, 1)), blurred, images)
        return ops.clip(outputs, self.value_range[0], self.value_range[1])

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor),
                "kernel_size": list(self.kernel_size), "sigma": list(self.sigma),
                "value_range": list(self.value_range)}
