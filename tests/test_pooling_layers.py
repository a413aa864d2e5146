"""Pooling layers against NumPy references, masking, aliases and errors.

Runs on the active backend. Forward outputs match ``numpy_reference.pool``
(or NumPy's max/mean) within 1e-5.
"""
import numpy as np
import pytest

import kfacade
from kfacade.layers import pooling
from kfacade.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
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


def run_in_format(layer, x, data_format, **call_kwargs):
    """Calls `layer` on channels_last NumPy `x` in `data_format`; returns channels_last NumPy."""
    if data_format == CF:
        x = ref.to_channels_first(x)
    y = np.asarray(kfacade.ops.convert_to_numpy(layer(x, **call_kwargs)))
    return ref.to_channels_last(y) if data_format == CF and y.ndim > 2 else y


# ------------------------------------------------------------- windowed

POOL_CASES = [  # (class, mode, input shape channels_last, kwargs)
    (MaxPooling1D, "max", (2, 7, 3), dict()),
    (MaxPooling1D, "max", (2, 7, 3), dict(pool_size=3, strides=2, padding="same", data_format=CF)),
    (MaxPooling2D, "max", (2, 5, 6, 3), dict(pool_size=(3, 2), strides=(2, 1), padding="same")),
    (MaxPooling2D, "max", (2, 5, 6, 3), dict(data_format=CF)),
    (MaxPooling3D, "max", (1, 4, 5, 4, 2), dict(pool_size=2, strides=1, padding="same", data_format=CF)),
    (MaxPooling3D, "max", (1, 4, 5, 4, 2), dict()),
    (AveragePooling1D, "average", (2, 8, 3), dict(pool_size=3, strides=2, padding="same", data_format=CF)),
    (AveragePooling1D, "average", (2, 8, 3), dict(pool_size=3, strides=1)),
    (AveragePooling2D, "average", (2, 5, 6, 3), dict(pool_size=(2, 3), strides=(1, 2), padding="same")),
    (AveragePooling2D, "average", (2, 5, 6, 3), dict(data_format=CF, padding="VALID")),
    (AveragePooling3D, "average", (1, 5, 4, 4, 2), dict(pool_size=(3, 2, 2), strides=2, padding="same")),
    (AveragePooling3D, "average", (1, 4, 5, 4, 2), dict(data_format=CF)),
]


@pytest.mark.parametrize("cls, mode, x_shape, kwargs", POOL_CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(POOL_CASES)])
def test_pooling_matches_numpy(rng, cls, mode, x_shape, kwargs):
    layer = cls(**kwargs)
    rank = len(x_shape) - 2
    x = rng.standard_normal(x_shape).astype("float32")
    pool_size = kwargs.get("pool_size", 2)
    expected = ref.pool(x, pool_size, kwargs.get("strides"), kwargs.get("padding", "valid").lower(), mode)
    actual = run_in_format(layer, x, kwargs.get("data_format", CL))
    assert_close(actual, expected)
    batch_shape = (None,) + (x_shape[1:] if kwargs.get("data_format", CL) == CL
                             else (x_shape[-1],) + x_shape[1:-1])
    computed = layer.compute_output_shape(batch_shape)
    assert computed[1:] == (expected.shape[1:] if kwargs.get("data_format", CL) == CL
                            else (expected.shape[-1],) + expected.shape[1:-1])
    assert len(layer.pool_size) == rank


@pytest.mark.parametrize("layer, input_shape, expected", [
    (MaxPooling1D(), (None, None, 3), (None, None, 3)),
    (MaxPooling2D(3, strides=2, padding="same"), (4, 7, None, 2), (4, 4, None, 2)),
    (AveragePooling2D(data_format=CF), (None, 3, 7, 5), (None, 3, 3, 2)),
    (AveragePooling3D(2, padding="same", data_format=CF), (None, None, 5, 4, 3), (None, None, 3, 2, 2)),
])
def test_pooling_output_shape_with_unknown_dims(layer, input_shape, expected):
    assert layer.compute_output_shape(input_shape) == expected


def test_pooling_defaults_and_config():
    layer = MaxPooling2D()
    assert (layer.pool_size, layer.strides, layer.padding) == ((2, 2), (2, 2), "valid")
    config = AveragePooling1D(3, strides=1, padding="same").get_config()
    assert {k: config[k] for k in ("pool_size", "strides", "padding", "data_format")} == {
        "pool_size": (3,), "strides": (1,), "padding": "same", "data_format": CL,
    }


# --------------------------------------------------------------- global

GLOBAL_CASES = [  # (class, reduction, input shape channels_last)
    (GlobalMaxPooling1D, np.max, (2, 5, 3)),
    (GlobalMaxPooling2D, np.max, (2, 4, 5, 3)),
    (GlobalMaxPooling3D, np.max, (2, 3, 4, 2, 3)),
    (GlobalAveragePooling1D, np.mean, (2, 5, 3)),
    (GlobalAveragePooling2D, np.mean, (2, 4, 5, 3)),
    (GlobalAveragePooling3D, np.mean, (2, 3, 4, 2, 3)),
]


@pytest.mark.parametrize("data_format, keepdims", [(CL, False), (CF, True)])
@pytest.mark.parametrize("cls, reduce, x_shape", GLOBAL_CASES, ids=[c[0].__name__ for c in GLOBAL_CASES])
def test_global_pooling_matches_numpy(rng, cls, reduce, x_shape, data_format, keepdims):
    layer = cls(data_format=data_format, keepdims=keepdims)
    x = rng.standard_normal(x_shape).astype("float32")
    spatial = tuple(range(1, len(x_shape) - 1))
    expected = reduce(x, axis=spatial, keepdims=keepdims)
    assert_close(run_in_format(layer, x, data_format), expected)
    input_shape = (None,) + (x_shape[1:] if data_format == CL else (x_shape[-1],) + x_shape[1:-1])
    ones = (1,) * len(spatial) if keepdims else ()
    assert layer.compute_output_shape(input_shape) == (
        (None,) + ones + (3,) if data_format == CL else (None, 3) + ones
    )


@pytest.mark.parametrize("data_format", [CL, CF])
def test_global_average_pooling_1d_mask(rng, data_format):
    x = rng.standard_normal((2, 4, 3)).astype("float32")
    mask = np.array([[True, True, False, False], [True, False, True, True]])
    expected = np.stack([x[0, :2].mean(0), x[1, [0, 2, 3]].mean(0)])
    layer = GlobalAveragePooling1D(data_format=data_format)
    assert layer.supports_masking
    assert_close(run_in_format(layer, x, data_format, mask=mask), expected)
    assert layer.compute_mask(x, mask) is None


def test_global_average_pooling_1d_mask_keepdims(rng):
    x = rng.standard_normal((1, 3, 2)).astype("float32")
    mask = np.array([[False, True, True]])
    layer = GlobalAveragePooling1D(keepdims=True)
    assert_close(layer(x, mask=mask), x[:, 1:].mean(1, keepdims=True))


def test_keras2_aliases():
    for alias, name in [("MaxPool1D", "MaxPooling1D"), ("MaxPool2D", "MaxPooling2D"),
                        ("MaxPool3D", "MaxPooling3D"), ("AvgPool1D", "AveragePooling1D"),
                        ("AvgPool2D", "AveragePooling2D"), ("AvgPool3D", "AveragePooling3D"),
                        ("GlobalMaxPool1D", "GlobalMaxPooling1D"), ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
                        ("GlobalMaxPool3D", "GlobalMaxPooling3D"), ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
                        ("GlobalAvgPool2D", "GlobalAveragePooling2D"), ("GlobalAvgPool3D", "GlobalAveragePooling3D")]:
        assert getattr(pooling, alias) is getattr(pooling, name)


# --------------------------------------------------------- run_layer_test

LAYER_TEST_CASES = [  # (class, kwargs, input shape, output shape)
    (MaxPooling1D, dict(pool_size=2), (2, 5, 3), (2, 2, 3)),
    (MaxPooling2D, dict(pool_size=2, padding="same", data_format=CF), (2, 3, 5, 4), (2, 3, 3, 2)),
    (MaxPooling3D, dict(pool_size=2), (1, 4, 4, 2, 2), (1, 2, 2, 1, 2)),
    (AveragePooling1D, dict(pool_size=3, strides=1), (2, 5, 3), (2, 3, 3)),
    (AveragePooling2D, dict(pool_size=2), (2, 4, 5, 2), (2, 2, 2, 2)),
    (AveragePooling3D, dict(pool_size=2, padding="same"), (1, 3, 3, 3, 2), (1, 2, 2, 2, 2)),
    (GlobalMaxPooling1D, dict(), (2, 5, 3), (2, 3)),
    (GlobalMaxPooling2D, dict(keepdims=True), (2, 3, 4, 2), (2, 1, 1, 2)),
    (GlobalMaxPooling3D, dict(data_format=CF), (1, 2, 3, 3, 3), (1, 2)),
    (GlobalAveragePooling1D, dict(), (2, 5, 3), (2, 3)),
    (GlobalAveragePooling2D, dict(data_format=CF), (2, 3, 4, 2), (2, 3)),
    (GlobalAveragePooling3D, dict(keepdims=True), (1, 2, 3, 3, 2), (1, 1, 1, 1, 2)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", LAYER_TEST_CASES,
                         ids=[c[0].__name__ for c in LAYER_TEST_CASES])
def test_run_layer_test(cls, kwargs, input_shape, output_shape):
    run_layer_test(cls, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=cls is GlobalAveragePooling1D)


# ------------------------------------------------------------------ errors


def test_pooling_fed_wrong_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"'pool2d'.*ndim=4.*ndim=3.*\(2, 5, 3\)"):
        MaxPooling2D(name="pool2d")(np.zeros((2, 5, 3), "float32"))
    with pytest.raises(ValueError, match=r"'gap'.*ndim=4.*ndim=3"):
        GlobalAveragePooling2D(name="gap")(kfacade.Input(shape=(5, 3)))


@pytest.mark.parametrize("cls", [MaxPooling1D, AveragePooling2D, MaxPooling3D])
def test_invalid_padding_names_layer_and_value(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__} layer .*Received: padding='nonsense'"):
        cls(padding="nonsense")


@pytest.mark.parametrize("kwargs, match", [
    (dict(pool_size=0), "pool_size"),
    (dict(pool_size=(2, 2, 2)), "pool_size"),
    (dict(strides=0), "strides"),
    (dict(data_format="channels_middle"), "channels_middle"),
])
def test_pooling_argument_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MaxPooling2D(**kwargs)


def test_pool_larger_than_input_raises():
    with pytest.raises(ValueError, match="negative"):
        MaxPooling1D(4).compute_output_shape((None, 3, 2))
