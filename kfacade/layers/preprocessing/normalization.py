"""Normalization: feature-wise standardization with statistics given or learned by ``adapt``."""
import itertools
import math

import numpy as np

from kfacade import ops
from kfacade.backend.config import epsilon
from kfacade.layers.layer import Layer


def _first_of(batch):
    """The inputs of a batch that may be an ``(x, y)`` or ``(x, y, w)`` tuple."""
    return batch[0] if isinstance(batch, tuple) else batch


def iterate_batches(data, steps=None):
    """Batches of `data`: one array/tensor, a sequence dataset (``__len__`` and
    ``__getitem__``, e.g. ``PyDataset``), or any iterable of batches (the
    first `steps` of them when given); ``(x, y)`` batches give ``x``."""
    if isinstance(data, np.ndarray) or ops.is_tensor(data):
        return [data]
    if hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, (list, tuple)):
        batches = (_first_of(data[i]) for i in range(len(data)))
    elif hasattr(data, "__iter__"):
        batches = (_first_of(batch) for batch in data)
    else:
        raise TypeError(
            f"Unsupported data type: {type(data)}. `adapt` supports NumPy arrays, backend "
            "tensors, PyDataset-like sequences and iterables of batches (e.g. a list or a "
            "generator)."
        )
    return batches if steps is None else itertools.islice(batches, steps)


def to_numpy_array(x, dtype=None):
    """`x` (array, tensor, Variable or nested list) as a NumPy array."""
    if ops.is_tensor(x) or hasattr(x, "value"):
        x = ops.convert_to_numpy(x)
    array = np.asarray(x)
    return array if dtype is None else array.astype(dtype)


class Normalization(Layer):
    """Shifts and scales inputs feature-wise: ``(x - mean) / sqrt(variance)``.

    The statistics are given (`mean`, `variance`) or computed from data
    with ``adapt(data)``, over every axis except `axis`.

    Args:
        axis: the axis or axes that keep their own statistics (default -1,
            the features); None computes one scalar mean and variance.
        mean, variance: the statistics, broadcast to the kept axes (both or
            neither).
        invert: apply the inverse, ``mean + x * sqrt(variance)``.

    The standard deviation is bounded below by ``kfacade.backend.epsilon()``.
    Adapted statistics are non-trainable weights ``mean``, ``variance`` and
    ``count`` (saved with the model's weights); given ones are constants of
    the config. Runs inside compiled steps; masks pass through.

    Example:
        >>> layer = Normalization()
        >>> layer.adapt(np.array([[0.0, 10.0], [2.0, 30.0]]))
        >>> layer(np.array([[1.0, 20.0]]))  # [[0., 0.]]
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        self.input_mean = mean
        self.input_variance = variance
        self.invert = invert
        self.supports_masking = True
        self._build_input_shape = None
        if (mean is not None) != (variance is not None):
            raise ValueError(
                "When setting values directly, both `mean` and `variance` must be set. "
                f"Received: mean={mean} and variance={variance}"
            )
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError(
                    "When setting values directly, `mean` and `variance` must have the same "
                    f"shape. Received: mean shape {np.shape(mean)} and variance shape "
                    f"{np.shape(variance)}"
                )
            if len(np.shape(mean)) > len(self.axis):
                raise ValueError(
                    "The rank of `mean` must be less than or equal to the number of axes "
                    f"({len(self.axis)}). Received: mean shape {np.shape(mean)} for axis "
                    f"{self.axis}"
                )

    def build(self, input_shape):
        if input_shape is None:
            return
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        self._build_input_shape = input_shape
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(
                "All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                f"ndim={ndim}, while axis={self.axis}"
            )
        self._keep_axis = tuple(sorted(d if d >= 0 else d + ndim for d in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(
                    f"All `axis` values to be kept must have a known shape. Received "
                    f"axis={self.axis}, inputs.shape={input_shape}, with unknown axis at index {d}"
                )
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1
                                      for d in range(ndim))
        self._mean_and_var_shape = tuple(input_shape[d] for d in self._keep_axis)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=self._mean_and_var_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=self._mean_and_var_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64",
                                         initializer="zeros", trainable=False)
            self._constants = None
        else:
            self._constants = tuple(self._broadcast(value) for value in
                                    (self.input_mean, self.input_variance))
        self.built = True

    def _broadcast(self, value):
        """A given statistic aligned right-to-left with the kept axes, broadcast to them."""
        value = np.asarray(value, dtype=self.compute_dtype)
        expanded = [1] * len(self._broadcast_shape)
        for i in range(1, value.ndim + 1):
            expanded[self._keep_axis[-i]] = value.shape[-i]
        return np.broadcast_to(value.reshape(expanded), self._broadcast_shape).copy()

    def adapt(self, data):
        """Computes the mean and variance of `data` over the reduced axes.

        Args:
            data: a NumPy array or tensor, a ``PyDataset``-like sequence, or
                an iterable of batches (``(x, y)`` tuples use ``x``).

        Raises:
            ValueError: the data's kept axes differ from the built shape.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer {self.name!r} was given `mean` and `variance`; it cannot "
                "be adapted."
            )
        batches = iterate_batches(data)
        total_mean = total_var = None
        total_count = 0
        for batch in batches:
            batch = to_numpy_array(batch, np.float64)
            if not self.built:
                self.build(batch.shape)
            for d in self._keep_axis:
                if batch.shape[d] != self._build_input_shape[d]:
                    raise ValueError(
                        f"The layer was built with input_shape={self._build_input_shape}, but "
                        f"adapt() is being called with data with an incompatible shape, "
                        f"data.shape={batch.shape}"
                    )
            batch_mean = batch.mean(axis=self._reduce_axis)
            batch_var = batch.var(axis=self._reduce_axis)
            batch_count = math.prod(batch.shape[d] for d in self._reduce_axis)
            if total_mean is None:
                total_mean, total_var, total_count = batch_mean, batch_var, batch_count
                continue
            # Merge the two groups (the lack-of-fit sum of squares, as Keras).
            total_count += batch_count
            batch_weight = batch_count / total_count
            new_mean = total_mean * (1 - batch_weight) + batch_mean * batch_weight
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - batch_weight)
                         + (batch_var + (batch_mean - new_mean) ** 2) * batch_weight)
            total_mean = new_mean
        if total_mean is None:
            raise ValueError(
                "adapt() received an empty iterable (no batches). Expected at least one batch."
            )
        self.adapt_mean.assign(np.asarray(total_mean, self.compute_dtype))
        self.adapt_variance.assign(np.asarray(total_var, self.compute_dtype))
        self.count.assign(np.asarray(total_count, "int64"))

    def _statistics(self):
        if self._constants is not None:
            return self._constants
        return (ops.reshape(self.adapt_mean.value, self._broadcast_shape),
                ops.reshape(self.adapt_variance.value, self._broadcast_shape))

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        mean, variance = self._statistics()
        std = ops.maximum(ops.sqrt(variance), epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(inputs, std))
        return ops.divide(ops.subtract(inputs, mean), std)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": np.array(self.input_mean).tolist(),
                "variance": np.array(self.input_variance).tolist()}
