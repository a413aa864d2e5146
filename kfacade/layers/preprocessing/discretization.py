"""Discretization: buckets continuous features by boundaries given or learned by ``adapt``."""
import numpy as np

from kfacade import ops
from kfacade.layers.layer import Layer
from kfacade.layers.preprocessing.encoding import (
    check_output_mode, encode_categorical, encoded_shape,
)
from kfacade.layers.preprocessing.normalization import iterate_batches, to_numpy_array


def digitize(x, boundaries):
    """NumPy's ``digitize(x, boundaries)``: for increasing boundaries, the
    number of boundaries ``<= x`` (NaN counts all of them, as NumPy), in int32."""
    if not boundaries:
        return ops.zeros(ops.shape(x), dtype="int32")
    bounds = ops.convert_to_tensor(np.asarray(boundaries, dtype="float32"))
    below = ops.logical_not(ops.less(ops.expand_dims(x, -1), bounds))
    return ops.sum(ops.cast(below, "int32"), axis=-1)


# The adapt summaries: Keras 3's approximate quantiles, one array
# ``[values, weights]`` per summary, merged and compressed to 1/epsilon bins.


def summarize(values, epsilon):
    """A ``(2, n)`` summary of `values`: every step-th sorted value with weight step."""
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)
    boundaries = values[int(step - 1)::int(step)]
    return np.stack([boundaries, np.ones_like(boundaries) * step])


def compress_summary(summary, epsilon):
    """At most 1/epsilon bins, interpolated along the cumulative weights."""
    if summary.shape[1] * epsilon < 1:
        return summary
    percents = epsilon + np.arange(0.0, 1.0, epsilon)
    cum_weights = summary[1].cumsum()
    cum_weight_percents = cum_weights / cum_weights[-1]
    new_bins = np.interp(percents, cum_weight_percents, summary[0])
    cum_weights = np.interp(percents, cum_weight_percents, cum_weights)
    new_weights = cum_weights - np.concatenate((np.array([0]), cum_weights[:-1]))
    return np.stack((new_bins, new_weights)).astype("float32")


def merge_summaries(prev_summary, next_summary, epsilon):
    merged = np.concatenate((prev_summary, next_summary), axis=1)
    merged = np.take(merged, np.argsort(merged[0]), axis=1)
    return compress_summary(merged, epsilon)


def bin_boundaries_of(summary, num_bins):
    """The ``num_bins - 1`` boundaries that split the summary's weight evenly."""
    return compress_summary(summary, 1.0 / num_bins)[0, :-1]


class Discretization(Layer):
    """Maps each value to the index of its bucket: bucket i holds
    ``bin_boundaries[i - 1] <= x < bin_boundaries[i]``.

    Args:
        bin_boundaries: increasing boundaries (``[0., 1.]`` gives the
            buckets ``(-inf, 0)``, ``[0, 1)``, ``[1, inf)``).
        num_bins: instead of `bin_boundaries`, the number of buckets whose
            boundaries ``adapt`` learns as approximate quantiles of data.
        epsilon: the quantile approximation's error bound (default 0.01).
        output_mode: "int" (default; int32 bucket indices), "one_hot",
            "multi_hot" or "count" (see ``CategoryEncoding``; float32).
        sparse: accepted for Keras's signature; True raises (dense tensors only).

    Runs inside compiled steps once the boundaries are known; adapted
    boundaries are saved in the config.

    Example:
        >>> Discretization(bin_boundaries=[0.0, 1.0, 2.0])([[-1.5, 1.0, 3.4, 0.5]])
        # [[0, 2, 3, 1]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None, **kwargs):
        super().__init__(dtype=dtype, name=name, **kwargs)
        if sparse:
            raise ValueError(
                "Discretization: `sparse=True` is not supported by kfacade (dense tensors on "
                "every backend). Received: sparse=True"
            )
        check_output_mode(output_mode, ("int", "one_hot", "multi_hot", "count"), "Discretization")
        if num_bins is not None and num_bins < 0:
            raise ValueError(
                f"`num_bins` must be greater than or equal to 0. Received: `num_bins={num_bins}`"
            )
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                "Both `num_bins` and `bin_boundaries` should not be set. Received: "
                f"`num_bins={num_bins}` and `bin_boundaries={bin_boundaries}`"
            )
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        self.summary = None if self.bin_boundaries else np.array([[], []], dtype="float32")
        self.built = True

    @property
    def output_dtype(self):
        """int32 bucket indices, or the layer's dtype for the encoded modes."""
        return self.compute_dtype if self.output_mode != "int" else "int32"

    def adapt(self, data, steps=None):
        """Learns ``num_bins`` boundaries as approximate quantiles of `data`.

        Args:
            data: an array or tensor, or an iterable of batches.
            steps: the number of batches of an iterable to use (all by default).

        Raises:
            ValueError: the layer was made with `bin_boundaries`.
        """
        if self.num_bins is None:
            raise ValueError(
                "Cannot adapt a Discretization layer that has been initialized with "
                "`bin_boundaries`, use `num_bins` instead."
            )
        self.reset_state()
        for batch in iterate_batches(data, steps):
            self.update_state(batch)
        self.finalize_state()

    def update_state(self, data):
        data = to_numpy_array(data, "float32")
        self.summary = merge_summaries(summarize(data, self.epsilon), self.summary, self.epsilon)

    def finalize_state(self):
        if self.num_bins is None:
            return
        self.bin_boundaries = bin_boundaries_of(self.summary, self.num_bins).tolist()

    def reset_state(self):
        if self.num_bins is None:
            return
        self.summary = np.array([[], []], dtype="float32")

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                "You need to either pass the `bin_boundaries` argument at construction time or "
                "call `adapt(dataset)` before you can start using the `Discretization` layer."
            )
        indices = digitize(ops.cast(inputs, "float32"), self.bin_boundaries)
        return encode_categorical(indices, self.output_mode, len(self.bin_boundaries) + 1,
                                  self.output_dtype)

    def _symbolic_call(self, args, kwargs):
        outputs = super()._symbolic_call(args, kwargs)
        outputs.dtype = self.output_dtype
        return outputs

    def compute_output_shape(self, input_shape):
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        return encoded_shape(input_shape, self.output_mode, depth)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if config.get("bin_boundaries") is not None and config.get("num_bins") is not None:
            # An adapted layer has both; the constructor takes one.
            bin_boundaries = config.pop("bin_boundaries")
            layer = cls(**config)
            layer.bin_boundaries = bin_boundaries
            return layer
        return cls(**config)
