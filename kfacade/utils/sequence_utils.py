"""`pad_sequences`: Keras 3's `keras.utils.pad_sequences` (the same as Keras 2's
`keras.preprocessing.sequence.pad_sequences`). NumPy only."""
import numpy as np

__all__ = ["pad_sequences"]

_SIDES = ("pre", "post")


def pad_sequences(
    sequences,
    maxlen=None,
    dtype="int32",
    padding="pre",
    truncating="pre",
    value=0.0,
):
    """Pads sequences to the same length.

    Turns a list of `num_samples` sequences (lists of integers, or of
    equal-shaped arrays) into an array of shape `(num_samples, maxlen)` (plus
    the shape of one element for nested data). Sequences shorter than
    `maxlen` are padded with `value`, longer ones are truncated, both at the
    start (`"pre"`, the default) or at the end (`"post"`).

    Args:
        sequences: List of sequences (each a list or array).
        maxlen: Optional int, the length of every output row. Defaults to the
            length of the longest sequence.
        dtype: Type of the output. Defaults to `"int32"`; use `object` (or a
            string dtype) for sequences of strings.
        padding: `"pre"` or `"post"`: pad before or after each sequence.
        truncating: `"pre"` or `"post"`: drop values from the start or the
            end of sequences longer than `maxlen`.
        value: Float or string, the padding value. Defaults to `0.0`.

    Returns:
        A NumPy array of shape `(len(sequences), maxlen) + element_shape`.

    Raises:
        ValueError: for an unknown `padding` or `truncating`, a non-iterable
            entry, elements of different shapes, or a string `value` with a
            non-string `dtype`.

    Example:

    >>> pad_sequences([[1, 2, 3], [4, 5], [6]], maxlen=2)
    array([[2, 3],
           [4, 5],
           [0, 6]], dtype=int32)
    """
    if padding not in _SIDES:
        raise ValueError(
            f"Received: padding={padding!r}; expected one of 'pre', 'post'."
        )
    if truncating not in _SIDES:
        raise ValueError(
            f"Received: truncating={truncating!r}; expected one of 'pre', 'post'."
        )
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"`sequences` must be a list of iterables; received an object of "
            f"type {type(sequences).__name__} without a length."
        )
    if maxlen is not None and (int(maxlen) != maxlen or maxlen < 0):
        raise ValueError(f"Received: maxlen={maxlen!r}; expected an integer >= 0.")

    num_samples = len(sequences)
    lengths = []
    sample_shape = ()
    found_shape = False
    for position, sequence in enumerate(sequences):
        try:
            lengths.append(len(sequence))
        except TypeError:
            raise ValueError(
                "`sequences` must be a list of iterables; found the "
                f"non-iterable {sequence!r} at position {position}."
            ) from None
        if not found_shape and len(sequence):
            sample_shape = np.asarray(sequence).shape[1:]
            found_shape = True

    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    maxlen = int(maxlen)

    is_string_dtype = np.issubdtype(dtype, np.str_) or np.issubdtype(
        dtype, np.bytes_
    )
    if isinstance(value, str) and dtype is not object and not is_string_dtype:
        raise ValueError(
            f"`dtype` {dtype} is not compatible with `value`'s type "
            f"{type(value).__name__}; set `dtype=object` for variable-length "
            "strings."
        )

    padded = np.full((num_samples, maxlen) + sample_shape, value, dtype=dtype)
    if maxlen == 0:
        return padded
    for row, sequence in enumerate(sequences):
        if not len(sequence):
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != sample_shape:
            raise ValueError(
                f"Elements of sequence {row} have shape {kept.shape[1:]}, "
                f"expected {sample_shape} like the first non-empty sequence."
            )
        if padding == "post":
            padded[row, : len(kept)] = kept
        else:
            padded[row, -len(kept) :] = kept
    return padded
