"""`kfacade.utils.image_resize` against `tf.image.resize` (antialias off), which Keras 3's
`image_dataset_from_directory` applies. The expected values were computed with
TensorFlow 2 (`tf.image.resize`, `tf.image.resize_with_pad`) and Keras 3.15's
`smart_resize`, rounded to 3 decimals."""
import numpy as np
import pytest

from kfacade.utils.image_resize import (INTERPOLATIONS, resize_image, resize_with_crop,
                                        resize_with_pad)

IMAGE = [[0, 20, 40, 60], [80, 100, 250, 140], [160, 180, 200, 220]]
TF_RESIZED = {
    ('bilinear', (2, 3)): [[23.333, 66.25, 82.083], [143.333, 186.25, 202.083]],
    ('bilinear', (5, 6)): [[0.0, 10.0, 23.333, 36.667, 50.0, 60.0], [32.0, 42.0, 64.0, 112.0, 108.0, 92.0], [80.0, 90.0, 125.0, 225.0, 195.0, 140.0], [128.0, 138.0, 160.0, 208.0, 204.0, 188.0], [160.0, 170.0, 183.333, 196.667, 210.0, 220.0]],
    ('nearest', (2, 3)): [[0.0, 40.0, 60.0], [160.0, 200.0, 220.0]],
    ('nearest', (5, 6)): [[0.0, 20.0, 20.0, 40.0, 60.0, 60.0], [0.0, 20.0, 20.0, 40.0, 60.0, 60.0], [80.0, 100.0, 100.0, 250.0, 140.0, 140.0], [160.0, 180.0, 180.0, 200.0, 220.0, 220.0], [160.0, 180.0, 180.0, 200.0, 220.0, 220.0]],
    ('bicubic', (2, 3)): [[15.19, 58.91, 74.81], [148.329, 192.048, 207.949]],
    ('bicubic', (5, 6)): [[-7.36, 2.771, 15.999, 21.416, 40.525, 55.923], [23.191, 29.716, 54.659, 109.424, 103.53, 82.435], [78.682, 80.588, 120.537, 238.505, 200.588, 132.752], [134.173, 140.698, 165.641, 220.406, 214.512, 193.416], [164.724, 174.855, 188.083, 193.5, 212.609, 228.007]],
    ('area', (2, 3)): [[31.667, 78.333, 92.5], [138.333, 185.0, 199.167]],
    ('area', (5, 6)): [[0.0, 10.0, 20.0, 40.0, 50.0, 60.0], [26.667, 36.667, 46.667, 110.0, 98.333, 86.667], [80.0, 90.0, 100.0, 250.0, 195.0, 140.0], [133.333, 143.333, 153.333, 216.667, 205.0, 193.333], [160.0, 170.0, 180.0, 200.0, 210.0, 220.0]],
    ('lanczos3', (2, 3)): [[10.306, 60.526, 73.139], [150.592, 200.812, 213.425]],
    ('lanczos3', (5, 6)): [[-7.82, 3.644, 14.678, 12.185, 36.472, 57.453], [18.407, 18.661, 51.633, 109.103, 101.487, 72.592], [82.434, 71.54, 126.328, 243.422, 204.083, 125.593], [142.245, 142.499, 175.471, 232.941, 225.325, 196.43], [164.233, 175.697, 186.731, 184.238, 208.525, 229.506]],
    ('lanczos5', (2, 3)): [[6.289, 60.472, 69.241], [154.354, 208.537, 217.306]],
    ('lanczos5', (5, 6)): [[-5.326, 10.249, 17.468, 12.612, 37.534, 63.246], [14.504, 12.335, 47.964, 109.179, 96.325, 66.394], [85.938, 68.205, 128.756, 247.925, 201.934, 123.195], [148.661, 146.492, 182.122, 243.336, 230.482, 200.551], [158.56, 174.134, 181.353, 176.498, 201.42, 227.132]],
    ('gaussian', (2, 3)): [[25.687, 68.997, 84.637], [142.657, 185.966, 201.606]],
    ('gaussian', (5, 6)): [[5.885, 14.586, 28.972, 47.264, 58.312, 63.771], [33.404, 42.105, 65.333, 108.328, 108.19, 94.195], [81.299, 90.0, 123.142, 193.833, 181.154, 145.347], [129.194, 137.895, 161.123, 204.118, 203.98, 189.985], [156.713, 165.414, 179.8, 198.092, 209.14, 214.599]],
    ('mitchellcubic', (2, 3)): [[20.653, 65.103, 80.187], [145.233, 189.683, 204.767]],
    ('mitchellcubic', (5, 6)): [[-1.57, 7.655, 21.515, 33.323, 48.403, 58.757], [27.954, 35.329, 60.692, 109.072, 106.408, 87.855], [79.845, 85.116, 123.573, 213.587, 190.723, 139.262], [131.737, 139.113, 164.476, 212.856, 210.192, 191.638], [161.261, 170.486, 184.346, 196.153, 211.233, 221.587]],
}
TF_PADDED_4x3 = [[23.333, 66.25, 82.083], [143.333, 186.25, 202.083], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
KERAS_CROPPED_2x2 = [[25.0, 79.375], [145.0, 199.375]]


def _image():
    return np.array(IMAGE, dtype="uint8")[..., None]


@pytest.mark.parametrize("method, size", sorted(TF_RESIZED))
def test_resize_matches_tensorflow(method, size):
    resized = resize_image(_image(), size, method)
    assert resized.dtype == np.float32 and resized.shape == size + (1,)
    np.testing.assert_allclose(resized[..., 0], TF_RESIZED[(method, size)], atol=2e-3)


def test_every_interpolation_is_checked():
    assert {method for method, _ in TF_RESIZED} == set(INTERPOLATIONS)


def test_resize_keeps_channels_apart():
    image = np.stack([_image()[..., 0], 255 - _image()[..., 0]], axis=-1)
    resized = resize_image(image, (5, 6), "bicubic")
    np.testing.assert_allclose(resized[..., 0], TF_RESIZED[("bicubic", (5, 6))], atol=2e-3)
    np.testing.assert_allclose(resized[..., 1], 255 - np.array(TF_RESIZED[("bicubic", (5, 6))]),
                               atol=2e-3)


def test_pad_to_aspect_ratio_matches_tensorflow():
    np.testing.assert_allclose(resize_with_pad(_image(), (4, 3))[..., 0], TF_PADDED_4x3,
                               atol=2e-3)


def test_crop_to_aspect_ratio_matches_keras_smart_resize():
    np.testing.assert_allclose(resize_with_crop(_image(), (2, 2))[..., 0], KERAS_CROPPED_2x2,
                               atol=2e-3)


def test_resize_errors():
    with pytest.raises(ValueError, match="interpolation"):
        resize_image(_image(), (2, 2), "cubic")
    with pytest.raises(ValueError, match="height, width, channels"):
        resize_image(np.zeros((3, 4)), (2, 2))
