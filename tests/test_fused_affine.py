"""The optional ``fused_dense`` and ``fused_conv`` adapter hooks against the
layers' generic ops (``matmul`` / ``conv``, then a bias ``add``; for
MultiHeadAttention's projections, ``einsum`` then the bias ``add``).

On an adapter with the hooks (torch: ``addmm``, ``F.conv2d`` with its bias),
each case runs the layer twice on the same inputs and weights: through the
hook, then with the hook removed. Outputs and the gradients of the inputs,
kernel and bias must agree to float32 rounding (``RTOL``/``ATOL``: the
kernels add the bias inside their own summation order, so results differ by
a few units in the last place).
A spy proves which path ran; cases the hook must decline fall back to the
generic ops. ``dense_kernel_layout`` (torch: the kernel stored column-major)
must change nothing but the memory order, for the kernel and its optimizer
slots. On an adapter without the hook both runs would be the generic
path, so the comparisons are skipped there (``requires_adapter_hook``).
"""
import numpy as np
import pytest

from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.layers.attention import multi_head_attention as mha_module
from kfacade.layers.core import einsum_dense as einsum_module
from kfacade.layers.convolutional import base_conv as conv_module
from kfacade.layers.core import dense as dense_module

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

HOOK = "fused_dense"
needs_hook = requires_adapter_hook(HOOK)
needs_conv_hook = requires_adapter_hook("fused_conv")
#: float32 rounding of reordered sums: a kernel's bias gradient sums over
#: every output position (up to 120 here) in its own order, which moves the
#: result by up to n * 2**-24 relative (1.2e-6 measured for Conv3D's 120).
RTOL, ATOL = 1e-5, 1e-6


def _spy(monkeypatch, hook, module, attribute):
    """A list that grows by one entry per call the adapter's `hook` answered."""
    calls = []
    original = getattr(B, hook, None)
    if original is None:
        return calls

    def spy(*args):
        result = original(*args)
        calls.append(args)
        return result

    monkeypatch.setattr(module, attribute, spy)
    return calls


@pytest.fixture
def hook_calls(monkeypatch):
    return _spy(monkeypatch, HOOK, dense_module, "_fused_dense")


@pytest.fixture
def conv_hook_calls(monkeypatch):
    return _spy(monkeypatch, "fused_conv", conv_module, "_fused_conv")


def _outputs_and_gradients(layer, inputs):
    """(outputs, d(sum(outputs * 1.3))/d [inputs, kernel, bias]) as NumPy."""
    from kfacade.variables import Variable

    x = Variable(inputs, trainable=True)

    def fn():
        outputs = layer(x.value)
        return ops.multiply(ops.sum(outputs), 1.3), outputs

    (_, outputs), grads = B.value_and_grad(fn, [x, layer.kernel, layer.bias])
    return [np.asarray(ops.convert_to_numpy(t)) for t in [outputs, *grads]]


def _layer(input_dim, units, activation, dtype="float32"):
    layer = layers.Dense(units, activation=activation, dtype=dtype)
    layer.build((None, input_dim))
    _set_random_weights(layer, dtype)
    return layer


def _set_random_weights(layer, dtype):
    rng = np.random.default_rng(3)
    layer.set_weights([rng.standard_normal(w.shape).astype(dtype) for w in layer.get_weights()])


def _assert_hook_equals_generic(monkeypatch, calls, module, attribute, layer, inputs):
    """Runs `layer` through the hook (which must answer once), then with the
    hook (`module.attribute`) removed, and compares outputs and gradients."""
    fused = _outputs_and_gradients(layer, inputs)
    assert len(calls) == 1
    with monkeypatch.context() as patch:
        patch.setattr(module, attribute, None)
        generic = _outputs_and_gradients(layer, inputs)
    for name, a, e in zip(["outputs", "d inputs", "d kernel", "d bias"], fused, generic):
        assert a.shape == e.shape and a.dtype == e.dtype, name
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=name)


@needs_hook
@pytest.mark.parametrize("shape", [(16, 8), (1, 24), (3, 5, 8), (2, 3, 4, 8)])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hook_equals_generic(monkeypatch, hook_calls, shape, activation, dtype):
    layer = _layer(shape[-1], 6, activation, dtype)
    inputs = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    _assert_hook_equals_generic(monkeypatch, hook_calls, dense_module, "_fused_dense", layer, inputs)


#: A mixed policy's half layer, hook against generic ops, relative to the
#: largest generic value: the hook rounds ``x @ k + b`` once to the half dtype,
#: the generic path the product and then the sum, each up to half an ulp
#: (bfloat16: 2**-8 relative to the operand, float16: 2**-11); a bias added to
#: a product of the other sign cancels digits, so the bound is on the largest
#: value: 2 ulps of bfloat16.
HALF_ATOL = 2.0 ** -7


@needs_hook
@pytest.mark.parametrize("shape", [(16, 8), (3, 5, 8)])
@pytest.mark.parametrize("compute", ["bfloat16", "float16"])
def test_mixed_precision_dense_takes_the_hook(monkeypatch, hook_calls, shape, compute):
    layer = layers.Dense(6, dtype=f"mixed_{compute}")
    layer.build((None, shape[-1]))
    _set_random_weights(layer, "float32")
    inputs = np.random.default_rng(4).standard_normal(shape).astype("float32")
    _assert_half_hook_within_rounding(monkeypatch, hook_calls, dense_module, "_fused_dense",
                                      layer, inputs, compute)


def _assert_half_hook_within_rounding(monkeypatch, calls, module, attribute, layer, inputs,
                                      compute):
    """As ``_assert_hook_equals_generic`` for a mixed layer: the hook answers
    once, with `compute` tensors, and agrees with the generic ops to
    ``HALF_ATOL`` of the largest generic value."""
    fused = _outputs_and_gradients(layer, inputs)
    assert len(calls) == 1 and B.dtype(calls[0][0]) == compute
    with monkeypatch.context() as patch:
        patch.setattr(module, attribute, None)
        generic = _outputs_and_gradients(layer, inputs)
    for name, a, e in zip(["outputs", "d inputs", "d kernel", "d bias"], fused, generic):
        assert a.shape == e.shape and a.dtype == e.dtype, name
        a, e = a.astype("float64"), e.astype("float64")
        np.testing.assert_allclose(a, e, rtol=0, atol=HALF_ATOL * np.max(np.abs(e)), err_msg=name)


@needs_hook
@pytest.mark.parametrize("case", ["no_bias", "integer_inputs", "mixed_dtypes"])
def test_declined_cases_run_the_generic_ops(hook_calls, case):
    rng = np.random.default_rng(5)
    inputs = rng.standard_normal((4, 3)).astype("float32")
    if case == "no_bias":
        layer = layers.Dense(2, use_bias=False)
    elif case == "integer_inputs":
        layer, inputs = layers.Dense(2), np.arange(12, dtype="int32").reshape(4, 3)
    else:  # float64 inputs straight into a float32 layer's call
        layer = layers.Dense(2)
        layer.build((None, 3))
        expected = ops.convert_to_numpy(layer.call(ops.convert_to_tensor(inputs, "float64")))
        assert hook_calls == [] and expected.shape == (4, 2)
        return
    outputs = ops.convert_to_numpy(layer(inputs))
    assert outputs.shape == (4, 2)
    assert hook_calls == []


def test_dense_values_match_numpy():
    """Whichever path runs (the hook where the adapter has one), Dense is
    ``activation(inputs @ kernel + bias)``."""
    layer = _layer(5, 3, "relu")
    inputs = np.random.default_rng(6).standard_normal((7, 2, 5)).astype("float32")
    kernel, bias = layer.get_weights()
    expected = np.maximum(inputs @ kernel + bias, 0.0)
    np.testing.assert_allclose(ops.convert_to_numpy(layer(inputs)), expected, rtol=1e-5, atol=1e-6)


#: (layer factory, input shape): each spatial rank, both data formats, "same"
#: padding torch takes itself and the asymmetric one padded first, strides,
#: dilation and groups.
CONV_CASES = {
    "conv2d_valid": (lambda: layers.Conv2D(4, 3, activation="relu"), (2, 7, 6, 3)),
    "conv2d_same_strided": (lambda: layers.Conv2D(5, 2, strides=2, padding="same"), (2, 7, 7, 3)),
    "conv2d_channels_first": (lambda: layers.Conv2D(4, 3, padding="same", data_format="channels_first"),
                              (2, 3, 6, 5)),
    "conv2d_dilated_groups": (lambda: layers.Conv2D(4, 3, dilation_rate=2, groups=2), (2, 8, 8, 4)),
    "conv3d": (lambda: layers.Conv3D(3, 2, padding="same"), (2, 4, 5, 3, 2)),
}


@needs_conv_hook
@pytest.mark.parametrize("case", sorted(CONV_CASES))
def test_conv_hook_equals_generic(monkeypatch, conv_hook_calls, case):
    make, shape = CONV_CASES[case]
    layer = make()
    layer.build(shape)
    _set_random_weights(layer, "float32")
    inputs = np.random.default_rng(7).standard_normal(shape).astype("float32")
    _assert_hook_equals_generic(monkeypatch, conv_hook_calls, conv_module, "_fused_conv", layer, inputs)


@needs_conv_hook
@pytest.mark.parametrize("compute", ["bfloat16", "float16"])
def test_mixed_precision_conv_takes_the_hook(monkeypatch, conv_hook_calls, compute):
    layer = layers.Conv2D(4, 3, activation="relu", dtype=f"mixed_{compute}")
    layer.build((2, 7, 6, 3))
    _set_random_weights(layer, "float32")
    inputs = np.random.default_rng(7).standard_normal((2, 7, 6, 3)).astype("float32")
    _assert_half_hook_within_rounding(monkeypatch, conv_hook_calls, conv_module, "_fused_conv",
                                      layer, inputs, compute)


@needs_conv_hook
@pytest.mark.parametrize("case", ["no_bias", "causal_conv1d"])
def test_conv_declined_cases_run_the_generic_ops(conv_hook_calls, case):
    rng = np.random.default_rng(8)
    if case == "no_bias":
        layer, inputs = layers.Conv2D(2, 3, use_bias=False), rng.standard_normal((1, 5, 5, 2))
    else:  # a subclass's own convolution_op keeps its padding
        layer, inputs = layers.Conv1D(2, 3, padding="causal"), rng.standard_normal((1, 6, 2))
    outputs = ops.convert_to_numpy(layer(inputs.astype(layer.compute_dtype)))
    assert outputs.shape[-1] == 2
    assert conv_hook_calls == []


# EinsumDense, and MultiHeadAttention's projections built on it, are Dense
# layers over their flattened bound axes: they take the same hook.

@pytest.fixture
def projection_hook_calls(monkeypatch):
    return _spy(monkeypatch, HOOK, einsum_module, "_fused_dense")


@needs_hook
@pytest.mark.parametrize("equation,input_shape,kernel_shape,bias_shape", [
    ("abc,cde->abde", (2, 5, 8), (8, 3, 4), (3, 4)),         # query/key/value
    ("abcd,cde->abe", (2, 5, 3, 4), (3, 4, 8), (8,)),        # attention output
    ("abcd,def->abcef", (2, 3, 5, 8), (8, 3, 4), (3, 4)),    # rank-4 inputs
    ("abcd,cde->abe", (2, 5, 3, 4), (3, 4, 1), (1,)),        # one output unit
], ids=["qkv", "output", "rank4", "one_unit"])
def test_mha_projection_hook_equals_einsum(monkeypatch, projection_hook_calls, equation,
                                           input_shape, kernel_shape, bias_shape):
    layer = mha_module._EinsumProjection(equation, kernel_shape, bias_shape)
    layer.build(input_shape)
    _set_random_weights(layer, "float32")
    inputs = np.random.default_rng(6).standard_normal(input_shape).astype("float32")
    _assert_hook_equals_generic(monkeypatch, projection_hook_calls, einsum_module, "_fused_dense",
                                layer, inputs)


@pytest.mark.parametrize("equation,kernel_shape,expected", [
    ("abc,cde->abde", (2, 3, 4), (1, (3, 4))),
    ("abcd,cde->abe", (3, 2, 4), (2, (4,))),
    ("abc,dce->abde", (2, 3, 4), (None, None)),   # bound axis not first in the kernel
    ("abc,cd->adb", (2, 3), (None, None)),        # output axes reordered
    ("ab,cd->abcd", (2, 3), (None, None)),        # no bound axis
])
def test_mha_projection_flat_form(equation, kernel_shape, expected):
    assert einsum_module._flat_dense_form(equation, kernel_shape) == expected


@needs_hook
def test_mha_projection_without_bias_runs_the_einsum(projection_hook_calls):
    layer = mha_module._EinsumProjection("abc,cde->abde", (8, 3, 4), None)
    layer.build((2, 5, 8))
    layer(B.convert_to_tensor(np.ones((2, 5, 8), "float32")))
    assert not projection_hook_calls


# ``dense_kernel_layout``: Dense's kernel (and its optimizer slots) in the
# memory order the adapter's GEMM reads fastest; only the order may change.

needs_layout_hook = requires_adapter_hook("dense_kernel_layout")


@needs_layout_hook
def test_dense_kernel_layout_keeps_values_shape_and_identity():
    from kfacade.variables import Variable

    values = np.arange(24, dtype="float32").reshape(4, 6)
    variable = Variable(values)
    handle = variable.handle
    B.dense_kernel_layout(handle)
    assert variable.handle is handle and tuple(variable.shape) == (4, 6)
    if B.name == "torch":
        assert handle.stride() == (1, 4)  # column-major, as nn.Linear's weight.t()
    np.testing.assert_array_equal(np.asarray(ops.convert_to_numpy(variable)), values)
    variable.assign(values * 2)  # an assignment keeps working in the new order
    np.testing.assert_array_equal(np.asarray(ops.convert_to_numpy(variable)), values * 2)


@needs_layout_hook
@pytest.mark.parametrize("shape", [(16, 8), (3, 5, 8)])
def test_laid_out_dense_kernel_equals_the_default_order(monkeypatch, shape):
    inputs = np.random.default_rng(7).standard_normal(shape).astype("float32")
    laid_out = _layer(shape[-1], 10, "relu")
    with monkeypatch.context() as patch:
        patch.setattr(dense_module, "_dense_kernel_layout", None)
        default = _layer(shape[-1], 10, "relu")
    for name, a, e in zip(["outputs", "d inputs", "d kernel", "d bias"],
                          _outputs_and_gradients(laid_out, inputs),
                          _outputs_and_gradients(default, inputs)):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=name)


@needs_layout_hook
def test_optimizer_slots_of_a_dense_kernel_take_its_layout(monkeypatch):
    from kfacade import models, optimizers

    laid_out = []
    original = B.dense_kernel_layout

    def spy(handle):
        laid_out.append(handle)
        return original(handle)

    monkeypatch.setattr(dense_module, "_dense_kernel_layout", spy)
    monkeypatch.setattr(B, "dense_kernel_layout", spy)
    model = models.Sequential([layers.Input((3,)), layers.Dense(4, use_bias=False)])
    model.compile(optimizer=optimizers.RMSprop(), loss="mse")
    model.fit(np.ones((8, 3), "float32"), np.ones((8, 4), "float32"), verbose=0)
    kernel = model.layers[0].kernel
    slots = [v for v in model.optimizer.variables if tuple(v.shape) == (3, 4)]
    assert slots and {id(kernel.handle)} | {id(s.handle) for s in slots} == set(map(id, laid_out))
    weights = model.get_weights()[0]
    assert weights.flags.c_contiguous  # NumPy callers get the usual order
