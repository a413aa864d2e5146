"""kfacade.visualization: boxes and masks drawn on the right pixels (NumPy
references), galleries saved as PNG grids of the right shape, clear errors."""
import numpy as np
import pytest

import kfacade as keras
from kfacade import ops
from kfacade import visualization as viz

COLOR = (10, 200, 30)


def _outline(height, width, box, thickness, color=COLOR, channels=3):
    """Reference outline: the outer rectangle minus the inner one, `thickness` pixels across."""
    x1, y1, x2, y2 = box
    outer, inner = thickness // 2, (thickness - 1) // 2
    expected = np.zeros((height, width, channels), "uint8")
    expected[max(y1 - outer, 0):y2 + outer + 1, max(x1 - outer, 0):x2 + outer + 1] = color
    expected[y1 + inner + 1:y2 - inner, x1 + inner + 1:x2 - inner] = 0
    return expected


@pytest.mark.parametrize("thickness", [1, 3])
def test_box_edges_land_on_the_right_pixels(thickness):
    images = np.zeros((2, 20, 24, 3), "uint8")
    boxes = {"boxes": ops.convert_to_tensor(np.array([[[4, 5, 15, 14]], [[2, 3, 9, 8]]], "float32")),
             "labels": ops.convert_to_tensor(np.array([[1], [-1]]))}
    drawn = viz.draw_bounding_boxes(images, boxes, "xyxy", color=COLOR, line_thickness=thickness)
    assert isinstance(drawn, np.ndarray) and drawn.dtype == np.uint8 and drawn.shape == images.shape
    np.testing.assert_array_equal(drawn[0], _outline(20, 24, (4, 5, 15, 14), thickness))
    np.testing.assert_array_equal(drawn[1], 0)  # label -1 is padding: not drawn
    assert images.max() == 0  # the input is not drawn on


def test_box_formats_go_through_convert_format_and_layouts_round_trip():
    images = np.full((1, 3, 16, 20), 0.5, "float32")  # channels-first, values in [0, 1]
    center = {"boxes": np.array([[[0.5, 0.5, 0.5, 0.5]]], "float32"), "labels": np.array([[0]])}
    drawn = viz.draw_bounding_boxes(images, center, "rel_center_xywh", color=COLOR,
                                    line_thickness=1, data_format="channels_first")
    assert drawn.shape == images.shape
    expected = _outline(16, 20, (5, 4, 15, 12), 1)
    background = np.all(expected == 0, axis=-1)
    expected[background] = int(0.5 * 255)  # floats <= 1 are scaled to [0, 255]
    np.testing.assert_array_equal(np.transpose(drawn[0], (1, 2, 0)), expected)


def test_box_labels_are_written_in_the_box_color():
    pytest.importorskip("PIL", reason="Pillow is needed to write labels")
    images = np.zeros((1, 64, 64, 3), "uint8")
    boxes = {"boxes": np.array([[[8, 40, 56, 60]]], "float32"), "labels": np.array([[3]]),
             "confidences": np.array([[0.9]], "float32")}
    drawn = viz.draw_bounding_boxes(images, boxes, "xyxy", class_mapping={3: "cat"}, color=COLOR,
                                    line_thickness=1, font_scale=0.5)
    above = drawn[0, :39]
    text_pixels = np.any(above != 0, axis=-1)
    assert text_pixels.sum() > 10
    np.testing.assert_array_equal(np.unique(above[text_pixels], axis=0), [COLOR])


def test_masks_blend_with_alpha():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (2, 6, 7, 3)).astype("float32")
    masks = rng.integers(-1, 3, (2, 6, 7, 1)).astype("int32")
    colors = {0: (255, 0, 0), 1: (0, 255, 0), 2: (0, 0, 255)}
    alpha = 0.3
    drawn = viz.draw_segmentation_masks(ops.convert_to_tensor(images), ops.convert_to_tensor(masks),
                                        num_classes=3, color_mapping=colors, alpha=alpha)
    table = np.array([colors[index] for index in range(3)], "float32")
    classes = masks[..., 0]
    valid = classes != -1
    blended = images * (1 - alpha) + table[np.clip(classes, 0, 2)] * alpha
    expected = np.where(valid[..., None], blended, images).astype("uint8")
    assert drawn.dtype == np.uint8
    np.testing.assert_array_equal(drawn, expected)

    unblended = viz.draw_segmentation_masks(images, masks[..., 0], num_classes=3,
                                            color_mapping=colors, blend=False)
    np.testing.assert_array_equal(unblended, np.where(valid[..., None],
                                                      table[np.clip(classes, 0, 2)], images))


def test_masks_default_palette_and_inferred_classes():
    images = np.zeros((1, 2, 2, 3), "float32")
    masks = np.array([[[0, 1], [2, 2]]], "int32")
    drawn = viz.draw_segmentation_masks(images, masks, alpha=1.0)
    palette = [[(index * factor) % 255 for factor in (2**25 - 1, 2**15 - 1, 2**21 - 1)]
               for index in range(3)]
    np.testing.assert_array_equal(drawn[0], np.array(palette, "uint8")[masks[0]])


def _tiles(path):
    """(row count, column count, RGBA array) of the opaque tiles of a saved gallery."""
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("RGBA"))
    opaque = pixels[..., 3] > 0

    def runs(line):
        return int((np.diff(np.r_[0, line.astype(int), 0]) == 1).sum())

    return runs(opaque.any(axis=1)), runs(opaque.any(axis=0)), pixels


@pytest.mark.parametrize("count, rows, cols, grid", [(4, None, None, (2, 2)), (5, None, 3, (2, 3))])
def test_image_gallery_saves_a_png_grid(tmp_path, count, rows, cols, grid):
    pytest.importorskip("matplotlib", reason="matplotlib draws the galleries")
    pytest.importorskip("PIL", reason="Pillow reads the saved gallery back")
    import matplotlib

    matplotlib.use("Agg")
    levels = np.linspace(0.1, 0.9, count)
    images = np.ones((count, 8, 8, 3), "float32") * levels[:, None, None, None]
    path = str(tmp_path / "gallery.png")
    result = viz.plot_image_gallery(images, rows=rows, cols=cols, value_range=(0, 1), scale=1,
                                    dpi=40, path=path)
    assert result is None
    found_rows, found_cols, pixels = _tiles(path)
    assert (found_rows, found_cols) == grid
    opaque = pixels[pixels[..., 3] == 255][:, :3]
    assert abs(int(opaque.min()) - int(levels[0] * 255)) <= 2  # value_range maps to [0, 255]


def test_annotated_galleries_save_png_grids(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib draws the galleries")
    pytest.importorskip("PIL", reason="Pillow reads the saved gallery back")
    images = np.full((3, 12, 12, 3), 100, "uint8")
    masks = np.ones((3, 12, 12, 1), "int32")
    path = str(tmp_path / "masks.png")
    viz.plot_segmentation_mask_gallery(images, num_classes=2, y_true=masks, y_pred=masks,
                                       scale=1, dpi=40, path=path)
    assert _tiles(path)[:2] == (3, 3)  # a row per image: image, y_true, y_pred

    boxes = {"boxes": np.tile(np.array([[2, 2, 9, 9]], "float32"), (3, 1, 1)),
             "labels": np.zeros((3, 1), "int32")}
    path = str(tmp_path / "boxes.png")
    viz.plot_bounding_box_gallery(images, "xyxy", y_true=boxes, y_pred=boxes, legend=True,
                                  rows=1, cols=3, scale=3, dpi=20, path=path)
    rows, cols, pixels = _tiles(path)
    assert rows >= 1  # the opaque legend under the grid joins the columns: count them above it
    tile_band = pixels[: pixels.shape[0] // 3, :, 3] > 0
    assert int((np.diff(np.r_[0, tile_band.any(axis=0).astype(int), 0]) == 1).sum()) == 3
    assert np.any(np.all(pixels[..., :3] == (255, 235, 59), axis=-1))  # the prediction color


def test_errors_name_the_problem():
    images = np.zeros((2, 8, 8, 3), "uint8")
    boxes = {"boxes": np.zeros((2, 1, 4), "float32"), "labels": np.zeros((2, 1), "int32")}
    with pytest.raises(ValueError, match="batched 4D"):
        viz.draw_bounding_boxes(images[0], boxes, "xyxy")
    with pytest.raises(TypeError, match="should be a dict"):
        viz.draw_bounding_boxes(images, boxes["boxes"], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        viz.draw_bounding_boxes(images, {"boxes": boxes["boxes"]}, "xyxy")
    with pytest.raises(ValueError, match="format"):
        viz.draw_bounding_boxes(images, boxes, "xxyy")
    with pytest.raises(ValueError, match="same batch size"):
        viz.draw_bounding_boxes(images[:1], boxes, "xyxy")
    with pytest.raises(ValueError, match="labels"):
        viz.draw_bounding_boxes(images, dict(boxes, labels=np.zeros((2, 3))), "xyxy")
    with pytest.raises(ValueError, match=r"class_mapping.*\[0\]"):
        viz.draw_bounding_boxes(images, boxes, "xyxy", class_mapping={1: "dog"})
    with pytest.raises(TypeError, match="integer dtype"):
        viz.draw_segmentation_masks(images, np.zeros((2, 8, 8), "float32"))
    with pytest.raises(ValueError, match="segmentation_masks` must have shape"):
        viz.draw_segmentation_masks(images, np.zeros((1, 8, 8), "int32"))
    with pytest.raises(ValueError, match=r"color_mapping.*\[1\]"):
        viz.draw_segmentation_masks(images, np.zeros((2, 8, 8), "int32"), num_classes=2,
                                    color_mapping={0: (1, 2, 3)})
    with pytest.raises(ValueError, match="`path` to be set, or `show`"):
        viz.plot_image_gallery(images, path="x.png", show=True)
    with pytest.raises(ValueError, match="label_map"):
        viz.plot_image_gallery(images, y_true=np.zeros(2), path="x.png")
    with pytest.raises(ValueError, match="legend"):
        viz.plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=[object()])


def test_public_namespace():
    assert keras.visualization is viz
    assert sorted(viz.__all__) == ["draw_bounding_boxes", "draw_segmentation_masks",
                                   "plot_bounding_box_gallery", "plot_image_gallery",
                                   "plot_segmentation_mask_gallery"]
