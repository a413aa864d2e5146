"""``kfacade.ops.image``: image ops with ``keras.ops.image``'s names.

Explicit re-exports only; each kind of op lives in its own module.
"""
from kfacade.ops.image.color import hsv_to_rgb, rgb_to_grayscale, rgb_to_hsv
from kfacade.ops.image.crop_pad import crop_images, pad_images
from kfacade.ops.image.filters import gaussian_blur, sobel_edges, ssim
from kfacade.ops.image.geometry import affine_transform, elastic_transform, perspective_transform
from kfacade.ops.image.patches import extract_patches, extract_patches_3d
from kfacade.ops.image.resizing import resize, scale_and_translate
from kfacade.ops.image.sampling import map_coordinates
