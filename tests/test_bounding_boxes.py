"""``kfacade.utils.bounding_boxes`` and ``layers.MaxNumBoundingBoxes`` against
NumPy references written here: format conversions (every pair), clipping,
crops and pads, affine moves, anchor deltas, IoU tables, CIoU, and the
padding/truncation of a bounding-box dict. Runs on the active backend
(``KERAS_BACKEND``).
"""
import itertools
import math

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.utils import bounding_boxes as bbox

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

RNG = np.random.default_rng(5)
FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
           "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh")
HEIGHT, WIDTH = 60.0, 80.0


def _random_xyxy(*lead):
    corner = RNG.uniform(0, 50, lead + (2,))
    return np.concatenate([corner, corner + RNG.uniform(1, 30, lead + (2,))], -1)


def np_to_xyxy(boxes, fmt, height=HEIGHT, width=WIDTH):
    a, b, c, d = np.moveaxis(np.asarray(boxes, np.float64), -1, 0)
    base = fmt.removeprefix("rel_")
    x1, y1, x2, y2 = {
        "xyxy": (a, b, c, d), "yxyx": (b, a, d, c), "xywh": (a, b, a + c, b + d),
        "center_xywh": (a - c / 2, b - d / 2, a + c / 2, b + d / 2),
        "center_yxhw": (b - d / 2, a - c / 2, b + d / 2, a + c / 2),
    }[base]
    if fmt.startswith("rel_"):
        x1, x2, y1, y2 = x1 * width, x2 * width, y1 * height, y2 * height
    return np.stack([x1, y1, x2, y2], -1)


def np_from_xyxy(boxes, fmt, height=HEIGHT, width=WIDTH):
    x1, y1, x2, y2 = np.moveaxis(np.asarray(boxes, np.float64), -1, 0)
    if fmt.startswith("rel_"):
        x1, x2, y1, y2 = x1 / width, x2 / width, y1 / height, y2 / height
    w, h = x2 - x1, y2 - y1
    parts = {
        "xyxy": (x1, y1, x2, y2), "yxyx": (y1, x1, y2, x2), "xywh": (x1, y1, w, h),
        "center_xywh": (x1 + w / 2, y1 + h / 2, w, h),
        "center_yxhw": (y1 + h / 2, x1 + w / 2, h, w),
    }[fmt.removeprefix("rel_")]
    return np.stack(parts, -1)


def test_every_format_pair_matches_numpy_and_round_trips():
    corners = _random_xyxy(2, 3)
    for source, target in itertools.product(FORMATS, FORMATS):
        boxes = np_from_xyxy(corners, source).astype(np.float32)
        converted = bbox.convert_format(boxes, source, target, height=HEIGHT, width=WIDTH)
        assert ops.dtype(converted) == "float32" and tuple(ops.shape(converted)) == (2, 3, 4)
        expected = np_from_xyxy(np_to_xyxy(boxes, source), target)
        assert_close(converted, expected, rtol=1e-5, atol=1e-4, err_msg=f"{source}->{target}")
        back = bbox.convert_format(converted, target.upper(), source, height=HEIGHT, width=WIDTH)
        assert_close(back, boxes, rtol=1e-5, atol=1e-4, err_msg=f"{source}->{target}->{source}")


def test_hand_checked_conversions_and_the_dict_form():
    box = np.array([[10, 20, 30, 40]])  # left 10, top 20, right 30, bottom 40
    for target, expected in [("yxyx", [20, 10, 40, 30]), ("xywh", [10, 20, 20, 20]),
                             ("center_xywh", [20, 30, 20, 20]), ("center_yxhw", [30, 20, 20, 20]),
                             ("rel_xyxy", [10 / 300, 20 / 200, 30 / 300, 40 / 200]),
                             ("rel_xywh", [10 / 300, 20 / 200, 20 / 300, 20 / 200])]:
        assert_close(bbox.convert_format(box, "xyxy", target, height=200, width=300),
                     np.array([expected], np.float32), err_msg=target)
    assert ops.dtype(bbox.convert_format(box, "xyxy", "xyxy", dtype="float16")) == "float16"
    data = {"boxes": box, "labels": np.array([7])}
    converted = bbox.convert_format(data, "xyxy", "xywh")
    assert_close(converted["boxes"], np.array([[10, 20, 20, 20]], np.float32))
    assert converted["labels"] is data["labels"] and data["boxes"] is box  # input untouched


def test_convert_format_errors_name_the_problem():
    boxes = np.zeros((2, 4), np.float32)
    with pytest.raises(ValueError, match="last dimension of 4"):
        bbox.convert_format(np.zeros((2, 3)), "xyxy", "xywh")
    with pytest.raises(ValueError, match="Supported formats.*source='xxyy'"):
        bbox.convert_format(boxes, "xxyy", "xywh")
    with pytest.raises(ValueError, match="`height` and `width`"):
        bbox.convert_format(boxes, "xyxy", "rel_xyxy", height=10)
    with pytest.raises(ValueError, match="'boxes' key"):
        bbox.convert_format({"labels": boxes}, "xyxy", "xywh")
    with pytest.raises(ValueError, match="`height` and `width` must be set"):
        bbox.clip_to_image_size({"boxes": boxes}, bounding_box_format="xyxy")
    with pytest.raises(NotImplementedError, match="bounding_box_format='xywh'"):
        bbox.crop(boxes, 0, 0, 4, 4, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="`variance` must be length 4"):
        bbox.encode_box_to_deltas(boxes, boxes, "xyxy", "xyxy", variance=[1.0, 1.0])
    with pytest.raises(ValueError, match="`encoding_format`"):
        bbox.encode_box_to_deltas(boxes, boxes, "xyxy", "xyxy", encoding_format="xyxy")
    with pytest.raises(ValueError, match="boxes1"):
        bbox.compute_iou(np.zeros((1, 2, 3, 4)), boxes, "xyxy")
    with pytest.raises(ValueError, match="`image_shape`"):
        bbox.compute_iou(boxes, boxes, "rel_xyxy")


def test_clip_crop_and_pad_match_numpy():
    boxes = np.array([[[-10, -20, 150, 160], [50, 40, 70, 80], [130, 0, 150, 10]]], np.float32)
    labels = np.array([[4, 5, 6]], np.int32)
    clipped = bbox.clip_to_image_size({"boxes": boxes, "labels": labels}, height=100, width=120)
    expected = np.stack([np.clip(boxes[..., 0], 0, 120), np.clip(boxes[..., 1], 0, 100),
                         np.clip(boxes[..., 2], 0, 120), np.clip(boxes[..., 3], 0, 100)], -1)
    area = (expected[..., 2] - expected[..., 0]) * (expected[..., 3] - expected[..., 1])
    assert_close(clipped["boxes"], expected)
    np.testing.assert_array_equal(ops.convert_to_numpy(clipped["labels"]),
                                  np.where(area > 0, labels, -1))  # the third box leaves the image
    relative = bbox.clip_to_image_size({"boxes": boxes / 100.0}, bounding_box_format="rel_xyxy")
    assert_close(relative["boxes"], np.clip(boxes / 100.0, 0.0, 1.0))

    corners = _random_xyxy(3).astype(np.float32)
    shifted = corners - np.array([20, 10, 20, 10], np.float32)
    assert_close(bbox.crop(corners, top=10, left=20, height=40, width=30),
                 np.clip(shifted, 0, np.array([30, 40, 30, 40], np.float32)))
    assert_close(bbox.pad(corners, top=10, left=20), corners + np.array([20, 10, 20, 10]))


def np_affine(boxes, angle, translate_x, translate_y, scale, shear_x, height, width, cx, cy):
    """The corners' hull after the map Keras's image layers apply: about the
    centre ``c``, ``p' = c + scale * Rot(angle) Shear_x (p - c + t)``."""
    center = np.array([cx * (width - 1), cy * (height - 1)])
    t = np.array([translate_x * (width - 1), translate_y * (height - 1)])
    theta = math.radians(angle)
    rotation = np.array([[math.cos(theta), math.sin(theta)], [-math.sin(theta), math.cos(theta)]])
    shear = np.array([[1.0, math.tan(math.radians(shear_x))], [0.0, 1.0]])
    x1, y1, x2, y2 = np.moveaxis(boxes, -1, 0)
    corners = np.stack([np.stack(p, -1) for p in ((x1, y1), (x2, y1), (x2, y2), (x1, y2))], -2)
    moved = center + scale * (corners - center + t) @ (rotation @ shear).T
    return np.concatenate([moved.min(-2), moved.max(-2)], -1)


def test_affine_transform_matches_numpy():
    boxes = _random_xyxy(2, 3)
    zeros = np.zeros(2, np.float32)
    # Rotation, translation and scale per image; then a shear along x alone.
    angle, scale = np.array([30.0, -90.0], np.float32), np.array([1.0, 0.8], np.float32)
    tx, ty = np.array([0.1, -0.2], np.float32), np.array([0.0, 0.05], np.float32)
    moved = bbox.affine_transform(boxes, angle, tx, ty, scale, zeros, zeros, 64, 96,
                                  center_x=0.25, center_y=0.5)
    expected = np.stack([np_affine(boxes[i], angle[i], tx[i], ty[i], scale[i], 0.0, 64, 96,
                                   0.25, 0.5) for i in range(2)])
    assert_close(moved, expected, rtol=1e-4, atol=1e-3)
    sheared = bbox.affine_transform(boxes, zeros, zeros, zeros, np.ones(2, np.float32),
                                    np.array([15.0, -10.0], np.float32), zeros, 64, 96)
    expected = np.stack([np_affine(boxes[i], 0.0, 0.0, 0.0, 1.0, shear, 64, 96, 0.5, 0.5)
                         for i, shear in enumerate([15.0, -10.0])])
    assert_close(sheared, expected, rtol=1e-4, atol=1e-3)


def test_deltas_match_numpy_and_round_trip():
    anchors = _random_xyxy(3).astype(np.float32)
    boxes = _random_xyxy(2, 3).astype(np.float32)
    variance = [0.1, 0.1, 0.2, 0.2]
    deltas = bbox.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=variance)
    a, b = np_from_xyxy(anchors, "center_yxhw"), np_from_xyxy(boxes, "center_yxhw")
    expected = np.concatenate([(b[..., :2] - a[..., :2]) / a[..., 2:],
                               np.log(b[..., 2:] / a[..., 2:])], -1) / variance
    assert_close(deltas, expected, rtol=1e-4, atol=1e-4)
    decoded = bbox.decode_deltas_to_boxes(anchors, deltas, "xyxy", "xyxy", variance=variance)
    assert_close(decoded, boxes, rtol=1e-5, atol=1e-3)

    relative = np_from_xyxy(boxes, "rel_xywh").astype(np.float32)
    shape = (int(HEIGHT), int(WIDTH), 3)
    deltas = bbox.encode_box_to_deltas(anchors, relative, "xyxy", "rel_xywh",
                                       encoding_format="center_xywh", image_shape=shape)
    levels = bbox.decode_deltas_to_boxes({"P3": anchors}, {"P3": deltas}, "xyxy", "rel_xywh",
                                         encoded_format="center_xywh", image_shape=shape)
    assert_close(levels["P3"], relative, rtol=1e-5, atol=1e-4)


def np_iou(boxes1, boxes2):
    """The (M, N) IoU table of xyxy boxes, pair by pair."""
    table = np.zeros((len(boxes1), len(boxes2)))
    for i, j in itertools.product(range(len(boxes1)), range(len(boxes2))):
        first, second = boxes1[i], boxes2[j]
        overlap = (max(0.0, min(first[2], second[2]) - max(first[0], second[0]))
                   * max(0.0, min(first[3], second[3]) - max(first[1], second[1])))
        union = ((first[2] - first[0]) * (first[3] - first[1])
                 + (second[2] - second[0]) * (second[3] - second[1]) - overlap)
        table[i, j] = overlap / union
    return table


def test_compute_iou_matches_numpy_with_masking_and_mixed_ranks():
    boxes1, boxes2 = _random_xyxy(2, 3), _random_xyxy(2, 4)
    boxes2[0, :2] = boxes1[0, :2]  # identical boxes: IoU 1
    expected = np.stack([np_iou(boxes1[i], boxes2[i]) for i in range(2)])
    centered1, centered2 = np_from_xyxy(boxes1, "center_xywh"), np_from_xyxy(boxes2, "center_xywh")
    assert_close(bbox.compute_iou(centered1, centered2, "center_xywh"), expected,
                 rtol=1e-4, atol=1e-5)
    assert_close(bbox.compute_iou(boxes1, boxes2[1], "xyxy"),  # (2, 3, 4) with (4, 4)
                 np.stack([np_iou(boxes1[i], boxes2[1]) for i in range(2)]), rtol=1e-4, atol=1e-5)
    padded1, padded2 = boxes1.copy(), boxes2.copy()
    padded1[1, 2], padded2[0, 3] = -1.0, -1.0
    masked = bbox.compute_iou(padded1, padded2, "xyxy", use_masking=True, mask_val=-2)
    expected = np.stack([np_iou(padded1[i], padded2[i]) for i in range(2)])
    expected[1, 2, :], expected[0, :, 3] = -2.0, -2.0
    assert_close(masked, expected, rtol=1e-4, atol=1e-5)


def test_compute_ciou_matches_the_numpy_formula():
    boxes1, boxes2 = _random_xyxy(2, 3), _random_xyxy(2, 3)
    boxes2[0, 0] = boxes1[0, 0]  # identical boxes: CIoU 1
    ax1, ay1, ax2, ay2 = np.moveaxis(boxes1, -1, 0)
    bx1, by1, bx2, by2 = np.moveaxis(boxes2, -1, 0)
    overlap = (np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0)
               * np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0))
    iou = overlap / ((ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - overlap)
    diagonal = (np.maximum(ax2, bx2) - np.minimum(ax1, bx1)) ** 2 + \
        (np.maximum(ay2, by2) - np.minimum(ay1, by1)) ** 2
    distance = ((ax1 + ax2 - bx1 - bx2) / 2) ** 2 + ((ay1 + ay2 - by1 - by2) / 2) ** 2
    v = 4 / np.pi ** 2 * (np.arctan((bx2 - bx1) / (by2 - by1))
                          - np.arctan((ax2 - ax1) / (ay2 - ay1))) ** 2
    # alpha = v / (v - iou + 1), with Keras's epsilon so that identical boxes give 0 / eps.
    expected = iou - distance / diagonal - v * v / (v - iou + 1 + 1e-7)
    ciou = bbox.compute_ciou(np_from_xyxy(boxes1, "yxyx"), np_from_xyxy(boxes2, "yxyx"), "yxyx")
    assert tuple(ops.shape(ciou)) == (2, 3)
    assert_close(ciou, expected, rtol=1e-4, atol=1e-4)
    assert abs(float(ops.convert_to_numpy(ciou)[0, 0]) - 1.0) < 1e-4


def _compiled(function):
    """`function` of a few arrays as one compiled step (jax.jit, tf.function;
    torch eager); the step takes one structure, here a tuple."""
    step = B.compile_function(lambda data: {"out": function(*data)}, [], False)
    return lambda *args: step(tuple(B.convert_to_tensor(a) for a in args))["out"]


def test_ops_and_the_layer_inside_a_compiled_function():
    boxes1, boxes2 = _random_xyxy(2, 3).astype(np.float32), _random_xyxy(2, 4).astype(np.float32)
    iou = _compiled(lambda a, b: bbox.compute_iou(bbox.convert_format(a, "xyxy", "xywh"),
                                                  bbox.convert_format(b, "xyxy", "xywh"), "xywh"))
    assert_close(iou(boxes1, boxes2), np.stack([np_iou(boxes1[i], boxes2[i]) for i in range(2)]),
                 rtol=1e-4, atol=1e-5)
    layer = layers.MaxNumBoundingBoxes(5, bounding_box_format="xyxy")
    padded = _compiled(lambda images, boxes, labels: layer(
        {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}})["bounding_boxes"])
    labels = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    out = padded(np.zeros((2, 4, 4, 3), np.float32), boxes1, labels)
    assert_close(out["boxes"], np.concatenate([boxes1, -np.ones((2, 2, 4), np.float32)], 1))
    np.testing.assert_array_equal(ops.convert_to_numpy(out["labels"]),
                                  np.concatenate([labels, -np.ones((2, 2), np.int32)], 1))


def test_max_num_bounding_boxes_pads_and_truncates():
    images = RNG.uniform(size=(2, 8, 8, 3)).astype(np.float32)
    boxes = _random_xyxy(2, 3).astype(np.float32)
    labels = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    for max_number in (2, 5):
        layer = layers.MaxNumBoundingBoxes(max_number, fill_value=-7, bounding_box_format="xyxy")
        out = layer({"images": images, "labels": np.array([0, 1]),
                     "bounding_boxes": {"boxes": boxes, "labels": labels}})
        kept, missing = min(max_number, 3), max(max_number - 3, 0)
        expected_boxes = np.concatenate([boxes[:, :kept], np.full((2, missing, 4), -7.0)], 1)
        expected_labels = np.concatenate([labels[:, :kept], np.full((2, missing), -7)], 1)
        assert_close(out["bounding_boxes"]["boxes"], expected_boxes)
        np.testing.assert_array_equal(ops.convert_to_numpy(out["bounding_boxes"]["labels"]),
                                      expected_labels)
        assert ops.dtype(out["bounding_boxes"]["labels"]) == "int32"
        assert_close(out["images"], images)
        assert_close(out["labels"], np.array([0, 1]))
    # One image, and per-image Python lists of different lengths.
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    single = layer({"images": images[0],
                    "bounding_boxes": {"boxes": boxes[0, :1], "labels": labels[0, :1]}})
    assert_close(single["bounding_boxes"]["boxes"],
                 np.concatenate([boxes[0, :1], -np.ones((2, 4))]))
    ragged = layer({"images": images, "bounding_boxes": {"boxes": [[[1, 2, 3, 4]], []],
                                                         "labels": [[9], []]}})
    np.testing.assert_array_equal(ops.convert_to_numpy(ragged["bounding_boxes"]["labels"]),
                                  [[9, -1, -1], [-1, -1, -1]])
    assert_close(layer(images), images)  # plain images pass through


def test_max_num_bounding_boxes_config_shapes_and_errors():
    layer = layers.MaxNumBoundingBoxes(max_number=4, fill_value=0, bounding_box_format="yxyx")
    config = layer.get_config()
    assert config["max_number"] == 4 and config["fill_value"] == 0
    assert config["bounding_box_format"] == "yxyx"
    restored = kfacade.layers.deserialize(kfacade.layers.serialize(layer))
    assert type(restored) is layers.MaxNumBoundingBoxes and restored.get_config() == config
    shapes = layer.compute_output_shape({"images": (None, 8, 8, 3), "bounding_boxes": {
        "boxes": (None, 10, 4), "labels": (None, 10)}})
    assert shapes["bounding_boxes"] == {"boxes": (None, 4, 4), "labels": (None, 4)}
    images, boxes = np.zeros((1, 4, 4, 3), np.float32), np.zeros((1, 2, 4), np.float32)
    with pytest.raises(ValueError, match="bounding box format"):
        layers.MaxNumBoundingBoxes(2)({"images": images, "bounding_boxes": {
            "boxes": boxes, "labels": np.zeros((1, 2))}})
    with pytest.raises(ValueError, match="keys 'boxes' and 'labels'"):
        layer({"images": images, "bounding_boxes": {"boxes": boxes}})
    with pytest.raises(ValueError, match=r"labels'\].shape=\(2, 2\)"):
        layer({"images": images, "bounding_boxes": {"boxes": boxes, "labels": np.zeros((2, 2))}})
    with pytest.raises(ValueError, match="rank 3"):
        layer(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="max_number"):
        layers.MaxNumBoundingBoxes(0)
