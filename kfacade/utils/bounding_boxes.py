"""``kfacade.utils.bounding_boxes``: Keras 3's ``keras.utils.bounding_boxes``.

A public namespace only: the functions are written over ``kfacade.ops`` in
``kfacade.layers.preprocessing.bounding_boxes``, beside the layers that use
them (as in Keras), so this module sits on the public-namespace floor.
"""
from kfacade.layers.preprocessing.bounding_boxes import (
    affine_transform, clip_to_image_size, compute_ciou, compute_iou, convert_format, crop,
    decode_deltas_to_boxes, encode_box_to_deltas, pad,
)

__all__ = [
    "affine_transform", "clip_to_image_size", "compute_ciou", "compute_iou", "convert_format",
    "crop", "decode_deltas_to_boxes", "encode_box_to_deltas", "pad",
]
