"""The rules every adapter shares, written once in ``kfacade/backend/``.

- conv/pool geometry (``conv_geometry``): argument tuples, padding names,
  "same" padding and transposed-conv lengths, checked against their
  definitions, then through the active adapter's ops;
- device names (``device_names``): one set of spellings, parsed directly and
  through ``kfacade.device`` on the active backend;
- result dtypes (``dtypes``): every binary op over every pair of the
  dtypes below and Python scalars, and every reduction, gives the table's
  dtype on the active backend (after JAX's documented 64-to-32-bit narrowing).

Run once per backend (``tests/run_all_backends.py``), so all three are held
to the same table.
"""
import math

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.backend import adapter as B
from kfacade.backend import conv_geometry as G
from kfacade.backend import dtypes as D
from kfacade.backend.device_names import ACCEPTED_FORMS, parse_device_name

# ----------------------------------------------------------------- geometry


def test_standardize_tuple_forms_and_errors():
    assert G.standardize_tuple(2, 3, "strides") == (2, 2, 2)
    assert G.standardize_tuple(np.int64(2), 2, "strides") == (2, 2)
    assert G.standardize_tuple([1, 2.0], 2, "strides") == (1, 2)
    assert G.standardize_tuple((0, 1), 2, "output_padding", allow_zero=True) == (0, 1)
    with pytest.raises(ValueError, match=r"`strides` argument must be a tuple of 2 .*strides=\(1, 2, 3\)"):
        G.standardize_tuple((1, 2, 3), 2, "strides")
    with pytest.raises(ValueError, match=r"pool_size=0.*\[0\].*> 0"):
        G.standardize_tuple(0, 2, "pool_size")
    with pytest.raises(ValueError, match=r"element 1.5"):
        G.standardize_tuple((1, 1.5), 2, "dilation_rate")
    with pytest.raises(ValueError, match="kernel_size=True"):
        G.standardize_tuple(True, 2, "kernel_size")


def test_standardize_padding_one_message():
    assert G.standardize_padding("SAME") == "same"
    assert G.standardize_padding("Causal", allow_causal=True) == "causal"
    expected = "Received: padding='nonsense'; expected one of 'valid', 'same'."
    with pytest.raises(ValueError, match=expected):
        G.standardize_padding("nonsense")
    with pytest.raises(ValueError, match="padding='causal'"):
        G.standardize_padding("causal")


@pytest.mark.parametrize("op", ["conv", "max_pool"])
def test_ops_and_layers_give_the_padding_message(op):
    x = np.zeros((1, 4, 4, 1), "float32")
    args = (np.zeros((2, 2, 1, 1), "float32"),) if op == "conv" else (2,)
    with pytest.raises(ValueError, match="Received: padding='nonsense'; expected one of 'valid', 'same'"):
        getattr(ops, op)(x, *args, padding="nonsense")
    with pytest.raises(ValueError, match="Conv2D layer .*Received: padding='nonsense'; expected one"):
        kfacade.layers.Conv2D(1, 2, padding="nonsense")


def test_standardize_data_format():
    assert G.standardize_data_format("Channels_First") == "channels_first"
    assert G.standardize_data_format(None) == kfacade.backend.image_data_format()
    with pytest.raises(ValueError, match="data_format='nhwc'"):
        G.standardize_data_format("nhwc")


SWEEP = [(n, k, s, d) for n in range(1, 9) for k in range(1, 5) for s in range(1, 4) for d in (1, 2)]


@pytest.mark.parametrize("n, k, s, d", SWEEP)
def test_same_padding_gives_ceil_windows(n, k, s, d):
    before, after = G.same_padding(n, k, s, d)
    effective = (k - 1) * d + 1
    total = before + after
    assert after - before in (0, 1)  # the odd cell after, as TensorFlow
    assert total == max((math.ceil(n / s) - 1) * s + effective - n, 0)
    assert G.conv_output_length(n + total, k, s, "valid", d) == G.conv_output_length(n, k, s, "same", d)


@pytest.mark.parametrize("n, k, s, d", SWEEP)
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv_transpose_padding_gives_keras_length(n, k, s, d, padding):
    effective = (k - 1) * d + 1
    for output_padding in [None] + list(range(s)):
        left, right = G.conv_transpose_padding(k, s, padding, output_padding, d)
        assert 0 <= left <= effective - 1
        # A stride-1 convolution over the zero-interleaved, padded input:
        length = (n - 1) * s + 1 + left + right - effective + 1
        assert length == G.deconv_output_length(n, k, s, padding, output_padding, d)


def test_deconv_output_length_keras_values():
    assert G.deconv_output_length(4, 3, 2, "valid") == 9
    assert G.deconv_output_length(4, 3, 2, "same") == 8
    assert G.deconv_output_length(4, 3, 2, "same", output_padding=1) == 8
    assert G.deconv_output_length(4, 3, 2, "valid", output_padding=1) == 10
    assert G.deconv_output_length(4, 3, 1, "valid", dilation=2) == 8
    assert G.deconv_output_length(None, 3, 2, "same") is None


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides, output_padding", [(1, None), (2, None), (2, 1), (3, 2)])
def test_adapter_conv_transpose_follows_the_length_rule(padding, strides, output_padding):
    x = np.ones((1, 5, 2), "float32")
    kernel = np.ones((3, 4, 2), "float32")
    y = B.conv_transpose(x, kernel, strides, padding, output_padding)
    assert B.shape(y) == (1, G.deconv_output_length(5, 3, strides, padding, output_padding), 4)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("size, pool, strides", [(7, 2, 2), (7, 3, 2), (8, 3, 3), (5, 4, 1)])
def test_adapter_pool_follows_the_length_rule(padding, size, pool, strides):
    x = np.ones((1, size, size, 1), "float32")
    expected = G.conv_output_length(size, pool, strides, padding)
    assert B.shape(B.max_pool(x, pool, strides, padding)) == (1, expected, expected, 1)


# ------------------------------------------------------------- device names


@pytest.mark.parametrize("name, parsed", [
    ("cpu", ("cpu", 0)), ("CPU:0", ("cpu", 0)), ("cpu:0", ("cpu", 0)),
    ("gpu:1", ("gpu", 1)), ("GPU", ("gpu", 0)), ("cuda:0", ("gpu", 0)), ("CUDA:3", ("gpu", 3)),
    ("/gpu:0", ("gpu", 0)), ("/device:GPU:0", ("gpu", 0)), ("/device:cpu:0", ("cpu", 0)),
    ("tpu:0", ("tpu", 0)), (" tpu ", ("tpu", 0)),
])
def test_parse_device_name(name, parsed):
    assert parse_device_name(name) == parsed


@pytest.mark.parametrize("name", ["npu:0", "gpu:", "gpu:-1", "gpu0", "/job:a/device:GPU:0", "", 0, None])
def test_parse_device_name_rejects(name):
    with pytest.raises(ValueError, match="Invalid device name") as info:
        parse_device_name(name)
    assert f"device_name={name!r}" in str(info.value)
    assert all(repr(form) in str(info.value) for form in ACCEPTED_FORMS)


@pytest.mark.parametrize("name", ["cpu", "CPU:0", "/cpu:0", "/device:CPU:0"])
def test_device_scope_accepts_every_cpu_spelling(name):
    with kfacade.device(name):
        value = ops.add(ops.ones((2,)), 1.0)
    np.testing.assert_array_equal(B.convert_to_numpy(value), [2.0, 2.0])


def test_device_scope_rejects_with_the_shared_message():
    with pytest.raises(ValueError, match=r"Invalid device name. Received: device_name='npu:0'"):
        with kfacade.device("npu:0"):
            pass


@pytest.mark.parametrize("name", ["tpu:0", "gpu:64"])
def test_device_scope_names_a_missing_device(name):
    """A well-formed name of a device this machine lacks: the adapter says so."""
    with pytest.raises(ValueError, match=rf"Device '{name}' is not available"):
        with kfacade.device(name):
            pass


# ---------------------------------------------------------- result dtypes

# JAX runs without jax_enable_x64 (see contract.convert_to_tensor): its
# 64-bit results are the table's, narrowed to 32 bits.
NARROW = kfacade.backend.backend() == "jax"
TENSOR_DTYPES = ("int8", "int32", "int64", "uint8", "float16", "float32", "bool")
SCALARS = {"python int": 3, "python float": 2.0}
BINARY_OPS = ("add", "subtract", "multiply", "divide", "floor_divide", "mod", "power",
              "maximum", "minimum")


def _expected(dtype):
    return D.narrow_to_32_bits(dtype) if NARROW else dtype


def _operand(key):
    if key in SCALARS:
        return SCALARS[key], type(SCALARS[key])
    return B.convert_to_tensor(np.ones((2,), key)), key


def _table_binary(op, a, b):
    """The table's result of `op` over dtypes (or Python types) `a` and `b`; None: refused."""
    if a == b == "bool" and op in ("subtract", "floor_divide", "mod", "power"):
        return None if op == "subtract" else D.BOOL_ARITHMETIC_DTYPE
    if op == "divide":
        return D.true_divide_result_type(a, b)
    return D.result_type(a, b)


def test_result_type_table_examples():
    assert D.result_type("int8", "uint8") == "int16"
    assert D.result_type("int32", "int64") == "int64"
    assert D.result_type("int64", "float16") == "float16"
    assert D.result_type("bool", int) == "int32"
    assert D.result_type("int8", int) == "int8"
    assert D.result_type("int8", float) == "float32"
    assert D.result_type("float16", float) == "float16"
    assert D.result_type("bool", "bool") == "bool"
    assert D.reduction_result_type("sum", "uint8") == "uint32"
    assert D.reduction_result_type("sum", "int8") == "int32"
    assert D.reduction_result_type("mean", "int64") == "float32"
    assert D.reduction_result_type("argmax", "float16") == "int32"
    assert D.narrow_to_32_bits("int64") == "int32"
    with pytest.raises(ValueError, match="op='median'"):
        D.reduction_result_type("median", "int8")


@pytest.mark.parametrize("op", BINARY_OPS)
def test_binary_op_dtypes_follow_the_table(op):
    keys = TENSOR_DTYPES + tuple(SCALARS)
    mismatches = []
    for key1 in keys:
        for key2 in keys:
            if key1 in SCALARS and key2 in SCALARS:
                continue  # two Python scalars: not a tensor op
            (x1, dtype1), (x2, dtype2) = _operand(key1), _operand(key2)
            expected = _table_binary(op, dtype1, dtype2)
            if expected is None:
                with pytest.raises(Exception):
                    getattr(ops, op)(x1, x2)
                continue
            got = B.dtype(getattr(ops, op)(x1, x2))
            if got != _expected(expected):
                mismatches.append(f"{op}({key1}, {key2}) -> {got}, table: {_expected(expected)}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("op", D.REDUCTIONS)
def test_reduction_dtypes_follow_the_table(op):
    mismatches = []
    for dtype in TENSOR_DTYPES:
        x = B.convert_to_tensor(np.array([[1, 0, 1], [1, 1, 0]], dtype))
        for kwargs in ({}, {"axis": 1}):
            got = B.dtype(getattr(ops, op)(x, **kwargs))
            expected = _expected(D.reduction_result_type(op, dtype))
            if got != expected:
                mismatches.append(f"{op}({dtype}, {kwargs}) -> {got}, table: {expected}")
    assert not mismatches, "\n".join(mismatches)


def test_reductions_in_the_table_dtype_keep_their_values():
    x = np.array([[100, 100, 100], [1, 2, 3]], "int8")  # the int8 sum 300 would wrap
    np.testing.assert_array_equal(B.convert_to_numpy(ops.sum(x, axis=1)), [300, 6])
    np.testing.assert_array_equal(B.convert_to_numpy(ops.cumsum(x, axis=1))[0], [100, 200, 300])
    u = np.array([200, 100], "uint8")
    assert int(B.convert_to_numpy(ops.sum(u))) == 300
    assert int(B.convert_to_numpy(ops.argmax(np.array([False, True, True])))) == 1
