"""The last NumPy-API ops and their neighbours against NumPy/SciPy:
``gcd``, ``lcm``, ``nextafter``, ``i0``, ``correlate``, ``view``
(``ndarray.view``), ``unfold``/``fold`` (a NumPy im2col/col2im reference,
torch's semantics) and ``rearrange`` (explicit reshape/transpose), with
their errors and symbolic shapes."""
import numpy as np
import pytest
import scipy.special

import kfacade
from kfacade import ops
from tests.helpers import assert_close


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x))


# ------------------------------------------------------------ elementwise


def test_gcd_and_lcm_match_numpy():
    x1 = np.array([12, 18, -8, 0, 7, 0], "int32")
    x2 = np.array([8, -12, 6, 5, 0, 0], "int32")
    for op, reference in ((ops.gcd, np.gcd), (ops.lcm, np.lcm)):
        result = op(x1, x2)
        assert ops.dtype(result) == "int32"
        np.testing.assert_array_equal(numpy_of(result), reference(x1, x2))
        np.testing.assert_array_equal(numpy_of(op(x1, 4)), reference(x1, 4))  # a weak Python int
    with pytest.raises(TypeError, match="gcd must be integers"):
        ops.gcd(np.array([2.0]), np.array([4.0]))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nextafter_matches_numpy_bit_for_bit(dtype):
    x1 = np.array([1.0, 0.0, -1.0, 0.0, 3.0, 1.0, np.nan, -0.0], dtype)
    x2 = np.array([2.0, -1.0, -2.0, 0.0, 3.0, -np.inf, 1.0, 1.0], dtype)
    result = ops.nextafter(x1, x2)
    stored = ops.dtype(result)  # float64 is float32 on JAX without x64
    expected = np.nextafter(x1.astype(stored), x2.astype(stored))
    np.testing.assert_array_equal(numpy_of(result), expected)
    assert ops.dtype(ops.nextafter(np.array([1, 2]), 3)) == kfacade.config.floatx()


def test_i0_matches_scipy_near_and_far():
    x = np.array([0.0, 0.5, -1.0, 3.3, 7.99, 8.0, 8.01, 20.0, -35.0, 80.0])
    assert_close(ops.i0(x.astype("float32")), scipy.special.i0(x), rtol=2e-6, atol=0)
    result = ops.i0(x)
    tolerance = 1e-13 if ops.dtype(result) == "float64" else 2e-6
    assert_close(result, scipy.special.i0(x), rtol=tolerance, atol=0)
    assert ops.dtype(ops.i0(np.arange(3))) == kfacade.config.floatx()


# -------------------------------------------------------------- correlate


@pytest.mark.parametrize("lengths", [(6, 3), (3, 5), (4, 4)])
def test_correlate_matches_numpy_in_every_mode(lengths):
    rng = np.random.default_rng(0)
    a, v = (rng.normal(size=n).astype("float32") for n in lengths)
    for mode in ("valid", "same", "full"):
        assert_close(ops.correlate(a, v, mode=mode), np.correlate(a, v, mode=mode), err_msg=mode)
    ints = ops.correlate(np.arange(4), np.array([1, 0]), mode="full")
    assert ops.dtype(ints) == kfacade.config.floatx()
    assert_close(ints, np.correlate(np.arange(4), [1, 0], mode="full"))


def test_correlate_rejects_bad_mode_and_rank():
    with pytest.raises(ValueError, match="Mode must be one of"):
        ops.correlate(np.ones(3), np.ones(2), mode="circular")
    with pytest.raises(ValueError, match="1-dimensional"):
        ops.correlate(np.ones((2, 3)), np.ones(2))


# ------------------------------------------------------------------- view


@pytest.mark.parametrize("source, target, shape", [
    ("int32", "float32", (2, 3)),
    ("int32", "uint8", (2, 2)),
    ("int16", "int32", (3, 4)),
    ("float32", "int16", (5,)),
    ("uint8", "bool", (4,)),
    ("bool", "int8", (4,)),
])
def test_view_matches_ndarray_view(source, target, shape):
    x = (np.arange(int(np.prod(shape))).reshape(shape) % (2 if source == "bool" else 1000)).astype(source)
    result = ops.view(x, target)
    assert ops.dtype(result) == target
    np.testing.assert_array_equal(numpy_of(result), x.view(target))
    symbolic = ops.view(kfacade.Input(shape[1:], dtype=source, batch_size=shape[0]) if len(shape) > 1
                        else kfacade.Input(shape, dtype=source), target)
    assert symbolic.shape[-1] == x.view(target).shape[-1] and symbolic.dtype == target


def test_view_errors_and_no_dtype():
    x = np.array([1, 2, 3], "int16")
    np.testing.assert_array_equal(numpy_of(ops.view(x)), x)
    with pytest.raises(ValueError, match="larger dtype"):
        ops.view(x, "int32")
    with pytest.raises(ValueError, match="0d array"):
        ops.view(np.array(1, "int32"), "int16")


# ----------------------------------------------------------- fold / unfold


def unfold_reference(x, kernel, dilation, padding, stride):
    """im2col in NumPy: one column per window position, row-major."""
    n, c, h, w = x.shape
    x = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    columns = np.zeros((n, c, kernel[0], kernel[1], oh, ow), x.dtype)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (ow - 1) + 1, stride[1])
            columns[:, :, i, j] = x[:, :, rows, cols]
    return columns.reshape(n, c * kernel[0] * kernel[1], oh * ow)


def fold_reference(columns, size, kernel, dilation, padding, stride):
    """col2im in NumPy: each column's entries added back where they came from."""
    n, ckk, _ = columns.shape
    c = ckk // (kernel[0] * kernel[1])
    image = np.zeros((n, c, size[0] + 2 * padding[0], size[1] + 2 * padding[1]), columns.dtype)
    oh = (size[0] + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (size[1] + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    blocks = columns.reshape(n, c, kernel[0], kernel[1], oh, ow)
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            rows = slice(i * dilation[0], i * dilation[0] + stride[0] * (oh - 1) + 1, stride[0])
            cols = slice(j * dilation[1], j * dilation[1] + stride[1] * (ow - 1) + 1, stride[1])
            image[:, :, rows, cols] += blocks[:, :, i, j]
    return image[:, :, padding[0]:padding[0] + size[0], padding[1]:padding[1] + size[1]]


@pytest.mark.parametrize("kernel, dilation, padding, stride", [
    (2, 1, 0, 1),
    ((3, 2), (1, 2), (1, 0), (2, 1)),
])
def test_unfold_and_fold_match_the_numpy_reference(kernel, dilation, padding, stride):
    pair = lambda v: (v, v) if isinstance(v, int) else v  # noqa: E731
    geometry = tuple(pair(v) for v in (kernel, dilation, padding, stride))
    x = np.random.default_rng(1).normal(size=(2, 3, 7, 6)).astype("float32")
    columns = ops.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride)
    expected = unfold_reference(x, *geometry)
    assert_close(columns, expected)
    image = ops.fold(columns, (7, 6), kernel, dilation=dilation, padding=padding, stride=stride)
    assert_close(image, fold_reference(expected, (7, 6), *geometry))


def test_fold_and_unfold_shapes_and_errors():
    assert ops.unfold(kfacade.Input((3, None, 8)), 3).shape == (None, 27, None)
    assert ops.unfold(kfacade.Input((3, 4, 8)), 3, stride=(1, 2)).shape == (None, 27, 6)
    assert ops.fold(kfacade.Input((12, 16)), (5, 5), 2).shape == (None, 3, 5, 5)
    with pytest.raises(ValueError, match="4D"):
        ops.unfold(np.ones((3, 5, 5), "float32"), 2)
    with pytest.raises(ValueError, match="divisible by kernel_size"):
        ops.fold(np.ones((1, 5, 16), "float32"), (5, 5), 2)
    with pytest.raises(ValueError, match="number of blocks"):
        ops.fold(np.ones((1, 4, 9), "float32"), (5, 5), 2)


# -------------------------------------------------------------- rearrange


@pytest.mark.parametrize("pattern, lengths, reference", [
    ("b (h w) c -> b h w c", {"h": 2}, lambda t: t.reshape(2, 2, 3, 4)),
    ("b h c -> b c h", {}, lambda t: t.transpose(0, 2, 1)),
    ("b h c -> (b c) h", {}, lambda t: t.transpose(0, 2, 1).reshape(8, 6)),
    ("b ... -> ... b", {}, lambda t: t.transpose(1, 2, 0)),
    ("b ... -> b (...)", {}, lambda t: t.reshape(2, 24)),
    ("b (h two) c -> two b 1 h c", {"two": 2}, lambda t: t.reshape(2, 3, 2, 4).transpose(2, 0, 1, 3)[:, :, None]),
])
def test_rearrange_matches_reshape_and_transpose(pattern, lengths, reference):
    t = np.arange(48, dtype="float32").reshape(2, 6, 4)
    np.testing.assert_array_equal(numpy_of(ops.rearrange(t, pattern, **lengths)), reference(t))
    symbolic = ops.rearrange(kfacade.Input((6, 4), batch_size=2), pattern, **lengths)
    assert symbolic.shape == reference(t).shape


@pytest.mark.parametrize("pattern, lengths, message", [
    ("b h w c -> b h w c", {}, "rank 3"),
    ("b (h w) c -> b h w", {"h": 2}, "one side only"),
    ("b (h (w)) c -> b h w c", {"h": 2}, "nested"),
    ("b h b -> b h", {}, "more than once"),
    ("b h c", {}, "->"),
    ("b (h w) c -> b h w c", {}, "infer"),
    ("b (h w) c -> b h w c", {"h": 4}, "cannot be split"),
    ("b h c -> b h c", {"x": 2}, "not in the pattern"),
])
def test_rearrange_errors_name_the_problem(pattern, lengths, message):
    with pytest.raises(ValueError, match=message):
        ops.rearrange(np.zeros((2, 6, 4)), pattern, **lengths)


def test_rearrange_keeps_unknown_sizes_unknown():
    x = kfacade.Input((None, 4))
    assert ops.rearrange(x, "b (h w) c -> b h w c", h=2).shape == (None, 2, None, 4)
    assert ops.rearrange(x, "b n c -> b (n c)").shape == (None, None)
