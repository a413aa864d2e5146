"""`plot_bounding_box_gallery` and `plot_segmentation_mask_gallery` (Keras 3's).

Both draw on the images with `draw_bounding_boxes` / `draw_segmentation_masks`
and hand the result to `plot_image_gallery`. The images are first mapped from
`value_range` to `[0, 255]`, so that the drawing colors (given in `[0, 255]`)
and the images share one scale whatever `value_range` is.
"""
import numpy as np

from kfacade import ops
from kfacade.visualization._common import (
    batched_images, resolve_data_format, to_value_range_255,
)
from kfacade.visualization.boxes import draw_bounding_boxes
from kfacade.visualization.image_gallery import plot_image_gallery
from kfacade.visualization.masks import draw_segmentation_masks

__all__ = ["plot_bounding_box_gallery", "plot_segmentation_mask_gallery"]


def plot_bounding_box_gallery(images, bounding_box_format, y_true=None, y_pred=None,
                              value_range=(0, 255), true_color=(0, 188, 212),
                              pred_color=(255, 235, 59), line_thickness=2, font_scale=1.0,
                              text_thickness=None, class_mapping=None, ground_truth_mapping=None,
                              prediction_mapping=None, legend=False, legend_handles=None,
                              rows=None, cols=None, data_format=None, **kwargs):
    """Plots a gallery of images with their true and/or predicted bounding boxes.

    Args:
        images: a 4D tensor or NumPy array, `(batch_size, height, width,
            channels)` (channels-last).
        bounding_box_format: the format of the boxes in `y_true`/`y_pred`
            (see `keras.utils.bounding_boxes.convert_format`).
        y_true: ground-truth boxes, a dict as `draw_bounding_boxes` takes.
        y_pred: predicted boxes, the same structure.
        value_range: the `(low, high)` range of the image values (`(0, 255)`).
        true_color: RGB of the ground-truth boxes (`(0, 188, 212)`).
        pred_color: RGB of the predicted boxes (`(255, 235, 59)`).
        line_thickness: box edge width (`2`).
        font_scale: label text size (`1.0`).
        text_thickness: label stroke width; defaults to `line_thickness`.
        class_mapping: dict from class id to name, for both sets of boxes.
        ground_truth_mapping: overrides `class_mapping` for `y_true`.
        prediction_mapping: overrides `class_mapping` for `y_pred`.
        legend: add a "Ground Truth"/"Prediction" legend (False).
        legend_handles: matplotlib artists for a custom legend; not with
            `legend=True`.
        rows: grid rows (see `plot_image_gallery`).
        cols: grid columns.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        **kwargs: passed on to `plot_image_gallery` (`path`, `show`,
            `scale`, `dpi`, `transparent`, ...).

    Returns:
        What `plot_image_gallery` returns.

    Raises:
        ValueError: `images` is not 4D, both `legend` and `legend_handles`,
            or any error of `draw_bounding_boxes`.
        ImportError: matplotlib is not installed.
    """
    if legend and legend_handles:
        raise ValueError("Only pass `legend` OR `legend_handles` to "
                         "`keras.visualization.plot_bounding_box_gallery()`.")
    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    data_format = resolve_data_format(data_format)
    plotted = to_value_range_255(batched_images(images, data_format), value_range)
    plotted = plotted.astype("uint8")
    options = dict(bounding_box_format=bounding_box_format, line_thickness=line_thickness,
                   text_thickness=text_thickness, font_scale=font_scale,
                   data_format="channels_last")
    if y_true is not None:
        plotted = draw_bounding_boxes(plotted, y_true, color=true_color,
                                      class_mapping=ground_truth_mapping, **options)
    if y_pred is not None:
        plotted = draw_bounding_boxes(plotted, y_pred, color=pred_color,
                                      class_mapping=prediction_mapping, **options)
    if legend:
        legend_handles = _legend_patches(true_color, pred_color)
    return plot_image_gallery(plotted, value_range=(0, 255), legend_handles=legend_handles,
                              rows=rows, cols=cols, data_format="channels_last", **kwargs)


def plot_segmentation_mask_gallery(images, num_classes, value_range=(0, 255), y_true=None,
                                   y_pred=None, color_mapping=None, blend=True, alpha=0.8,
                                   ignore_index=-1, data_format=None, **kwargs):
    """Plots each image beside its true and/or predicted segmentation masks.

    The gallery has one row per image and one column for the image, plus one
    for `y_true` and one for `y_pred` when given.

    Args:
        images: a 4D tensor or NumPy array, `(batch_size, height, width,
            channels)` (channels-last).
        num_classes: how many classes have colors (see
            `draw_segmentation_masks`).
        value_range: the `(low, high)` range of the image values (`(0, 255)`).
        y_true: integer masks `(batch_size, height, width)` or with a
            trailing (channels-first: leading) channel of 1, or None.
        y_pred: predicted masks of the same shape, or None.
        color_mapping: dict from class index to RGB color; None uses the
            generated palette.
        blend: mix masks with the images using `alpha` (True).
        alpha: mask opacity in `[0, 1]` (`0.8`).
        ignore_index: a class left undrawn (`-1`).
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.
        **kwargs: passed on to `plot_image_gallery` (`path`, `show`,
            `scale`, `dpi`, ...).

    Returns:
        What `plot_image_gallery` returns.

    Raises:
        ValueError: `images` is not 4D, or any error of
            `draw_segmentation_masks`.
        ImportError: matplotlib is not installed.
    """
    data_format = resolve_data_format(data_format)
    pixels = to_value_range_255(batched_images(images, data_format), value_range)
    drawn = []
    for masks in (y_true, y_pred):
        if masks is None:
            continue
        masks = ops.convert_to_numpy(masks)
        if masks.dtype.kind == "f":  # Keras casts the masks to int32 before drawing.
            masks = masks.astype("int32")
        if data_format == "channels_first" and masks.ndim == 4:
            masks = np.transpose(masks, (0, 2, 3, 1))
        drawn.append(draw_segmentation_masks(
            pixels, masks, num_classes=num_classes, color_mapping=color_mapping, alpha=alpha,
            blend=blend, ignore_index=ignore_index, data_format="channels_last"))
    columns = [pixels] + [np.asarray(result, dtype="float32") for result in drawn]
    gallery = np.stack(columns, axis=1).reshape((-1,) + pixels.shape[1:])
    return plot_image_gallery(gallery, value_range=(0, 255), rows=len(pixels),
                              cols=len(columns), data_format="channels_last", **kwargs)


def _legend_patches(true_color, pred_color):
    """Legend patches for the two box colors."""
    try:
        from matplotlib import patches
    except ImportError:
        raise ImportError(
            "The `plot_bounding_box_gallery` function requires the `matplotlib` package. "
            "Please install it with `pip install matplotlib`."
        ) from None
    return [patches.Patch(color=np.asarray(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.asarray(pred_color) / 255.0, label="Prediction")]
