"""Rules every image op shares: image axes by rank and data format, Keras's
rank errors, and batching a single image (rank 3) for ops that work on batches."""
from kfacade.backend.active import adapter as _B

RANK_3_OR_4 = "rank 3 (single image) or rank 4 (batch of images)"


def rank_error(name, shape):
    """Keras's ValueError for an image argument `name` of the wrong rank."""
    return ValueError(
        f"Invalid {name} rank: expected {RANK_3_OR_4}. Received input with shape: "
        f"{name}.shape={tuple(shape)}"
    )


def image_axes(rank, data_format):
    """(height axis, width axis) of a rank-3 or rank-4 image tensor."""
    height_axis = rank - 3 if data_format == "channels_last" else rank - 2
    return height_axis, height_axis + 1


def checked_image_axes(images, data_format, name="images"):
    """``image_axes`` of `images`, which must be one image (rank 3) or a batch (rank 4).

    Raises:
        ValueError: another rank, echoing the shape.
    """
    shape = tuple(_B.shape(images))
    if len(shape) not in (3, 4):
        raise rank_error(name, shape)
    return image_axes(len(shape), data_format)


def static_spatial(images, height_axis, width_axis, what):
    """(height, width) of `images` as Python ints; raises if either is unknown."""
    shape = _B.shape(images)
    height, width = shape[height_axis], shape[width_axis]
    if not isinstance(height, int) or not isinstance(width, int):
        raise ValueError(
            f"{what} needs images of a known height and width. Received: "
            f"images.shape={tuple(shape)}"
        )
    return height, width


def to_batched_channels_last(images, data_format):
    """`images` as ``(batch, height, width, channels)`` and a function that
    takes a result of that layout back to the input's rank and layout."""
    unbatched = len(_B.shape(images)) == 3
    if unbatched:
        images = _B.expand_dims(images, 0)
    if data_format == "channels_first":
        images = _B.transpose(images, (0, 2, 3, 1))

    def restore(result):
        if data_format == "channels_first":
            result = _B.transpose(result, (0, 3, 1, 2))
        return _B.squeeze(result, 0) if unbatched else result

    return images, restore
