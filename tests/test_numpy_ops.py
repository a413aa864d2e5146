"""The composite ``kfacade.ops`` (elementwise, reductions, arrays, products)
against NumPy's function of the same name, on the active backend.

Each case calls ``kfacade.ops.<name>`` and ``numpy.<name>`` (or the reference
given) on the same float32 inputs; the reference runs in float64. Results
must match in shape, values (``tests.helpers`` float32 tolerances) and kind of
dtype: float32 for float32 input, an integer dtype for integer results,
bool exactly.
"""
import math
import warnings

import numpy as np
import pytest

import kfacade
from kfacade import ops

try:
    from tests import numpy_reference as ref
    from tests.helpers import FLOAT32_ATOL, FLOAT32_RTOL
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    import numpy_reference as ref
    from helpers import FLOAT32_ATOL, FLOAT32_RTOL

F32 = np.float32
RNG = np.random.default_rng(7)


def u(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape).astype(F32)


def with_nans(*shape):
    x = u(*shape)
    x.flat[::3] = np.nan
    return x


SPECIALS = np.array([0.0, -0.0, 1.5, -2.5, np.inf, -np.inf, np.nan, 3.0], F32)
M34 = u(3, 4)
M44 = u(4, 4)
T234 = u(2, 3, 4)
V4 = u(4)
V3, W3 = u(3), u(3)
NAN34 = with_nans(3, 4)
ALL_NAN_ROW = np.array([[np.nan, np.nan], [1.0, np.nan]], F32)

#: (case id, op name, positional inputs, keyword arguments[, NumPy reference]).
#: Without a reference, NumPy's function of the same name is the reference.
CASES = [
    # elementwise
    ("exp2", "exp2", (u(3, 4, low=-3, high=3),), {}),
    ("exp2_integers_exact", "exp2", (np.array([0.0, 3.0, 10.0, -2.0], F32),), {}),
    ("rsqrt", "rsqrt", (u(3, 4, low=0.1, high=4),), {}, lambda x: 1 / np.sqrt(x)),
    ("cbrt", "cbrt", (u(3, 4, low=-8, high=8),), {}),
    ("deg2rad", "deg2rad", (u(5, low=-360, high=360),), {}),
    ("rad2deg", "rad2deg", (u(5, low=-7, high=7),), {}),
    ("fabs", "fabs", (u(5),), {}),
    ("hypot", "hypot", (M34, u(4)), {}),
    ("hypot_large", "hypot", (np.array([3e30, 0.0], F32), np.array([4e30, 0.0], F32)), {}),
    ("heaviside", "heaviside", (np.array([-1.0, 0.0, 2.0, 0.0], F32), np.array([0.5, 0.5, 0.5, 0.25], F32)), {}),
    ("signbit", "signbit", (SPECIALS[:6],), {}),
    ("sinc", "sinc", (np.array([0.0, 0.5, -1.25, 3.0], F32),), {}),
    ("isneginf", "isneginf", (SPECIALS,), {}),
    ("isposinf", "isposinf", (SPECIALS,), {}),
    ("logaddexp", "logaddexp", (u(3, 4, low=-50, high=50), u(3, 4, low=-50, high=50)), {}),
    ("logaddexp_infinities", "logaddexp", (np.array([-np.inf, np.inf, 1.0], F32), np.array([-np.inf, np.inf, -np.inf], F32)), {}),
    ("logaddexp2", "logaddexp2", (u(3, 4, low=-50, high=50), u(3, 4, low=-50, high=50)), {}),
    ("logical_xor", "logical_xor", (np.array([True, True, False, False]), np.array([True, False, True, False])), {}),
    ("divide_no_nan", "divide_no_nan", (np.array([1.0, 2.0, 0.0, -3.0], F32), np.array([0.0, 4.0, 0.0, 2.0], F32)), {},
     lambda a, b: np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))),
    # float32's own largest values replace the infinities: the reference runs in float32.
    ("nan_to_num", "nan_to_num", (SPECIALS,), {}, lambda x: np.nan_to_num(x.astype(F32))),
    ("nan_to_num_values", "nan_to_num", (SPECIALS,), {"nan": 7.0, "posinf": 1e4, "neginf": -1e4}),
    ("isclose", "isclose", (np.array([1.0, 1.0, np.inf, np.nan, 1e-9], F32), np.array([1.0 + 1e-6, 1.1, np.inf, np.nan, 0.0], F32)), {}),
    ("isclose_equal_nan", "isclose", (np.array([np.nan, 1.0], F32), np.array([np.nan, 1.0], F32)), {"equal_nan": True}),
    ("allclose", "allclose", (M34, M34 + 1e-7), {}),
    ("allclose_false", "allclose", (M34, M34 + 1e-2), {}),
    ("fmod", "fmod", (u(3, 4, low=-5, high=5), np.where(u(3, 4) < 0, -1.5, 1.5).astype(F32)), {}),
    ("fmod_int32", "fmod", (np.array([-7, 7, -7, 7], np.int32), np.array([3, 3, -3, -3], np.int32)), {}),
    ("ldexp", "ldexp", (u(4), np.array([0, 3, -2, 10], np.int32)), {}),
    ("fmax", "fmax", (np.array([1.0, np.nan, 3.0, np.nan], F32), np.array([2.0, 1.0, np.nan, np.nan], F32)), {}),
    ("fmin", "fmin", (np.array([1.0, np.nan, 3.0, np.nan], F32), np.array([2.0, 1.0, np.nan, np.nan], F32)), {}),
    # reductions
    ("nansum", "nansum", (NAN34,), {"axis": 1}),
    ("nanprod", "nanprod", (NAN34,), {"axis": 0, "keepdims": True}),
    ("nanmean", "nanmean", (NAN34,), {"axis": 1}),
    ("nanvar", "nanvar", (NAN34,), {"axis": 1}),
    ("nanstd", "nanstd", (NAN34,), {}),
    ("nanmax", "nanmax", (ALL_NAN_ROW,), {"axis": 1}),
    ("nanmin", "nanmin", (NAN34,), {"axis": 0}),
    ("nanargmax", "nanargmax", (NAN34,), {"axis": 1}),
    ("nanargmin", "nanargmin", (NAN34,), {"axis": 0, "keepdims": True}),
    ("nancumsum", "nancumsum", (NAN34,), {"axis": 1}),
    ("nancumprod", "nancumprod", (NAN34,), {"axis": 0}),
    ("ptp", "ptp", (M34,), {"axis": 1}),
    ("count_nonzero", "count_nonzero", (np.array([[0, 1, 2], [0, 0, 3]], np.int32),), {"axis": 1}),
    ("count_nonzero_all", "count_nonzero", (np.array([[0.0, 1.5], [0.0, -2.0]], F32),), {}),
    ("average", "average", (M34,), {}),
    ("average_weights_1d", "average", (M34,), {"axis": 1, "weights": np.array([1.0, 2.0, 0.5, 0.0], F32)}),
    ("average_weights_full", "average", (M34,), {"axis": 0, "weights": u(3, 4, low=0.1, high=1)}),
    ("median", "median", (M34,), {"axis": 1}),
    ("median_even_all", "median", (M44,), {}),
    ("median_tuple_axis", "median", (T234,), {"axis": (0, 2), "keepdims": True}),
    ("quantile_linear", "quantile", (T234, np.array([0.0, 0.3, 1.0], F32)), {"axis": 1}),
    ("quantile_keepdims", "quantile", (T234, np.array([0.25, 0.8], F32)), {"axis": -1, "keepdims": True}),
    ("quantile_scalar_q", "quantile", (M34, 0.4), {}),
    ("quantile_nan_row", "quantile", (NAN34, 0.5), {"axis": 1}),
] + [
    (f"quantile_{method}", "quantile", (M34, np.array([0.1, 0.5, 0.62], F32)), {"axis": 1, "method": method})
    for method in ("lower", "higher", "midpoint", "nearest")
] + [
    ("percentile", "percentile", (M34, np.array([10.0, 50.0, 90.0], F32)), {"axis": 0}),
    ("nanmedian", "nanmedian", (NAN34,), {"axis": 1}),
    ("nanquantile", "nanquantile", (NAN34, np.array([0.2, 0.9], F32)), {"axis": 1}),
    ("nanpercentile", "nanpercentile", (ALL_NAN_ROW, 40.0), {"axis": 1}),
    # arrays
    ("tri", "tri", (3, 5, 1), {}, lambda n, m, k: np.tri(n, m, k, dtype=F32)),
    ("tril", "tril", (T234,), {"k": -1}),
    ("triu", "triu", (M34,), {"k": 1}),
    ("triu_int32", "triu", (np.arange(12, dtype=np.int32).reshape(3, 4),), {}),
    ("identity", "identity", (3,), {}, lambda n: np.identity(n, F32)),
    ("full_like", "full_like", (M34, 2.5), {}),
    ("empty_like_shape", "empty_like", (M34,), {}, lambda x: np.zeros_like(x)),
    ("copy", "copy", (M34,), {}),
    ("logspace", "logspace", (0.0, 2.0, 5), {}, lambda *a: np.logspace(*a).astype(F32)),
    ("logspace_base2", "logspace", (1.0, 4.0, 4), {"endpoint": False, "base": 2}, lambda *a, **k: np.logspace(*a, **k).astype(F32)),
    ("geomspace", "geomspace", (1.0, 1000.0, 4), {}, lambda *a: np.geomspace(*a).astype(F32)),
    ("geomspace_negative", "geomspace", (-2.0, -32.0, 5), {}, lambda *a: np.geomspace(*a).astype(F32)),
    ("vander", "vander", (u(4),), {}),
    ("vander_increasing", "vander", (u(3),), {"N": 5, "increasing": True}),
    ("ravel", "ravel", (T234,), {}),
    ("fliplr", "fliplr", (M34,), {}),
    ("flipud", "flipud", (M34,), {}),
    ("roll_flat", "roll", (M34, 5), {}),
    ("roll_axis", "roll", (M34, -1), {"axis": 1}),
    ("roll_axes", "roll", (T234, (1, 2)), {"axis": (0, 2)}),
] + [
    (f"rot90_k{k}", "rot90", (T234,), {"k": k, "axes": (1, 2)}) for k in (0, 1, 2, 3, -1)
] + [
    ("hstack", "hstack", ([M34, u(3, 2)],), {}),
    ("hstack_1d", "hstack", ([V4, V3],), {}),
    ("vstack", "vstack", ([V4, M34],), {}),
    ("dstack", "dstack", ([M34, M34],), {}),
    ("dstack_1d", "dstack", ([V4, V4],), {}),
    ("append_flat", "append", (M34, V4), {}),
    ("append_axis", "append", (M34, u(1, 4)), {"axis": 0}),
    ("array_split", "array_split", (u(7, 2), 3), {}),
    ("array_split_indices", "array_split", (u(2, 7), [2, 5]), {"axis": 1}),
    ("hsplit", "hsplit", (M34, 2), {}),
    ("vsplit", "vsplit", (u(4, 2), [1]), {}),
    ("dsplit", "dsplit", (T234, 2), {}),
    ("diff", "diff", (M34,), {}),
    ("diff_n2_axis0", "diff", (u(5, 3),), {"n": 2, "axis": 0}),
    ("diagonal", "diagonal", (M34,), {}),
    ("diagonal_offset", "diagonal", (T234,), {"offset": 1, "axis1": 1, "axis2": 2}),
    ("diagonal_negative_offset", "diagonal", (T234,), {"offset": -1, "axis1": 2, "axis2": 1}),
    ("diag_of_vector", "diag", (V3,), {"k": -1}),
    ("diag_of_matrix", "diag", (M34,), {"k": 2}),
    ("diagflat", "diagflat", (u(2, 2),), {"k": 1}),
    ("trace", "trace", (M34,), {"offset": 1}),
    ("trace_3d", "trace", (T234,), {"axis1": 1, "axis2": 2}),
    ("select", "select", ([M34 < -1, M34 > 1], [M34, -M34]), {"default": 9.0}),
    ("digitize", "digitize", (u(3, 4), np.array([-1.0, 0.0, 0.5, 1.5], F32)), {}),
    ("isin", "isin", (np.array([[1, 2], [3, 4]], np.int32), np.array([2, 4, 6], np.int32)), {}),
    ("isin_invert", "isin", (np.array([1, 2, 3], np.int32), np.array([2], np.int32)), {"invert": True}),
    ("unravel_index", "unravel_index", (np.array([0, 5, 11, 7], np.int32), (3, 4)), {}),
    ("bincount", "bincount", (np.array([0, 3, 3, 1, 0, 3], np.int32),), {}),
    ("bincount_weights_minlength", "bincount", (np.array([0, 3, 3, 1], np.int32),),
     {"weights": np.array([0.5, 1.0, 2.0, -1.0], F32), "minlength": 6}),
    ("bincount_rows", "bincount", (np.array([[0, 2, 2], [1, 1, 0]], np.int32),), {},
     lambda x: np.stack([np.bincount(row, minlength=3) for row in x])),
    ("histogram", "histogram", (u(50),), {"bins": 7}),
    ("histogram_range", "histogram", (u(50),), {"bins": 4, "range": (-1.0, 1.5)}),
    ("histogram_constant", "histogram", (np.full(5, 2.0, F32),), {"bins": 3}),
    ("meshgrid_xy", "meshgrid", (V3, V4), {}),
    ("meshgrid_ij", "meshgrid", (V3, V4, u(2)), {"indexing": "ij"}),
    ("unstack", "unstack", (T234,), {"axis": 1}, lambda x, axis: [np.take(x, i, axis=axis) for i in range(x.shape[axis])]),
    # products
    ("outer", "outer", (V3, u(2, 2)), {}),
    ("inner", "inner", (M34, u(2, 4)), {}),
    ("inner_scalar", "inner", (np.float32(2.0), V4), {}),
    ("vdot", "vdot", (M34, u(3, 4)), {}),
    ("kron", "kron", (u(2, 3), u(3, 2)), {}),
    ("kron_mixed_rank", "kron", (V3, u(2, 2)), {}),
    ("cross", "cross", (u(4, 3), u(4, 3)), {}),
    ("cross_axes", "cross", (u(3, 2), u(2, 3)), {"axisa": 0, "axisb": 1}),
    ("cross_2d", "cross", (u(5, 2), u(5, 2)), {}, lambda a, b: a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]),
    ("cross_2_and_3", "cross", (u(4, 2), u(4, 3)), {}),
    ("cdist", "cdist", (u(2, 3, 4), u(2, 5, 4)), {},
     lambda x, y: np.sqrt(((x[:, :, None, :] - y[:, None, :, :]) ** 2).sum(-1))),
    ("corrcoef", "corrcoef", (u(3, 6),), {}),
    ("trapezoid", "trapezoid", (M34,), {}),
    ("trapezoid_dx", "trapezoid", (M34,), {"dx": 0.5, "axis": 0}),
    ("trapezoid_x", "trapezoid", (M34, np.array([0.0, 0.5, 2.0, 2.5], F32)), {}),
    ("in_top_k", "in_top_k", (np.array([0, 2, 1], np.int32), np.array([[0.1, 0.5, 0.4], [0.3, 0.3, 0.3], [0.9, 0.05, 0.05]], F32), 2), {},
     lambda t, p, k: np.array([(p[i] > p[i, t[i]]).sum() < k for i in range(len(t))])),
]


def _as_float64(value):
    if isinstance(value, np.ndarray) and value.dtype == F32:
        return value.astype(np.float64)
    if isinstance(value, (list, tuple)):
        return type(value)(_as_float64(v) for v in value)
    return value


def _compare(actual, expected, case_id):
    if isinstance(expected, (list, tuple)):
        assert isinstance(actual, (list, tuple)) and len(actual) == len(expected), case_id
        for a, e in zip(actual, expected):
            _compare(a, e, case_id)
        return
    expected = np.asarray(expected)
    values = np.asarray(ops.convert_to_numpy(actual))
    assert values.shape == expected.shape, f"{case_id}: shape {values.shape} != NumPy's {expected.shape}"
    if expected.dtype.kind == "b":
        assert values.dtype == np.bool_, f"{case_id}: dtype {values.dtype}, expected bool"
        np.testing.assert_array_equal(values, expected, err_msg=case_id)
    elif expected.dtype.kind in "iu":
        assert values.dtype.kind in "iu", f"{case_id}: dtype {values.dtype}, expected an integer"
        np.testing.assert_array_equal(values, expected, err_msg=case_id)
    else:
        assert ops.dtype(actual) == "float32", f"{case_id}: dtype {ops.dtype(actual)}, expected float32"
        np.testing.assert_allclose(values, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL, err_msg=case_id)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_composite_op_matches_numpy(case):
    case_id, name, args, kwargs = case[:4]
    reference = case[4] if len(case) > 4 else getattr(np, name)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # NumPy's warnings about all-NaN slices and 2-D cross products are about its inputs.
        warnings.simplefilter("ignore")
        expected = reference(*_as_float64(args), **kwargs)
    if isinstance(expected, np.ndarray) and expected.dtype == np.float64:
        expected = expected.astype(F32)
    elif isinstance(expected, (list, tuple)):
        expected = [e.astype(F32) if e.dtype == np.float64 else e for e in map(np.asarray, expected)]
    elif isinstance(expected, (float, np.floating)):
        expected = np.float32(expected)
    _compare(getattr(ops, name)(*args, **kwargs), expected, case_id)


# ------------------------------------------------------------------ edges


def test_saturate_cast_clips_instead_of_wrapping():
    x = np.array([1e10, -1e10, 3.7, -3.7, np.inf], F32)
    result = ops.convert_to_numpy(ops.saturate_cast(x, "int32"))
    assert ops.dtype(ops.saturate_cast(x, "int32")) == "int32"
    # float32 holds no number between 2**31 - 128 and 2**31: the largest one below is the cap.
    np.testing.assert_array_equal(result, [2**31 - 128, -(2**31), 3, -3, 2**31 - 128])
    np.testing.assert_array_equal(
        ops.convert_to_numpy(ops.saturate_cast(np.array([300, -5, 17], np.int32), "uint8")), [255, 0, 17])
    np.testing.assert_array_equal(
        ops.convert_to_numpy(ops.saturate_cast(np.array([1e6, -1e6], F32), "float16")), [65504, -65504])


def test_cumprod_takes_a_dtype():
    result = ops.cumprod(np.array([[1.5, 2.0], [3.0, 0.5]], F32), axis=0, dtype="int32")
    assert ops.dtype(result) == "int32"
    np.testing.assert_array_equal(ops.convert_to_numpy(result), [[1, 2], [3, 0]])


@pytest.mark.parametrize("call, message", [
    (lambda: ops.searchsorted(np.arange(3.0), 1.0, side="middle"), "`side` must be either 'left' or 'right'"),
    (lambda: ops.quantile(M34, 0.5, method="cubic"), "Invalid value for `method`"),
    (lambda: ops.tril(V4), "rank >= 2"),
    (lambda: ops.average(M34, weights=V3, axis=1), "Length of weights 3"),
    (lambda: ops.average(M34, weights=V4), "Axis must be specified"),
    (lambda: ops.roll(M34, (1, 2), axis=(0, 1, 1)), "same length"),
    (lambda: ops.rot90(M34, axes=(1, 1)), "two different axes"),
    (lambda: ops.unstack(M34, num=2), "num=2 but axis 0 has length 3"),
    (lambda: ops.select([M34 > 0], [M34, M34]), "same length"),
    (lambda: ops.cross(u(2, 4), u(2, 4)), "length 2 or 3"),
    (lambda: ops.inner(M34, u(2, 3)), "last axes differ"),
    (lambda: ops.geomspace(0.0, 1.0, 3), "non-zero"),
    (lambda: ops.meshgrid(V3, indexing="yx"), "Valid values for `indexing`"),
    (lambda: ops.diag(T234), "1-D or 2-D"),
    (lambda: ops.array_split(M34, 0), "number of sections must be > 0"),
    (lambda: ops.bincount(np.array([1, 2]), sparse=True), "sparse=True is not supported"),
    (lambda: ops.bincount(T234), "1-D or 2-D"),
    (lambda: ops.histogram(M34), "1-D tensor"),
    (lambda: ops.argpartition(V4, 4), "kth=4 is out of bounds"),
])
def test_bad_arguments_name_the_problem(call, message):
    with pytest.raises((ValueError, TypeError), match=message.replace("(", r"\(").replace(")", r"\)")):
        call()


def test_argpartition_partitions():
    x = u(4, 9)
    for kth in (0, 4, 8, -2):
        order = ops.convert_to_numpy(ops.argpartition(x, kth, axis=1))
        parted = np.take_along_axis(x, order, axis=1)
        pivot = np.sort(x, axis=1)[:, kth]
        assert (np.sort(order, axis=1) == np.arange(9)).all()
        np.testing.assert_array_equal(parted[:, kth], pivot)
        assert (parted[:, :kth % 9] <= pivot[:, None]).all() and (parted[:, kth % 9:] >= pivot[:, None]).all()


def test_separable_conv_is_depthwise_then_pointwise():
    x = u(2, 7, 7, 3, low=-0.5, high=0.5)
    depthwise, pointwise = u(3, 3, 3, 2, low=-0.5, high=0.5), u(1, 1, 6, 4, low=-0.5, high=0.5)
    expected = ref.separable_conv(x.astype(np.float64), depthwise, pointwise, strides=2, padding="same")
    result = ops.separable_conv(x, depthwise, pointwise, strides=2, padding="same")
    np.testing.assert_allclose(ops.convert_to_numpy(result), expected, rtol=1e-5, atol=1e-5)


def test_ldexp_refuses_a_float_exponent():
    with pytest.raises(TypeError, match="integer exponent"):
        ops.ldexp(V4, V4)


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("tril", (), {}, (None, 3, 4)),
    ("quantile", (np.array([0.5, 0.9], F32),), {"axis": -1}, (2, None, 3)),
    ("nanmean", (), {"axis": 1}, (None, 4)),
    ("roll", (1,), {"axis": 2}, (None, 3, 4)),
    ("diagonal", (), {"axis1": 1, "axis2": 2}, (None, 3)),
    ("logaddexp", (np.float32(1.0),), {}, (None, 3, 4)),
    ("cdist", (np.ones((2, 5, 4), F32),), {}, (2, 3, 5)),
])
def test_symbolic_call_infers_the_shape(name, args, kwargs, shape):
    batch = 2 if name == "cdist" else None
    inputs = kfacade.Input(shape=(3, 4), batch_size=batch)
    assert tuple(getattr(ops, name)(inputs, *args, **kwargs).shape) == shape


def test_composites_run_inside_a_compiled_training_step():
    # A layer built from composite ops trains on every backend (traced under
    # jax.jit and tf.function, eager on torch), and its gradient is NumPy's.
    model = kfacade.Sequential([
        kfacade.Input((4,)),
        kfacade.layers.Dense(4, kernel_initializer="ones", use_bias=False),
        kfacade.layers.Lambda(lambda t: ops.logaddexp(ops.cbrt(t), ops.hypot(t, 1.0))),
    ])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.linspace(-1, 1, 32, dtype=F32).reshape(8, 4), np.zeros((8, 4), F32)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=4, verbose=0)
    assert math.isfinite(before) and model.evaluate(x, y, verbose=0) < before
