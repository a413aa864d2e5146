"""``kfacade.visualization``: Keras 3's ``keras.visualization``.

Drawing bounding boxes and segmentation masks on image batches (NumPy, with
Pillow for label text; no OpenCV) and plotting image galleries (matplotlib,
imported on first use).
"""
from kfacade.visualization.annotated_galleries import (
    plot_bounding_box_gallery, plot_segmentation_mask_gallery,
)
from kfacade.visualization.boxes import draw_bounding_boxes
from kfacade.visualization.image_gallery import plot_image_gallery
from kfacade.visualization.masks import draw_segmentation_masks

__all__ = [
    "draw_bounding_boxes", "draw_segmentation_masks", "plot_bounding_box_gallery",
    "plot_image_gallery", "plot_segmentation_mask_gallery",
]
