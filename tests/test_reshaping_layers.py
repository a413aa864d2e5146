"""Reshaping layers (up-sampling, zero padding, cropping, RepeatVector,
Permute) against NumPy, and their errors. Runs on the active backend.

Bilinear up-sampling is compared with ``numpy_reference.resize_bilinear``,
written from ``tf.image.resize``'s definition (half-pixel centers) and
checked against it to 1.2e-7.
"""
import numpy as np
import pytest

import kfacade
from kfacade.layers.reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

try:
    from tests import numpy_reference as ref
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    import numpy_reference as ref
    from helpers import assert_close
    from layer_testing import run_layer_test

CL, CF = "channels_last", "channels_first"


def run_in_format(layer, x, data_format):
    """Calls `layer` on channels_last NumPy `x` in `data_format`; returns channels_last NumPy."""
    if data_format == CF:
        x = ref.to_channels_first(x)
    y = np.asarray(kfacade.ops.convert_to_numpy(layer(x)))
    return ref.to_channels_last(y) if data_format == CF else y


def numpy_upsample(x, size):
    """Nearest up-sampling of channels_last `x`: each cell repeated along each spatial axis."""
    for axis, factor in enumerate(size, start=1):
        x = np.repeat(x, factor, axis=axis)
    return x


def numpy_pad(x, pairs):
    return np.pad(x, [(0, 0)] + [tuple(p) for p in pairs] + [(0, 0)])


def numpy_crop(x, pairs):
    return x[(slice(None),) + tuple(slice(b, x.shape[i + 1] - a) for i, (b, a) in enumerate(pairs))]


# ----------------------------------------------------------- up-sampling


def test_upsampling1d(rng):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    layer = UpSampling1D(3)
    assert_close(layer(x), np.repeat(x, 3, axis=1))
    assert layer.compute_output_shape((None, None, 4)) == (None, None, 4)
    assert layer.get_config()["size"] == 3


@pytest.mark.parametrize("size, data_format", [((2, 3), CL), (2, CF)])
def test_upsampling2d_nearest(rng, size, data_format):
    x = rng.standard_normal((2, 3, 4, 2)).astype("float32")
    expected = numpy_upsample(x, ref.as_tuple(size, 2))
    assert_close(run_in_format(UpSampling2D(size, data_format=data_format), x, data_format), expected)


@pytest.mark.parametrize("size, data_format", [((3, 2), CF), ((1, 3), CL)])
def test_upsampling2d_bilinear(rng, size, data_format):
    x = rng.standard_normal((2, 3, 4, 2)).astype("float32")
    layer = UpSampling2D(size, data_format=data_format, interpolation="Bilinear")
    assert layer.interpolation == "bilinear"
    assert_close(run_in_format(layer, x, data_format), ref.resize_bilinear(x, size))


def test_upsampling2d_bilinear_by_hand():
    # A 1x2 image [0, 4] doubled: half-pixel centers sample columns
    # -0.25 (clamped to 0), 0.25, 0.75 and 1.25 (clamped to 1).
    layer = UpSampling2D((1, 2), interpolation="bilinear")
    assert_close(layer(np.array([[[[0.0], [4.0]]]], "float32"))[0, 0, :, 0], [0.0, 1.0, 3.0, 4.0])


@pytest.mark.parametrize("size, data_format", [((2, 1, 3), CL), (2, CF)])
def test_upsampling3d(rng, size, data_format):
    x = rng.standard_normal((1, 2, 3, 2, 2)).astype("float32")
    expected = numpy_upsample(x, ref.as_tuple(size, 3))
    assert_close(run_in_format(UpSampling3D(size, data_format=data_format), x, data_format), expected)


def test_upsampling_output_shapes():
    assert UpSampling2D((2, 3)).compute_output_shape((None, None, 4, 5)) == (None, None, 12, 5)
    assert UpSampling2D(2, data_format=CF).compute_output_shape((1, 5, 3, None)) == (1, 5, 6, None)
    assert UpSampling3D((1, 2, 3)).compute_output_shape((None, 2, 2, 2, 1)) == (None, 2, 4, 6, 1)


# --------------------------------------------------- zero padding, cropping


@pytest.mark.parametrize("cls, padding, pairs, x_shape, data_format", [
    (ZeroPadding1D, 2, [(2, 2)], (2, 3, 2), CL),
    (ZeroPadding1D, (1, 3), [(1, 3)], (2, 3, 2), CF),
    (ZeroPadding2D, 1, [(1, 1), (1, 1)], (1, 3, 2, 2), CL),
    (ZeroPadding2D, (1, 2), [(1, 1), (2, 2)], (1, 3, 2, 2), CF),
    (ZeroPadding2D, ((1, 0), (2, 3)), [(1, 0), (2, 3)], (1, 3, 2, 2), CL),
    (ZeroPadding3D, (1, 0, 2), [(1, 1), (0, 0), (2, 2)], (1, 2, 2, 2, 1), CF),
    (ZeroPadding3D, ((0, 1), (2, 0), (1, 1)), [(0, 1), (2, 0), (1, 1)], (1, 2, 2, 2, 1), CL),
])
def test_zero_padding(rng, cls, padding, pairs, x_shape, data_format):
    x = rng.standard_normal(x_shape).astype("float32")
    layer = cls(padding, data_format=data_format)
    assert_close(run_in_format(layer, x, data_format), numpy_pad(x, pairs))


@pytest.mark.parametrize("cls, cropping, pairs, x_shape, data_format", [
    (Cropping1D, 1, [(1, 1)], (2, 5, 2), CL),
    (Cropping1D, (0, 2), [(0, 2)], (2, 5, 2), CL),
    (Cropping2D, 1, [(1, 1), (1, 1)], (1, 4, 5, 2), CF),
    (Cropping2D, (1, 2), [(1, 1), (2, 2)], (1, 4, 5, 2), CL),
    (Cropping2D, ((1, 0), (0, 3)), [(1, 0), (0, 3)], (1, 4, 5, 2), CF),
    (Cropping3D, 1, [(1, 1), (1, 1), (1, 1)], (1, 3, 4, 3, 1), CL),
    (Cropping3D, ((0, 1), (2, 0), (1, 1)), [(0, 1), (2, 0), (1, 1)], (1, 3, 4, 3, 1), CF),
])
def test_cropping(rng, cls, cropping, pairs, x_shape, data_format):
    x = rng.standard_normal(x_shape).astype("float32")
    layer = cls(cropping) if cls is Cropping1D else cls(cropping, data_format=data_format)
    assert_close(run_in_format(layer, x, data_format), numpy_crop(x, pairs))


def test_padding_and_cropping_output_shapes():
    assert ZeroPadding2D(((1, 0), (2, 3))).compute_output_shape((None, None, 4, 2)) == (None, None, 9, 2)
    assert ZeroPadding1D(2, data_format=CF).compute_output_shape((3, 2, 5)) == (3, 2, 9)
    assert Cropping2D(((1, 0), (2, 3)), data_format=CF).compute_output_shape((None, 2, 5, None)) == (None, 2, 4, None)
    assert Cropping1D((1, 2)).compute_output_shape((None, None, 3)) == (None, None, 3)
    assert ZeroPadding2D(1).get_config()["padding"] == ((1, 1), (1, 1))
    assert Cropping3D(2).get_config()["cropping"] == ((2, 2), (2, 2), (2, 2))


# -------------------------------------------------- RepeatVector, Permute


def test_repeat_vector(rng):
    x = rng.standard_normal((2, 3)).astype("float32")
    layer = RepeatVector(4)
    assert_close(layer(x), np.repeat(x[:, None], 4, axis=1))
    assert layer.compute_output_shape((None, 3)) == (None, 4, 3)


@pytest.mark.parametrize("dims, x_shape", [((2, 1), (2, 3, 4)), ((3, 1, 2), (2, 3, 4, 5))])
def test_permute(rng, dims, x_shape):
    x = rng.standard_normal(x_shape).astype("float32")
    layer = Permute(dims)
    assert_close(layer(x), np.transpose(x, (0,) + dims))
    assert layer.compute_output_shape((None,) + x_shape[1:]) == (None,) + tuple(x_shape[d] for d in dims)


# --------------------------------------------------------- run_layer_test

LAYER_TEST_CASES = [  # (class, kwargs, input shape, output shape)
    (UpSampling1D, dict(size=2), (2, 3, 2), (2, 6, 2)),
    (UpSampling2D, dict(size=(2, 1), interpolation="bilinear"), (2, 3, 2, 2), (2, 6, 2, 2)),
    (UpSampling2D, dict(size=2, data_format=CF), (2, 1, 2, 3), (2, 1, 4, 6)),
    (UpSampling3D, dict(size=(1, 2, 1)), (1, 2, 2, 2, 1), (1, 2, 4, 2, 1)),
    (ZeroPadding1D, dict(padding=(0, 2)), (2, 3, 2), (2, 5, 2)),
    (ZeroPadding2D, dict(padding=((1, 0), (0, 2)), data_format=CF), (1, 2, 3, 3), (1, 2, 4, 5)),
    (ZeroPadding3D, dict(padding=1), (1, 2, 2, 2, 1), (1, 4, 4, 4, 1)),
    (Cropping1D, dict(cropping=(1, 0)), (2, 4, 2), (2, 3, 2)),
    (Cropping2D, dict(cropping=((1, 0), (0, 2))), (1, 3, 4, 2), (1, 2, 2, 2)),
    (Cropping3D, dict(cropping=1, data_format=CF), (1, 1, 3, 4, 3), (1, 1, 1, 2, 1)),
    (RepeatVector, dict(n=3), (2, 4), (2, 3, 4)),
    (Permute, dict(dims=(2, 1)), (2, 3, 4), (2, 4, 3)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", LAYER_TEST_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(LAYER_TEST_CASES)])
def test_run_layer_test(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0)


# ------------------------------------------------------------------ errors


def test_upsampling_interpolation_errors():
    with pytest.raises(ValueError, match="UpSampling2D layer .*Received: interpolation=nonsense"):
        UpSampling2D(interpolation="nonsense")


def test_wrong_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"'up'.*ndim=4.*ndim=3.*\(2, 3, 2\)"):
        UpSampling2D(name="up")(np.zeros((2, 3, 2), "float32"))
    with pytest.raises(ValueError, match=r"'rv'.*ndim=2.*ndim=3"):
        RepeatVector(2, name="rv")(kfacade.Input(shape=(3, 2)))


def test_cropping_too_much_raises():
    with pytest.raises(ValueError, match="cropping"):
        Cropping1D((2, 2))(np.zeros((1, 4, 1), "float32"))
    with pytest.raises(ValueError, match="cropping"):
        Cropping2D(((0, 0), (3, 0))).compute_output_shape((None, 5, 3, 1))


@pytest.mark.parametrize("make, error, match", [
    (lambda: ZeroPadding2D(((1, 2, 3), (1, 1))), ValueError, "padding"),
    (lambda: ZeroPadding2D((1, 2, 3)), ValueError, "padding"),
    (lambda: ZeroPadding1D(-1), ValueError, "padding"),
    (lambda: Cropping3D((1, 1)), ValueError, "cropping"),
    (lambda: UpSampling2D(0), ValueError, "size"),
    (lambda: Permute((1, 3)), ValueError, r"dims=\(1, 3\)"),
    (lambda: RepeatVector(2.5), TypeError, "n=2.5"),
])
def test_argument_validation(make, error, match):
    with pytest.raises(error, match=match):
        make()
