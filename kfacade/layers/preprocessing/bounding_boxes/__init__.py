"""Bounding-box utilities, written once over ``kfacade.ops`` (Keras 3's
``keras.utils.bounding_boxes``, served as ``kfacade.utils.bounding_boxes``).

``converters``: the formats and the conversions, clipping, crops and pads;
``affine``: boxes under the geometric augmentations' transforms; ``deltas``:
box regression targets relative to anchors; ``iou``: IoU tables and CIoU.
"""
from kfacade.layers.preprocessing.bounding_boxes.affine import affine_transform
from kfacade.layers.preprocessing.bounding_boxes.converters import (
    SUPPORTED_FORMATS, clip_to_image_size, convert_format, crop, pad,
)
from kfacade.layers.preprocessing.bounding_boxes.deltas import (
    decode_deltas_to_boxes, encode_box_to_deltas,
)
from kfacade.layers.preprocessing.bounding_boxes.iou import compute_ciou, compute_iou

__all__ = [
    "affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format",
    "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad",
]
