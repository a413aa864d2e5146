"""Embedding: integer indices -> rows of a trainable (input_dim, output_dim) table."""
import numbers

from kfacade import constraints, initializers, ops, regularizers
from kfacade.backend.dtypes import standardize_dtype
from kfacade.layers.layer import Layer


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors of size `output_dim`.

    Args:
        input_dim: the vocabulary size (largest index + 1).
        output_dim: the size of each vector.
        embeddings_initializer: default "uniform" (in [-0.05, 0.05]).
        embeddings_regularizer, activity_regularizer: penalties.
        embeddings_constraint: a constraint on the table.
        mask_zero: index 0 is padding: the output mask is ``inputs != 0``,
            so later layers skip those steps (the vocabulary must then
            reserve index 0).
        input_length: Keras 2's fixed sequence length; it declares the
            input shape ``(batch, input_length)`` of a model's first layer.

    Input shape: ``(batch, ...)`` integers (other dtypes are cast to int32).
    Output shape: ``(batch, ..., output_dim)``.
    Weights: ``embeddings (input_dim, output_dim)``.

    Example:
        >>> layer = Embedding(1000, 64, mask_zero=True)
        >>> layer(np.array([[4, 2, 0]])).shape
        (1, 3, 64)
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 activity_regularizer=None, **kwargs):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value <= 0:
                raise ValueError(
                    f"`{arg}` must be a positive integer. Received: {arg}={value!r} "
                    f"(of type {type(value).__name__})."
                )
        input_length = kwargs.pop("input_length", None)
        if input_length is not None and "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            # Keras 2: the sequence length declared the first layer's input.
            kwargs["input_shape"] = (input_length,)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = mask_zero
        self.supports_masking = mask_zero

    def build(self, input_shape=None):
        if self.built:
            return
        self.embeddings = self.add_weight(
            name="embeddings", shape=(self.input_dim, self.output_dim),
            initializer=self.embeddings_initializer, regularizer=self.embeddings_regularizer,
            constraint=self.embeddings_constraint,
        )
        self.built = True

    def call(self, inputs):
        if standardize_dtype(ops.dtype(inputs)) not in ("int32", "int64"):
            inputs = ops.cast(inputs, "int32")
        return ops.take(self.embeddings.value, inputs, axis=0)

    def compute_mask(self, inputs, previous_mask=None):
        """``inputs != 0`` when `mask_zero`, else None."""
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update({
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
        })
        return config
