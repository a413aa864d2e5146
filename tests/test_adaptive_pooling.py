"""Adaptive pooling: ``ops.adaptive_average_pool`` / ``ops.adaptive_max_pool``
and the six Adaptive*Pooling layers, on the active backend.

The reference is NumPy in float64 written from PyTorch's bin rule (output i
along an axis of length L pooled to `out` covers
``[floor(i * L / out), ceil((i + 1) * L / out))``), with float floor/ceil
so that it does not share the op's integer arithmetic. Input shapes are
few and reused: JAX compiles each new shape.
"""
import itertools
import math

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.layers.pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)

try:
    from tests.helpers import assert_close
    from tests.layer_testing import run_layer_test
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close
    from layer_testing import run_layer_test

CL, CF = "channels_last", "channels_first"
LAYERS = {
    ("average", 1): AdaptiveAveragePooling1D, ("average", 2): AdaptiveAveragePooling2D,
    ("average", 3): AdaptiveAveragePooling3D, ("max", 1): AdaptiveMaxPooling1D,
    ("max", 2): AdaptiveMaxPooling2D, ("max", 3): AdaptiveMaxPooling3D,
}
OPS = {"average": ops.adaptive_average_pool, "max": ops.adaptive_max_pool}


def bin_slices(length, output_length):
    """The input positions of each output bin along one axis, as slices."""
    return [slice(math.floor(i * length / output_length),
                  math.ceil((i + 1) * length / output_length)) for i in range(output_length)]


def reference_pool(x, output_size, mode):
    """Adaptive pooling of channels_last `x` in float64, one output position at a time."""
    x = np.asarray(x, dtype=np.float64)
    spatial = x.shape[1:-1]
    output_size = (output_size,) * len(spatial) if isinstance(output_size, int) else output_size
    reduce = np.max if mode == "max" else np.mean
    bins = [bin_slices(length, out) for length, out in zip(spatial, output_size)]
    out = np.empty((x.shape[0],) + tuple(output_size) + (x.shape[-1],))
    for position in itertools.product(*(range(n) for n in output_size)):
        window = x[(slice(None),) + tuple(b[i] for b, i in zip(bins, position))]
        out[(slice(None),) + position] = reduce(window, axis=tuple(range(1, len(spatial) + 1)))
    return out


def to_format(x, data_format):
    """channels_last NumPy `x` in `data_format`."""
    return x if data_format == CL else np.moveaxis(x, -1, 1)


def from_format(x, data_format):
    """NumPy `x` in `data_format` as channels_last."""
    return x if data_format == CL else np.moveaxis(x, 1, -1)


def test_reference_bins_are_pytorch_rule():
    # L=5 -> 3: [0, 2), [1, 4), [3, 5); L=3 -> 5 repeats inputs.
    assert bin_slices(5, 3) == [slice(0, 2), slice(1, 4), slice(3, 5)]
    assert bin_slices(3, 5) == [slice(0, 1), slice(0, 2), slice(1, 2), slice(1, 3), slice(2, 3)]


# ------------------------------------------------------------------ values

X1, X2, X3 = (2, 10, 3), (2, 9, 8, 3), (1, 5, 6, 4, 2)  # channels_last input shapes
CASES = [  # (input shape, output_size, data_format): divisible, not, larger, equal, mixed;
    # int and tuple. channels_first only where it adds a path: the op is the
    # same on either layout but for the axes it reduces.
    (X1, 5, CL), (X1, 4, CL), (X1, 4, CF), (X1, (13,), CL), (X1, 10, CL), (X1, 1, CF),
    (X2, (3, 4), CL), (X2, (3, 4), CF), (X2, (4, 3), CL), (X2, 5, CL), (X2, 5, CF),
    (X2, (12, 2), CL), (X2, (9, 1), CL),
    (X3, 2, CL), (X3, (3, 4, 7), CL), (X3, (3, 4, 7), CF), (X3, (5, 3, 1), CL),
]


@pytest.mark.parametrize("mode", ["average", "max"])
@pytest.mark.parametrize("x_shape, output_size, data_format", CASES,
                         ids=[f"{len(s) - 2}d-{o}-{f[9:]}" for s, o, f in CASES])
def test_op_matches_reference(rng, x_shape, output_size, data_format, mode):
    x = rng.standard_normal(x_shape).astype("float32")
    expected = reference_pool(x, output_size, mode)
    y = OPS[mode](to_format(x, data_format), output_size, data_format=data_format)
    assert B.dtype(y) == "float32"
    assert_close(from_format(ops.convert_to_numpy(y), data_format), expected, rtol=1e-5, atol=1e-6)


def test_default_data_format_is_the_config(rng):
    x = rng.standard_normal(X2).astype("float32")
    previous = kfacade.config.image_data_format()
    kfacade.config.set_image_data_format(CF)
    try:
        y = ops.adaptive_average_pool(to_format(x, CF), (4, 3))
        layer = AdaptiveMaxPooling2D((4, 3))
    finally:
        kfacade.config.set_image_data_format(previous)
    assert_close(from_format(ops.convert_to_numpy(y), CF), reference_pool(x, (4, 3), "average"))
    assert layer.data_format == CF


def test_integer_inputs(rng):
    x = rng.integers(-50, 50, X1).astype("int32")
    average = ops.adaptive_average_pool(x, 4)
    maximum = ops.adaptive_max_pool(x, 4)
    assert B.dtype(average) == kfacade.config.floatx()
    assert B.dtype(maximum) == "int32"
    assert_close(average, reference_pool(x, 4, "average"), rtol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(maximum), reference_pool(x, 4, "max"))


def reference_gradient(x, output_size, mode, upstream):
    """d sum(pool(x) * upstream) / dx for channels_last 2-D `x` (float64)."""
    grad = np.zeros(x.shape)
    rows, cols = bin_slices(x.shape[1], output_size[0]), bin_slices(x.shape[2], output_size[1])
    for (i, r), (j, c) in itertools.product(enumerate(rows), enumerate(cols)):
        g = upstream[:, i, j, :]
        if mode == "average":
            grad[:, r, c, :] += g[:, None, None, :] / ((r.stop - r.start) * (c.stop - c.start))
        else:
            window = x[:, r, c, :]
            flat = window.reshape(x.shape[0], -1, x.shape[-1]).argmax(1)
            for n, ch in itertools.product(range(x.shape[0]), range(x.shape[-1])):
                a, b = np.unravel_index(flat[n, ch], window.shape[1:3])
                grad[n, r.start + a, c.start + b, ch] += g[n, ch]
    return grad


@pytest.mark.parametrize("mode", ["average", "max"])
def test_gradients_match_reference(rng, mode):
    # Rows 9 -> 4 gather overlapping bins; columns 8 -> 4 take the reshape path.
    x = rng.standard_normal(X2).astype("float32")
    upstream = rng.standard_normal((2, 4, 4, 3)).astype("float32")
    variable = kfacade.Variable(x, name="x")

    def loss():
        return B.sum(B.multiply(OPS[mode](variable.value, (4, 4)), upstream)), None

    _, grads = B.value_and_grad(loss, [variable])
    assert_close(grads[0], reference_gradient(x, (4, 4), mode, upstream), rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(kfacade.backend.backend() != "torch", reason="compares with torch's own kernel")
@pytest.mark.parametrize("output_size", [(3, 4), (4, 3), (12, 2)])
def test_matches_torch_adaptive_avg_pool2d(rng, output_size):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((2, 3, 9, 8)).astype("float32")  # channels_first
    expected = torch.nn.functional.adaptive_avg_pool2d(torch.from_numpy(x), output_size).numpy()
    assert_close(ops.adaptive_average_pool(x, output_size, data_format=CF), expected, atol=1e-6)
    expected = torch.nn.functional.adaptive_max_pool2d(torch.from_numpy(x), output_size).numpy()
    assert_close(ops.adaptive_max_pool(x, output_size, data_format=CF), expected)


# ------------------------------------------------------------------ layers

LAYER_CASES = [  # (class, kwargs, input shape, output shape)
    (AdaptiveAveragePooling1D, dict(output_size=4), X1, (2, 4, 3)),
    (AdaptiveMaxPooling1D, dict(output_size=(13,), data_format=CF), (2, 3, 10), (2, 3, 13)),
    (AdaptiveAveragePooling2D, dict(output_size=(4, 3), data_format=CF), (2, 3, 9, 8), (2, 3, 4, 3)),
    (AdaptiveMaxPooling2D, dict(output_size=5), X2, (2, 5, 5, 3)),
    (AdaptiveAveragePooling3D, dict(output_size=(3, 4, 7)), X3, (1, 3, 4, 7, 2)),
    (AdaptiveMaxPooling3D, dict(output_size=2, data_format=CF), (1, 2, 5, 6, 4), (1, 2, 2, 2, 2)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", LAYER_CASES,
                         ids=[c[0].__name__ for c in LAYER_CASES])
def test_run_layer_test(cls, kwargs, input_shape, output_shape):
    data_format = kwargs.get("data_format", CL)
    x = np.random.default_rng(0).standard_normal(input_shape).astype("float32")
    mode = "max" if "Max" in cls.__name__ else "average"
    expected = to_format(reference_pool(from_format(x, data_format), kwargs["output_size"], mode),
                         data_format)
    run_layer_test(cls, kwargs, input_data=x, expected_output_shape=output_shape,
                   expected_output=expected, expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, supports_masking=False)


def test_config_round_trip():
    layer = AdaptiveAveragePooling2D([4, 3], data_format="Channels_First", name="pool")
    config = layer.get_config()
    assert (config["output_size"], config["data_format"]) == ((4, 3), CF)
    assert AdaptiveAveragePooling1D(7).get_config()["output_size"] == (7,)
    assert AdaptiveMaxPooling3D(2).output_size == (2, 2, 2)
    clone = layers.deserialize(layers.serialize(layer))
    assert type(clone) is AdaptiveAveragePooling2D
    assert clone.get_config() == config


def test_layers_are_exported_and_registered():
    for cls in LAYERS.values():
        assert getattr(layers, cls.__name__) is cls
        clone = layers.deserialize({"class_name": cls.__name__, "config": cls(3).get_config()})
        assert type(clone) is cls


def test_fit_through_adaptive_pooling_lowers_the_loss():
    kfacade.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64,) + X2[1:]).astype("float32")
    y = x[:, :4, :, :].mean(axis=(1, 2, 3))[:, None]  # a function of the top rows
    model = kfacade.Sequential([
        kfacade.Input(shape=X2[1:]),
        layers.Conv2D(4, 3, padding="same"),
        layers.AdaptiveAveragePooling2D((4, 3)),  # 9 -> 4 and 8 -> 3: overlapping bins
        layers.Flatten(),
        layers.Dense(1),
    ])
    model.compile(optimizer=kfacade.optimizers.Adam(1e-2), loss="mse")
    history = model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0], losses


# ---------------------------------------------------------------- symbolic


@pytest.mark.parametrize("mode", ["average", "max"])
def test_symbolic_shapes(mode):
    op = OPS[mode]
    assert op(kfacade.Input((None, 8, 3)), 2).shape == (None, 2, 2, 3)  # Keras: TypeError here
    assert op(kfacade.Input((10, 3)), (4,)).shape == (None, 4, 3)
    assert op(kfacade.Input((3, None, 7)), (5, 2), data_format=CF).shape == (None, 3, 5, 2)
    assert op(kfacade.Input((5, 6, 4, 2)), (3, 4, 7)).shape == (None, 3, 4, 7, 2)
    assert op(kfacade.Input((4, 9, 8), dtype="int32"), 3).dtype == (
        "int32" if mode == "max" else kfacade.config.floatx())
    layer = LAYERS[mode, 2](3, data_format=CF)
    assert layer(kfacade.Input((4, None, None))).shape == (None, 4, 3, 3)
    assert layer.compute_output_shape((None, 4, None, 11)) == (None, 4, 3, 3)


def test_functional_model_predicts_like_the_reference(rng):
    inputs = kfacade.Input(X3[1:])
    model = kfacade.Model(inputs, ops.adaptive_max_pool(inputs, (3, 4, 7)))
    x = rng.standard_normal(X3).astype("float32")
    assert_close(model.predict(x, verbose=0), reference_pool(x, (3, 4, 7), "max"))


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("mode", ["average", "max"])
def test_op_argument_errors(mode):
    op = OPS[mode]
    x = np.zeros(X2, "float32")
    with pytest.raises(ValueError, match=r"3-D, 4-D or 5-D.*\(2, 3\)"):
        op(np.zeros((2, 3), "float32"), 2)
    with pytest.raises(ValueError, match=r"3-D, 4-D or 5-D.*rank 6"):
        op(np.zeros((1, 2, 2, 2, 2, 1), "float32"), 1)
    with pytest.raises(ValueError, match=r"output_size.*tuple of 2.*\(2, 2, 2\)"):
        op(x, (2, 2, 2))
    with pytest.raises(ValueError, match=r"output_size.*> 0"):
        op(x, (0, 2))
    with pytest.raises(ValueError, match=r"output_size"):
        op(x, "big")
    with pytest.raises(ValueError, match=r"channels_middle"):
        op(x, 2, data_format="channels_middle")
    with pytest.raises(ValueError, match=r"3-D, 4-D or 5-D"):  # also symbolically
        op(kfacade.Input((5,)), 2)


@pytest.mark.parametrize("cls", list(LAYERS.values()), ids=lambda c: c.__name__)
def test_layer_output_size_errors(cls):
    rank = int(cls.__name__[-2])
    with pytest.raises(ValueError if rank == 1 else TypeError, match=r"output_size.*Received"):
        cls((2,) * (rank + 1))  # Keras: ValueError in 1-D, TypeError in 2-D and 3-D
    with pytest.raises(TypeError, match=r"output_size.*'big'"):
        cls("big")
    with pytest.raises(TypeError, match=r"output_size"):
        cls(None)
    with pytest.raises(ValueError, match=r"output_size.*> 0.*-1"):
        cls(-1)
    with pytest.raises(ValueError, match=r"channels_middle"):
        cls(2, data_format="channels_middle")


def test_layer_fed_wrong_rank_names_layer_and_shape():
    with pytest.raises(ValueError, match=r"'adaptive'.*ndim=4.*ndim=3.*\(2, 10, 3\)"):
        AdaptiveAveragePooling2D(2, name="adaptive")(np.zeros(X1, "float32"))
    with pytest.raises(ValueError, match=r"ndim=3.*ndim=4"):
        AdaptiveMaxPooling1D(2)(kfacade.Input(X2[1:]))
    with pytest.raises(ValueError, match=r"ndim=5.*ndim=4"):
        AdaptiveMaxPooling3D(2).compute_output_shape((None,) + X2[1:])
