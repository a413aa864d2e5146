"""Per-axis (before, after) amounts for ZeroPadding and Cropping layers."""
from kfacade.layers.convolutional.conv_utils import standardize_tuple


def standardize_pairs(value, rank, name):
    """`value` as `rank` pairs ``((before, after), ...)`` of non-negative ints.

    Accepts an int (the same on both sides of every axis), `rank` ints
    (symmetric per axis) or `rank` pairs (Keras's three forms).

    Raises:
        ValueError: any other form or a negative amount, echoing `value`.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return (standardize_tuple(value, 2, name, allow_zero=True),) * rank
    if not hasattr(value, "__len__") or len(value) != rank:
        raise ValueError(
            f"`{name}` should be an int, a tuple of {rank} ints or a tuple of {rank} tuples "
            f"of 2 ints. Received: {name}={value}."
        )
    ordinals = ("1st", "2nd", "3rd")
    return tuple(
        standardize_tuple(item, 2, f"{ordinals[i]} entry of {name}", allow_zero=True)
        for i, item in enumerate(value)
    )
