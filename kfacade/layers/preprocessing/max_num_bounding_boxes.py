"""MaxNumBoundingBoxes: gives every image the same number of bounding boxes.

Object-detection data comes as ``{"images": ..., "bounding_boxes": {"boxes":
(batch, N, 4), "labels": (batch, N)}}`` with N varying from batch to batch;
a compiled model needs one N. This layer truncates or pads the boxes and
their labels to ``max_number`` (padding with ``fill_value``, which the IoU
and loss code treat as "no box"); the images and the other entries pass
through unchanged.
"""
import numpy as np

from kfacade import ops
from kfacade.backend.config import standardize_data_format
from kfacade.layers.layer import Layer

BOUNDING_BOXES = "bounding_boxes"


def _pad_ragged(rows, max_number, fill_value, width):
    """Python lists of per-image boxes (or labels) of different lengths,
    truncated or padded to `max_number` each, as one NumPy array."""
    fill = [fill_value] * width if width else fill_value
    return np.asarray([list(row)[:max_number] + [fill] * max(max_number - len(row), 0)
                       for row in rows])


def _checked_bounding_boxes(bounding_boxes, batched, max_number, fill_value):
    """``(boxes, labels)`` of a bounding-box dict as tensors: boxes float32,
    with the shapes checked as Keras checks them."""
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes \
            or "labels" not in bounding_boxes:
        raise ValueError(
            "Expected `bounding_boxes` argument to be a dict with keys 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes}"
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list) != isinstance(labels, list):
        raise ValueError(
            "If `bounding_boxes['boxes']` is a list, then `bounding_boxes['labels']` must "
            f"also be a list. Received: bounding_boxes['labels']={labels}"
        )
    if isinstance(boxes, list) and batched:
        if len(boxes) != len(labels):
            raise ValueError(
                "If `bounding_boxes['boxes']` and `bounding_boxes['labels']` are both lists, "
                f"they must have the same length. Received: len(bounding_boxes['boxes'])="
                f"{len(boxes)} and len(bounding_boxes['labels'])={len(labels)}"
            )
        # One list of boxes per image, of any lengths.
        boxes = _pad_ragged(boxes, max_number, fill_value, 4).astype("float32")
        labels = _pad_ragged(labels, max_number, fill_value, 0)
    boxes = ops.cast(boxes, "float32")
    labels = ops.convert_to_tensor(labels)
    boxes_rank, labels_rank = len(ops.shape(boxes)), len(ops.shape(labels))
    expected_rank = 3 if batched else 2
    if boxes_rank != expected_rank or ops.shape(boxes)[-1] != 4:
        raise ValueError(
            "Expected `bounding_boxes['boxes']` to have shape "
            f"{'(batch_size, num_boxes, 4)' if batched else '(num_boxes, 4)'}, as the images "
            f"are {'batched' if batched else 'a single image'}. "
            f"Received: bounding_boxes['boxes'].shape={tuple(ops.shape(boxes))}"
        )
    if labels_rank not in (expected_rank - 1, expected_rank) or \
            ops.shape(labels)[:expected_rank - 1] != ops.shape(boxes)[:expected_rank - 1]:
        raise ValueError(
            f"Found bounding_boxes['boxes'].shape={tuple(ops.shape(boxes))} and expected "
            f"bounding_boxes['labels'] to have rank {expected_rank - 1} or {expected_rank} "
            "with the same leading dimensions, but received: "
            f"bounding_boxes['labels'].shape={tuple(ops.shape(labels))}"
        )
    return boxes, labels


def _fixed_count(values, max_number, fill_value):
    """`values` ``(batch, N, ...)`` truncated or padded with `fill_value` along
    axis 1 to ``(batch, max_number, ...)``: the first `max_number` rows, then
    fill rows; concatenating a full block and slicing needs no pad size, so
    it holds for any N."""
    shape = tuple(ops.shape(values))
    filler = ops.full((shape[0], max_number) + shape[2:], fill_value, dtype=ops.dtype(values))
    return ops.concatenate([values[:, :max_number], filler], axis=1)[:, :max_number]


class MaxNumBoundingBoxes(Layer):
    """Ensures a fixed number of bounding boxes per image.

    Called on ``{"images": ..., "bounding_boxes": {"boxes": ..., "labels": ...}}``
    (``"labels"`` and ``"segmentation_masks"`` entries may be present too), it
    returns a new dict whose boxes are ``(batch, max_number, 4)`` (float32) and
    box labels ``(batch, max_number)``: the first `max_number` boxes, then
    boxes and labels of `fill_value`. A single image ``(H, W, C)`` with
    ``(N, 4)`` boxes gives ``(max_number, 4)``. Everything else, and a plain
    tensor of images, passes through. Applied in training and inference alike.

    Args:
        max_number: the number of boxes per image.
        fill_value: the value of the padding boxes and labels (`-1`).
        bounding_box_format: the boxes' format (e.g. `"xyxy"`); it must be set
            to call the layer on a dict with bounding boxes, as in Keras.
        data_format: `"channels_last"` or `"channels_first"` (the images pass
            through either way).

    Example:
        >>> layer = MaxNumBoundingBoxes(max_number=4, bounding_box_format="xyxy")
        >>> out = layer({"images": np.zeros((1, 32, 32, 3)),
        ...              "bounding_boxes": {"boxes": np.array([[[1., 2., 8., 9.]]]),
        ...                                 "labels": np.array([[5]])}})
        >>> out["bounding_boxes"]["labels"]  # [[5, -1, -1, -1]]
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(max_number, bool) or int(max_number) != max_number or max_number < 1:
            raise ValueError(
                f"`max_number` must be a positive integer. Received: max_number={max_number}"
            )
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format
        self.data_format = standardize_data_format(data_format)
        self.built = True
        # Symbolic calls run `call` on stand-ins, which keeps the dict's structure
        # and the labels' integer dtype; `compute_output_shape` (Keras's dict of
        # shapes) is for direct calls.
        self._has_shape_rule = False

    def call(self, data):
        if not isinstance(data, dict):
            _check_image_rank(data)
            return ops.convert_to_tensor(data)
        if "images" not in data:
            raise ValueError(
                "MaxNumBoundingBoxes expects images or a dict with an 'images' key. "
                f"Received: a dict with keys {sorted(data)}"
            )
        outputs = {key: value if key == BOUNDING_BOXES else ops.convert_to_tensor(value)
                   for key, value in data.items()}
        batched = _check_image_rank(outputs["images"])
        if BOUNDING_BOXES in data:
            if not self.bounding_box_format:
                raise ValueError(
                    "You passed an input with a 'bounding_boxes' key, but you didn't specify "
                    "a bounding box format. Pass a `bounding_box_format` argument to your "
                    "MaxNumBoundingBoxes layer, e.g. `bounding_box_format='xyxy'`."
                )
            outputs[BOUNDING_BOXES] = self._fix_count(data[BOUNDING_BOXES], batched)
        return outputs

    def _fix_count(self, bounding_boxes, batched):
        boxes, labels = _checked_bounding_boxes(bounding_boxes, batched, self.max_number,
                                                self.fill_value)
        if not batched:
            boxes, labels = ops.expand_dims(boxes, 0), ops.expand_dims(labels, 0)
        boxes = _fixed_count(boxes, self.max_number, self.fill_value)
        labels = _fixed_count(labels, self.max_number, self.fill_value)
        if not batched:
            boxes, labels = ops.squeeze(boxes, 0), ops.squeeze(labels, 0)
        result = dict(bounding_boxes)
        result["boxes"], result["labels"] = boxes, labels
        return result

    def compute_output_shape(self, input_shape):
        if not (isinstance(input_shape, dict) and BOUNDING_BOXES in input_shape):
            return input_shape
        shapes = input_shape[BOUNDING_BOXES]
        extra_keys = sorted(set(shapes) - {"boxes", "labels"})
        if extra_keys:
            raise KeyError(
                f"There are unsupported keys in `bounding_boxes`: {extra_keys}. "
                "Only `boxes` and `labels` are supported."
            )
        # The box axis: 1 for a batch, 0 for a single image's (N, 4) boxes.
        axis = len(shapes["boxes"]) - 2
        fixed = {}
        for key, shape in shapes.items():
            shape = list(shape)
            shape[axis] = self.max_number
            fixed[key] = tuple(shape)
        return {**input_shape, BOUNDING_BOXES: fixed}

    def get_config(self):
        config = {**super().get_config(), "max_number": self.max_number,
                  "fill_value": self.fill_value, "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


def _check_image_rank(images):
    """True for a batch ``(B, H, W, C)``, False for one image; ValueError otherwise."""
    rank = len(ops.shape(images))
    if rank not in (3, 4):
        raise ValueError(
            "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
            f"Received: data.shape={tuple(ops.shape(images))}"
        )
    return rank == 4
