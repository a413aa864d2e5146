"""CategoryEncoding: integer features as one-hot, multi-hot or count vectors."""
from kfacade import ops
from kfacade.layers.layer import Layer
from kfacade.layers.preprocessing.encoding import (
    check_output_mode, encode_categorical, encoded_shape,
)


class CategoryEncoding(Layer):
    """Encodes integer features in ``[0, num_tokens)`` when the number of tokens is known.

    Args:
        num_tokens: the number of distinct tokens; inputs must lie in
            ``[0, num_tokens)`` (values outside encode as zeros).
        output_mode: "multi_hot" (default; 1 for each token present in the
            sample, the last axis of a 2-D input being the sample), "one_hot"
            (one row per value; a trailing axis of size 1 is replaced) or
            "count" (how often each token occurs). "binary" is Keras's old
            name of "multi_hot".
        sparse: accepted for Keras's signature; kfacade returns dense tensors
            (True raises).

    Call arguments:
        inputs: integer tensor of rank 0, 1 or 2.
        count_weights: with "count", weights of the same shape as `inputs`,
            summed instead of counting 1 per occurrence.

    The output has the layer's dtype (float32; the weights' dtype with
    `count_weights`). Runs inside compiled steps.

    Example:
        >>> CategoryEncoding(num_tokens=4, output_mode="multi_hot")([[0, 1], [0, 0], [1, 2], [3, 1]])
        # [[1, 1, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 0, 1]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError(
                "num_tokens must be set to use this layer. If the number of tokens is not known "
                "beforehand, use the IntegerLookup layer instead."
            )
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise ValueError(
                "CategoryEncoding: `sparse=True` is not supported by kfacade (dense tensors on "
                "every backend). Received: sparse=True"
            )
        check_output_mode(output_mode, ("count", "one_hot", "multi_hot"), "CategoryEncoding")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse
        self.built = True

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    "`count_weights` is not used when `output_mode` is not `'count'`. "
                    f"Received `count_weights={count_weights}`."
                )
            count_weights = ops.cast(count_weights, self.compute_dtype)
        return encode_categorical(inputs, self.output_mode, self.num_tokens, self.compute_dtype,
                                  count_weights)

    def compute_output_shape(self, input_shape):
        return encoded_shape(input_shape, self.output_mode, self.num_tokens)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}
