"""`plot_image_gallery` (Keras 3's `keras.visualization.plot_image_gallery`).

matplotlib is imported on first use. A gallery saved to `path` is drawn on a
bare `matplotlib.figure.Figure` (no pyplot, so no window and no global
figure state); pyplot is used only when the gallery is to be shown.
"""
import math

import numpy as np

from kfacade import ops
from kfacade.visualization._common import resolve_data_format, to_value_range_255

__all__ = ["plot_image_gallery"]


def plot_image_gallery(images, y_true=None, y_pred=None, label_map=None, rows=None, cols=None,
                       value_range=(0, 255), scale=2, path=None, show=None, transparent=True,
                       dpi=60, legend_handles=None, data_format=None):
    """Plots a grid of images, optionally titled with true and predicted labels.

    Args:
        images: a 4D tensor or NumPy array of images, shape `(batch_size,
            height, width, channels)` (channels-last).
        y_true: 1D true class indices, one per image, or None.
        y_pred: 1D predicted class indices, one per image, or None.
        label_map: dict from class index to name; required with `y_true` or
            `y_pred` (an index missing from it is titled "Unknown").
        rows: grid rows; `None` is `ceil(sqrt(batch_size))`, or
            `ceil(batch_size / cols)` when `cols` is given.
        cols: grid columns; `None` is `ceil(batch_size / rows)`. The first
            `rows * cols` images are shown; unused cells stay blank.
        value_range: the `(low, high)` range of the image values, mapped to
            `[0, 255]` for display. Defaults to `(0, 255)`.
        scale: inches per grid cell (`2`).
        path: a file to save the gallery to. `None` shows it instead.
        show: whether to show the gallery with `plt.show()`; defaults to
            True when `path` is None. Cannot be True with a `path`.
        transparent: save with a transparent background (True).
        dpi: dots per inch of the saved file (`60`).
        legend_handles: matplotlib artists (e.g. `Patch`es) for a legend
            under the grid.
        data_format: `"channels_last"` or `"channels_first"`; defaults to
            `keras.config.image_data_format()`.

    Returns:
        None when the gallery is saved or shown; with `show=False` and no
        `path`, the matplotlib `Figure` (Keras returns None and keeps it open).

    Raises:
        ValueError: both `path` and `show=True`, labels without `label_map`,
            `images` not 4D, or a bad `value_range`.
        ImportError: matplotlib is not installed.
    """
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided."
        )
    show = show if show is not None else path is None
    data_format = resolve_data_format(data_format)
    pixels = ops.convert_to_numpy(images)
    if pixels.ndim != 4:
        raise ValueError(
            "`plot_images_gallery()` requires you to batch your `np.array` samples together. "
            f"Received: images.shape={tuple(pixels.shape)}"
        )
    if data_format == "channels_first":
        pixels = np.transpose(pixels, (0, 2, 3, 1))
    rows, cols = grid_shape(len(pixels), rows, cols)
    pixels = to_value_range_255(pixels[:rows * cols], value_range).astype("uint8")
    titles = _titles(len(pixels), y_true, y_pred, label_map)

    figure = _new_figure(rows, cols, scale, show)
    axes = np.asarray(figure.subplots(nrows=rows, ncols=cols, squeeze=False, sharex="row",
                                      sharey="col")).reshape(rows, cols)
    figure.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        figure.legend(handles=legend_handles, loc="lower center")
    for index, axis in enumerate(axes.reshape(-1)):
        axis.axis("off")
        if index >= len(pixels):
            continue
        image = pixels[index]
        if image.shape[-1] == 1:
            axis.imshow(image[..., 0], cmap="gray", vmin=0, vmax=255)
        else:
            axis.imshow(image)
        axis.margins(x=0, y=0)
        if titles[index]:
            axis.set_title(titles[index], fontsize=8)

    if path is not None:
        figure.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
        return None
    if show:
        import matplotlib.pyplot as plt

        plt.show()
        plt.close(figure)
        return None
    return figure


def grid_shape(count, rows=None, cols=None):
    """`(rows, cols)` of a gallery of `count` images, filling in the missing ones."""
    for name, value in (("rows", rows), ("cols", cols)):
        if value is not None and (int(value) != value or value < 1):
            raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")
    if rows is None and cols is None:
        rows = max(1, math.ceil(math.sqrt(count)))
    if cols is None:
        cols = max(1, math.ceil(count / rows))
    if rows is None:
        rows = max(1, math.ceil(count / cols))
    return int(rows), int(cols)


def _titles(count, y_true, y_pred, label_map):
    """One title per image: "Label: ...  Pred: ..." from the labels given."""
    parts = [[] for _ in range(count)]
    for prefix, labels in (("Label", y_true), ("Pred", y_pred)):
        if labels is None:
            continue
        labels = np.asarray(ops.convert_to_numpy(labels)).reshape(-1)
        for index in range(min(count, len(labels))):
            key = labels[index].item()
            parts[index].append(f"{prefix}: {label_map.get(key, 'Unknown')}")
    return ["  ".join(part) for part in parts]


def _new_figure(rows, cols, scale, show):
    """A figure of `cols * scale` by `rows * scale` inches; through pyplot only if shown."""
    try:
        import matplotlib  # noqa: F401
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(
            "The `plot_image_gallery` function requires the `matplotlib` package. "
            "Please install it with `pip install matplotlib`."
        ) from None
    options = dict(figsize=(cols * scale, rows * scale), frameon=False, layout="tight")
    if show:
        import matplotlib.pyplot as plt

        return plt.figure(**options)
    return Figure(**options)

