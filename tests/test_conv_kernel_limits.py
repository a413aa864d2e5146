"""Conv and pool cases that some frameworks' CPU kernels refuse, on every backend.

TensorFlow picks its CPU kernels by instruction set: with oneDNN (on by
default where the CPU has AVX-512) depthwise convs take unequal strides and
transposed convs take dilations; Eigen's kernels (CPUs without AVX-512, or
``TF_ENABLE_ONEDNN_OPTS=0``) do not, lack float16/float64 3-D pools, and TF's
eager Conv3D/Pool3D gradients fail unless the data format is named. The
adapter computes each case with kernels every CPU has. These tests run each
case forward against NumPy and check its gradients; ``tests/run_all_backends.py``
runs the TensorFlow suite with oneDNN off and these tests again with it on, so
both kernel families are exercised on whatever CPU runs the suite.

Gradient check: every op here is linear in its input and in its kernel, so
for ``L(x, k) = sum(op(x, k) * r)`` the gradient in any direction ``v`` is
``<dL/dx, v> = L(v, k)`` (likewise for the kernel). Pools are positively
homogeneous, so ``<dL/dx, x> = L(x)`` (Euler).
"""
import numpy as np
import pytest

import kfacade
from kfacade.backend import adapter as B

try:
    from tests import numpy_reference as ref
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    import numpy_reference as ref
    from helpers import assert_close

CONV_CASES = [  # (op, rank, kwargs): each a case some CPU kernel refuses
    ("depthwise_conv", 1, dict(strides=2, padding="valid")),  # rank 1 -> strides (1, s)
    ("depthwise_conv", 1, dict(strides=2, padding="same")),
    ("depthwise_conv", 2, dict(strides=(2, 1), padding="same")),  # unequal strides
    ("depthwise_conv", 2, dict(strides=2, dilation_rate=2, padding="same")),  # strides and dilation
    ("conv_transpose", 1, dict(dilation_rate=2, padding="same")),  # dilated backprop-input
    ("conv_transpose", 2, dict(strides=2, dilation_rate=(2, 1), padding="valid")),
    ("conv_transpose", 3, dict(dilation_rate=2, padding="same")),
    ("conv", 3, dict(strides=2, padding="same")),  # eager Conv3D gradient
    ("conv", 2, dict(strides=2, dilation_rate=2, padding="same")),
]


def _shapes(op, rank, channels=3):
    spatial = (7, 6, 5)[:rank]
    x_shape = (2, *spatial, channels)
    if op == "conv":
        return x_shape, (3,) * rank + (channels, 4)
    if op == "depthwise_conv":
        return x_shape, (3,) * rank + (channels, 2)
    return x_shape, (3,) * rank + (4, channels)  # conv_transpose: (..., filters, in)


def _reference(op, x, kernel, kwargs):
    strides, padding = kwargs.get("strides", 1), kwargs["padding"]
    dilation = kwargs.get("dilation_rate", 1)
    if op == "conv":
        return ref.conv(x, kernel, strides, padding, dilation)
    if op == "depthwise_conv":
        return ref.depthwise_conv(x, kernel, strides, padding, dilation)
    return ref.conv_transpose(x, kernel, strides, padding, None, dilation)


def _loss_and_grads(fn, arrays, weights):
    """``sum(fn(*values) * weights)`` and its gradients w.r.t. each array."""
    variables = [kfacade.Variable(a, trainable=True) for a in arrays]
    weights = B.convert_to_tensor(weights)

    def loss_fn():
        return B.sum(B.multiply(fn(*[v.value for v in variables]), weights)), None

    (loss, _), grads = B.value_and_grad(loss_fn, variables)
    return float(B.convert_to_numpy(loss)), [np.asarray(B.convert_to_numpy(g), np.float64) for g in grads]


@pytest.mark.parametrize("op, rank, kwargs", CONV_CASES,
                         ids=[f"{c[0]}-{c[1]}d-{i}" for i, c in enumerate(CONV_CASES)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv_case_forward_and_gradients(rng, op, rank, kwargs, data_format):
    x_shape, kernel_shape = _shapes(op, rank)
    x = rng.uniform(-0.5, 0.5, x_shape).astype("float32")
    kernel = rng.uniform(-0.5, 0.5, kernel_shape).astype("float32")
    expected = _reference(op, x, kernel, kwargs)
    channels_first = data_format == "channels_first"

    def run(x_value, kernel_value):
        if channels_first:
            x_value = B.transpose(x_value, (0, rank + 1, *range(1, rank + 1)))
        y = getattr(B, op)(x_value, kernel_value, data_format=data_format, **kwargs)
        return B.transpose(y, (0, *range(2, rank + 2), 1)) if channels_first else y

    assert_close(run(B.convert_to_tensor(x), B.convert_to_tensor(kernel)), expected)

    weights = rng.uniform(-1, 1, expected.shape).astype("float32")
    loss, (grad_x, grad_kernel) = _loss_and_grads(run, [x, kernel], weights)
    np.testing.assert_allclose(loss, np.sum(expected * weights), rtol=1e-4, atol=1e-4)
    direction_x = rng.uniform(-1, 1, x_shape).astype("float32")
    direction_kernel = rng.uniform(-1, 1, kernel_shape).astype("float32")
    np.testing.assert_allclose(
        np.sum(grad_x * direction_x),
        np.sum(_reference(op, direction_x, kernel, kwargs) * weights), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(
        np.sum(grad_kernel * direction_kernel),
        np.sum(_reference(op, x, direction_kernel, kwargs) * weights), rtol=1e-4, atol=1e-4)


# float16 and float64 3-D pools have no kernel in TF's Eigen build; float32 runs the native one.
POOL_TOLERANCE = {"float16": 2e-3, "float32": 1e-5, "float64": 1e-12}


@pytest.mark.parametrize("dtype", sorted(POOL_TOLERANCE))
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("mode", ["max", "average"])
def test_pool3d_forward_and_gradient(rng, dtype, padding, mode):
    x = rng.uniform(-1, 1, (2, 5, 6, 4, 3)).astype(dtype)
    pool = B.max_pool if mode == "max" else B.average_pool
    kwargs = dict(pool_size=(2, 3, 2), strides=(2, 2, 1), padding=padding)
    expected = ref.pool(x.astype("float64"), mode="max" if mode == "max" else "avg", **kwargs)
    x_tensor = B.convert_to_tensor(x)
    # The input's dtype as stored (JAX without x64 narrows float64, see the contract).
    stored = kfacade.backend.standardize_dtype(B.dtype(x_tensor))
    result = pool(x_tensor, **kwargs)
    assert kfacade.backend.standardize_dtype(B.dtype(result)) == stored
    tolerance = POOL_TOLERANCE[stored]
    assert_close(np.asarray(B.convert_to_numpy(result), np.float64), expected,
                 rtol=tolerance, atol=tolerance)

    weights = rng.uniform(0, 1, expected.shape).astype(dtype)
    loss, (grad,) = _loss_and_grads(lambda t: pool(t, **kwargs), [x], weights)
    np.testing.assert_allclose(np.sum(grad * x.astype("float64")), loss,
                               rtol=10 * tolerance, atol=10 * tolerance)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pool3d_channels_first_matches_channels_last(rng, data_format):
    x = rng.uniform(-1, 1, (1, 4, 5, 6, 2)).astype("float32")
    expected = ref.pool(x, (2, 2, 3), (1, 2, 3), "same", mode="avg")
    if data_format == "channels_first":
        x = ref.to_channels_first(x)
    y = np.asarray(B.convert_to_numpy(B.average_pool(
        B.convert_to_tensor(x), (2, 2, 3), (1, 2, 3), "same", data_format)))
    if data_format == "channels_first":
        y = ref.to_channels_last(y)
    assert_close(y, expected)
