"""Probabilistic and hinge metrics: running weighted means of the losses of those names."""
from kfacade.losses.losses import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
    poisson, sparse_categorical_crossentropy, squared_hinge,
)
from kfacade.metrics.reduction_metrics import FunctionMean


class BinaryCrossentropy(FunctionMean):
    """The weighted mean of ``binary_crossentropy`` over samples.

    Args: name (default "binary_crossentropy"), dtype, from_logits,
    label_smoothing (as the loss's).
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(FunctionMean):
    """The weighted mean of ``categorical_crossentropy`` (one-hot targets) over samples.

    Args: name (default "categorical_crossentropy"), dtype, from_logits,
    label_smoothing, axis (as the loss's).
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(FunctionMean):
    """The weighted mean of ``sparse_categorical_crossentropy`` (integer targets) over samples.

    Args: name (default "sparse_categorical_crossentropy"), dtype, from_logits, axis.
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype,
                         from_logits=from_logits, axis=axis)


class KLDivergence(FunctionMean):
    """The weighted mean of ``kl_divergence`` over samples. Args: name (default
    "kl_divergence"), dtype."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(FunctionMean):
    """The weighted mean of ``poisson`` over samples. Args: name (default "poisson"), dtype."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(FunctionMean):
    """The weighted mean of ``hinge`` (targets -1/1 or 0/1) over samples. Args:
    name (default "hinge"), dtype."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(FunctionMean):
    """The weighted mean of ``squared_hinge`` over samples. Args: name (default
    "squared_hinge"), dtype."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(FunctionMean):
    """The weighted mean of ``categorical_hinge`` over samples. Args: name
    (default "categorical_hinge"), dtype."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
