"""Conformance of the active adapter with the contract, against NumPy.

Every op of ``kfacade/backend/contract.py`` runs on small random inputs and
is compared with a NumPy reference (the oracle pattern of STYLE.md): the
reference is computed from the same NumPy arrays the adapter receives as
native tensors. Runs under whatever ``KERAS_BACKEND`` is active:

    KERAS_BACKEND=torch python -m pytest -q tests/test_adapter_ops.py

Tolerances are ``tests.helpers``' float32 ones unless a comment says why not.
"""
import math

import numpy as np
import pytest
import scipy.special as scipy_special

import kfacade
from kfacade.backend import adapter as B
from kfacade.random import SeedGenerator, draw_seed

try:
    from tests.helpers import FLOAT32_ATOL, FLOAT32_RTOL, assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import FLOAT32_ATOL, FLOAT32_RTOL, assert_close

F32 = np.float32


# ------------------------------------------------------------------ helpers


def uniform(rng, *shape, low=-2.0, high=2.0, dtype=F32):
    return rng.uniform(low, high, size=shape).astype(dtype)


def ints(rng, *shape, low=-5, high=6, dtype=np.int32):
    return rng.integers(low, high, size=shape).astype(dtype)


def bools(rng, *shape):
    return rng.random(shape) < 0.5


def to_native(value):
    """NumPy arrays (also inside lists and tuples) as native tensors."""
    if isinstance(value, np.ndarray):
        return B.convert_to_tensor(value)
    if isinstance(value, (list, tuple)):
        return type(value)(to_native(v) for v in value)
    return value


def to_numpy(value):
    """A backend result (tensor, or nested list/tuple of tensors) as NumPy."""
    if isinstance(value, (list, tuple)):
        return [to_numpy(v) for v in value]
    return np.asarray(B.convert_to_numpy(value))


def check_result(result, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL):
    """Values within tolerance; float and bool dtypes exactly NumPy's; ints any int."""
    if isinstance(expected, (list, tuple)):
        assert isinstance(result, (list, tuple)), f"expected a sequence, got {type(result)}"
        assert len(result) == len(expected)
        for r, e in zip(result, expected):
            check_result(r, e, rtol, atol)
        return
    expected = np.asarray(expected)
    actual = to_numpy(result)
    assert actual.shape == expected.shape, f"shape {actual.shape} != NumPy's {expected.shape}"
    if expected.dtype.kind in "fb":
        assert B.dtype(result) == expected.dtype.name, (
            f"dtype {B.dtype(result)} != NumPy's {expected.dtype.name}"
        )
    elif expected.dtype.kind in "iu":
        # NumPy gives int64 where Keras gives int32 (argmax, sum of int32, ...).
        assert actual.dtype.kind in "iu", f"dtype {B.dtype(result)} is not an integer dtype"
    if expected.dtype.kind == "b":
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def as_f32(fn):
    """A reference computed in float64 for accuracy, returned as float32."""
    return lambda *a, **k: np.asarray(fn(*[np.asarray(v, np.float64) if isinstance(v, np.ndarray) else v for v in a], **k)).astype(F32)


# --------------------------------------------------------- conversion, dtypes

#: The dtype the active adapter stores for each dtype it narrows. JAX runs
#: without ``jax_enable_x64``, as Keras 3's JAX backend does: float64 becomes
#: float32 and int64 int32 (backends/jax/variables.py, and the exception in the
#: contract's ``convert_to_tensor``). Every other adapter keeps every dtype.
NARROWED = {"float64": "float32", "int64": "int32"} if B.name == "jax" else {}


def stored_dtype(dtype):
    """The dtype name a tensor of `dtype` has on the active adapter."""
    return NARROWED.get(dtype, dtype)


ROUND_TRIP_DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                     "uint32", "bool"]


@pytest.mark.parametrize("dtype", ROUND_TRIP_DTYPES)
def test_convert_round_trip_keeps_numpy_dtype(rng, dtype):
    # The contract: "NumPy arrays keep their dtype unless `dtype` is given",
    # except the 64-bit types an adapter narrows (NARROWED).
    array = (rng.random((2, 3)) < 0.5) if dtype == "bool" else (rng.random((2, 3)) * 10).astype(dtype)
    tensor = B.convert_to_tensor(array)
    assert B.is_tensor(tensor)
    assert B.dtype(tensor) == stored_dtype(dtype)
    assert B.shape(tensor) == (2, 3)
    back = B.convert_to_numpy(tensor)
    assert isinstance(back, np.ndarray)
    assert back.dtype == np.dtype(stored_dtype(dtype))
    np.testing.assert_array_equal(back, array.astype(stored_dtype(dtype)))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "uint8", "bool"])
def test_cast_and_convert_with_dtype(rng, dtype):
    array = uniform(rng, 3, 4, low=-3, high=3)
    expected = array.astype(stored_dtype(dtype))  # float -> int truncates toward zero
    rtol = 1e-3 if dtype == "float16" else FLOAT32_RTOL
    for result in (B.cast(B.convert_to_tensor(array), dtype), B.convert_to_tensor(array, dtype=dtype)):
        assert B.dtype(result) == stored_dtype(dtype)
        check_result(result, expected, rtol=rtol)


def test_cast_bfloat16_is_named_bfloat16(rng):
    array = uniform(rng, 4)
    tensor = B.cast(B.convert_to_tensor(array), "bfloat16")
    assert B.dtype(tensor) == "bfloat16"
    # bfloat16 keeps 8 bits of mantissa: relative error up to 2**-8.
    assert_close(B.cast(tensor, "float32"), array, rtol=2**-8, atol=0)


def test_convert_python_values():
    assert B.dtype(B.convert_to_tensor(1.5)) == "float32"  # floatx, not float64
    nested = B.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
    assert B.dtype(nested) == "float32"
    assert B.shape(nested) == (2, 2)
    assert_close(nested, np.array([[1, 2], [3, 4]], F32))
    int_list = B.convert_to_tensor([1, 2, 3])
    assert B.dtype(int_list) in ("int32", "int64")
    assert B.dtype(B.convert_to_tensor([1, 2], dtype="float32")) == "float32"
    assert not B.is_tensor(np.zeros(2))
    assert not B.is_tensor(1.0)
    shape = B.shape(B.zeros((2, 3, 1)))
    assert type(shape) is tuple and all(type(d) is int for d in shape)


def test_variable_and_numpy_arguments_are_accepted(rng):
    a, b = uniform(rng, 2, 3), uniform(rng, 3, 2)
    v = kfacade.Variable(a)
    assert_close(B.convert_to_tensor(v), a)
    assert_close(B.add(v, a), a + a)  # a Variable and a NumPy array as arguments
    assert_close(B.matmul(v, b), a @ b)
    assert_close(B.sum(a), a.sum())


WEAK_TYPING = [
    ("add(f32, 1)", lambda x, i: B.add(x, 1), lambda x, i: x + 1, "float32"),
    ("add(1, f32)", lambda x, i: B.add(1, x), lambda x, i: 1 + x, "float32"),
    ("add(f32, 1.5)", lambda x, i: B.add(x, 1.5), lambda x, i: x + 1.5, "float32"),
    ("subtract(0.5, f32)", lambda x, i: B.subtract(0.5, x), lambda x, i: 0.5 - x, "float32"),
    ("multiply(f32, 2)", lambda x, i: B.multiply(x, 2), lambda x, i: x * 2, "float32"),
    ("divide(f32, 2)", lambda x, i: B.divide(x, 2), lambda x, i: x / 2, "float32"),
    ("power(f32, 2)", lambda x, i: B.power(x, 2), lambda x, i: x**2, "float32"),
    ("maximum(f32, 0)", lambda x, i: B.maximum(x, 0), lambda x, i: np.maximum(x, 0), "float32"),
    ("where(c, f32, 0.0)", lambda x, i: B.where(B.greater(x, 0), x, 0.0), lambda x, i: np.where(x > 0, x, F32(0)), "float32"),
    ("clip(f32, 0, 1)", lambda x, i: B.clip(x, 0, 1), lambda x, i: np.clip(x, 0, 1), "float32"),
    ("add(f16, 1.0)", lambda x, i: B.add(B.cast(x, "float16"), 1.0), lambda x, i: x.astype("float16") + 1.0, "float16"),
    ("add(i32, 1)", lambda x, i: B.add(i, 1), lambda x, i: i + 1, "int32"),
    ("multiply(3, i32)", lambda x, i: B.multiply(3, i), lambda x, i: 3 * i, "int32"),
    ("floor_divide(i32, 2)", lambda x, i: B.floor_divide(i, 2), lambda x, i: i // 2, "int32"),
]


@pytest.mark.parametrize("fn, reference, dtype", [c[1:] for c in WEAK_TYPING], ids=[c[0] for c in WEAK_TYPING])
def test_python_scalars_are_weakly_typed(rng, fn, reference, dtype):
    x, i = uniform(rng, 2, 3), ints(rng, 2, 3)
    result = fn(B.convert_to_tensor(x), B.convert_to_tensor(i))
    assert B.dtype(result) == dtype
    expected = reference(x, i)
    assert expected.dtype == np.dtype(dtype)  # the reference agrees (NEP 50)
    assert_close(result, expected, rtol=1e-3 if dtype == "float16" else FLOAT32_RTOL)


# ---------------------------------------------------------------- creation

CREATION = [
    ("zeros", lambda: B.zeros((2, 3)), np.zeros((2, 3), F32)),
    ("zeros_int32", lambda: B.zeros((2,), "int32"), np.zeros((2,), np.int32)),
    ("ones", lambda: B.ones((3,)), np.ones((3,), F32)),
    ("ones_int32", lambda: B.ones((2, 2), dtype="int32"), np.ones((2, 2), np.int32)),
    ("full", lambda: B.full((2, 3), 1.5), np.full((2, 3), 1.5, F32)),
    ("full_int32", lambda: B.full((2,), 7, "int32"), np.full((2,), 7, np.int32)),
    ("arange_stop", lambda: B.arange(5), np.arange(5)),
    ("arange_start_stop_step", lambda: B.arange(1, 7, 2), np.arange(1, 7, 2)),
    ("arange_float", lambda: B.arange(0.0, 1.0, 0.25, dtype="float32"), np.arange(0.0, 1.0, 0.25, dtype=F32)),
    ("arange_int_as_float", lambda: B.arange(2, 8, 3, dtype="float32"), np.arange(2, 8, 3, dtype=F32)),
    ("eye", lambda: B.eye(3), np.eye(3, dtype=F32)),
    ("eye_rectangular", lambda: B.eye(2, 4), np.eye(2, 4, dtype=F32)),
    ("eye_int32", lambda: B.eye(3, dtype="int32"), np.eye(3, dtype=np.int32)),
]


@pytest.mark.parametrize("fn, expected", [c[1:] for c in CREATION], ids=[c[0] for c in CREATION])
def test_creation(fn, expected):
    result = fn()
    check_result(result, expected)
    if expected.dtype.kind in "iu" and expected.dtype != np.int64:
        assert B.dtype(result) == expected.dtype.name


def test_arange_float_without_dtype_is_float():
    result = B.arange(0.0, 1.0, 0.25)
    assert B.dtype(result).startswith("float")
    assert_close(result, np.arange(0.0, 1.0, 0.25))


# -------------------------------------------------------- elementwise unary


def _with_specials(rng):
    x = uniform(rng, 3, 4)
    x[0, 0], x[0, 1], x[0, 2], x[1, 0] = 0.0, np.nan, np.inf, -np.inf
    return x


UNARY = [
    # (name, input builder, NumPy reference)
    ("abs", lambda r: uniform(r, 3, 4), np.abs),
    ("abs_int32", lambda r: ints(r, 3, 4), np.abs),
    ("negative", lambda r: uniform(r, 3, 4), np.negative),
    ("negative_int32", lambda r: ints(r, 3, 4), np.negative),
    ("exp", lambda r: uniform(r, 3, 4), np.exp),
    ("log", lambda r: uniform(r, 3, 4, low=0.1, high=5), np.log),
    ("log1p", lambda r: uniform(r, 3, 4, low=-0.5, high=3), np.log1p),
    ("expm1", lambda r: uniform(r, 3, 4), np.expm1),
    ("sqrt", lambda r: uniform(r, 3, 4, low=0.0, high=5), np.sqrt),
    ("square", lambda r: uniform(r, 3, 4), np.square),
    ("square_int32", lambda r: ints(r, 3, 4), np.square),
    ("sign", lambda r: np.concatenate([uniform(r, 5), np.zeros(1, F32)]), np.sign),
    ("sign_int32", lambda r: ints(r, 7), np.sign),
    ("sin", lambda r: uniform(r, 3, 4, low=-4, high=4), np.sin),
    ("cos", lambda r: uniform(r, 3, 4, low=-4, high=4), np.cos),
    ("tanh", lambda r: uniform(r, 3, 4, low=-4, high=4), np.tanh),
    ("floor", lambda r: uniform(r, 3, 4, low=-4, high=4), np.floor),
    ("ceil", lambda r: uniform(r, 3, 4, low=-4, high=4), np.ceil),
    ("round", lambda r: np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.4, -0.6, 1.7], F32), np.round),
    ("logical_not", lambda r: bools(r, 3, 4), np.logical_not),
    ("isnan", _with_specials, np.isnan),
    ("isfinite", _with_specials, np.isfinite),
    ("isinf", _with_specials, np.isinf),
    ("tan", lambda r: uniform(r, 3, 4, low=-1.4, high=1.4), as_f32(np.tan)),
    ("arcsin", lambda r: uniform(r, 3, 4, low=-0.99, high=0.99), as_f32(np.arcsin)),
    ("arccos", lambda r: uniform(r, 3, 4, low=-0.99, high=0.99), as_f32(np.arccos)),
    ("arctan", lambda r: uniform(r, 3, 4, low=-6, high=6), as_f32(np.arctan)),
    ("sinh", lambda r: uniform(r, 3, 4, low=-4, high=4), as_f32(np.sinh)),
    ("cosh", lambda r: uniform(r, 3, 4, low=-4, high=4), as_f32(np.cosh)),
    ("arcsinh", lambda r: uniform(r, 3, 4, low=-6, high=6), as_f32(np.arcsinh)),
    ("arccosh", lambda r: uniform(r, 3, 4, low=1.0, high=6), as_f32(np.arccosh)),
    ("arctanh", lambda r: uniform(r, 3, 4, low=-0.95, high=0.95), as_f32(np.arctanh)),
    ("log2", lambda r: uniform(r, 3, 4, low=0.01, high=100), as_f32(np.log2)),
    ("log10", lambda r: uniform(r, 3, 4, low=0.01, high=100), as_f32(np.log10)),
    ("erf", lambda r: uniform(r, 3, 4, low=-3, high=3), as_f32(np.vectorize(math.erf))),
    # erfc near 1 - erf's cancellation: x up to 4, where erfc is 1.5e-8 (atol would hide it).
    ("erfc", lambda r: uniform(r, 3, 4, low=-1, high=4), as_f32(np.vectorize(math.erfc))),
    ("erfinv", lambda r: uniform(r, 3, 4, low=-0.95, high=0.95), as_f32(scipy_special.erfinv)),
    ("trunc", lambda r: uniform(r, 3, 4, low=-4, high=4), np.trunc),
    ("trunc_int32", lambda r: ints(r, 3, 4), lambda x: x),
]


@pytest.mark.parametrize("name, build, reference", UNARY, ids=[c[0] for c in UNARY])
def test_unary(rng, name, build, reference):
    x = build(rng)
    op = getattr(B, name.removesuffix("_int32"))
    result = op(B.convert_to_tensor(x))
    # erfc's relative error is what matters where it is tiny.
    check_result(result, reference(x), atol=0 if name == "erfc" else FLOAT32_ATOL)
    if x.dtype == np.int32:
        assert B.dtype(result) == "int32"


#: The contract's float functions of an integer: computed in floatx.
FLOAT_OF_INT = ["tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arctanh", "log2",
                "log10", "erf", "erfc", "erfinv"]


@pytest.mark.parametrize("name", FLOAT_OF_INT)
def test_float_functions_of_integers_give_floatx(name):
    x = np.array([0, 0, 1, 0], np.int32) if name != "arccosh" else np.array([1, 2], np.int32)
    result = getattr(B, name)(B.convert_to_tensor(x))
    assert B.dtype(result) == kfacade.config.floatx()
    reference = {case[0]: case[2] for case in UNARY}[name]
    check_result(result, reference(x.astype(np.float64)))


# ------------------------------------------------------- elementwise binary


def _away_from_zero(r, *shape):
    return (uniform(r, *shape, low=0.5, high=2.0) * np.where(r.random(shape) < 0.5, -1, 1)).astype(F32)


def _small_ints_as_float(r, *shape):
    return r.integers(0, 3, size=shape).astype(F32)  # equal values occur often


BINARY = [
    # (name, builder of one operand of a shape, the other operand's builder, reference)
    ("add", uniform, uniform, np.add),
    ("subtract", uniform, uniform, np.subtract),
    ("multiply", uniform, uniform, np.multiply),
    ("divide", uniform, _away_from_zero, np.divide),
    ("floor_divide", lambda r, *s: uniform(r, *s, low=-5, high=5), _away_from_zero, np.floor_divide),
    ("mod", lambda r, *s: uniform(r, *s, low=-5, high=5), _away_from_zero, np.mod),
    ("power", lambda r, *s: uniform(r, *s, low=0.1, high=3), uniform, np.power),
    ("maximum", uniform, uniform, np.maximum),
    ("minimum", uniform, uniform, np.minimum),
    ("equal", _small_ints_as_float, _small_ints_as_float, np.equal),
    ("not_equal", _small_ints_as_float, _small_ints_as_float, np.not_equal),
    ("less", _small_ints_as_float, _small_ints_as_float, np.less),
    ("less_equal", _small_ints_as_float, _small_ints_as_float, np.less_equal),
    ("greater", _small_ints_as_float, _small_ints_as_float, np.greater),
    ("greater_equal", _small_ints_as_float, _small_ints_as_float, np.greater_equal),
    ("logical_and", bools, bools, np.logical_and),
    ("logical_or", bools, bools, np.logical_or),
    ("arctan2", uniform, uniform, as_f32(np.arctan2)),
]
BROADCAST_SHAPES = {"same": ((3, 4), (3, 4)), "broadcast": ((2, 1, 4), (3, 4)), "scalar_like": ((3, 4), (1,))}


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES.values(), ids=BROADCAST_SHAPES.keys())
@pytest.mark.parametrize("name, build1, build2, reference", BINARY, ids=[c[0] for c in BINARY])
def test_binary(rng, name, build1, build2, reference, shapes):
    x1, x2 = build1(rng, *shapes[0]), build2(rng, *shapes[1])
    check_result(getattr(B, name)(B.convert_to_tensor(x1), B.convert_to_tensor(x2)), reference(x1, x2))


INT_BINARY = ["add", "subtract", "multiply", "floor_divide", "mod", "maximum", "minimum"]


@pytest.mark.parametrize("name", INT_BINARY)
def test_binary_int32_keeps_int32(rng, name):
    x1 = ints(rng, 3, 4, low=-9, high=10)
    x2 = ints(rng, 3, 4, low=1, high=4) * np.where(rng.random((3, 4)) < 0.5, -1, 1).astype(np.int32)
    result = getattr(B, name)(B.convert_to_tensor(x1), B.convert_to_tensor(x2))
    assert B.dtype(result) == "int32"
    np.testing.assert_array_equal(to_numpy(result), getattr(np, name)(x1, x2))


def test_where_broadcasts(rng):
    condition, x1, x2 = bools(rng, 2, 1, 4), uniform(rng, 3, 4), uniform(rng, 4)
    check_result(B.where(*to_native([condition, x1, x2])), np.where(condition, x1, x2))


def test_clip(rng):
    x = uniform(rng, 3, 4)
    check_result(B.clip(B.convert_to_tensor(x), -0.5, 0.5), np.clip(x, -0.5, 0.5))


# -------------------------------------------------------------- reductions

# One int (negative, to check its normalisation) and one tuple: each new
# shape costs a compilation on JAX, so the grid stays small.
AXES = [None, -1, (0, 2)]
FLOAT_REDUCTIONS = [
    ("sum", lambda r: uniform(r, 2, 3, 4), np.sum),
    ("mean", lambda r: uniform(r, 2, 3, 4), np.mean),
    ("max", lambda r: uniform(r, 2, 3, 4), np.max),
    ("min", lambda r: uniform(r, 2, 3, 4), np.min),
    ("prod", lambda r: uniform(r, 2, 3, 4, low=0.5, high=1.5), np.prod),
    ("var", lambda r: uniform(r, 2, 3, 4), np.var),
    ("logsumexp", lambda r: uniform(r, 2, 3, 4, low=-5, high=30),
     as_f32(lambda x, axis, keepdims: np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims)))),
    ("any", lambda r: r.random((2, 3, 4)) < 0.2, np.any),
    ("all", lambda r: r.random((2, 3, 4)) < 0.8, np.all),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name, build, reference", FLOAT_REDUCTIONS, ids=[c[0] for c in FLOAT_REDUCTIONS])
def test_reduction(rng, name, build, reference, axis, keepdims):
    x = build(rng)
    result = getattr(B, name)(B.convert_to_tensor(x), axis=axis, keepdims=keepdims)
    check_result(result, reference(x, axis=axis, keepdims=keepdims))


def test_sum_of_int32(rng):
    x = ints(rng, 3, 4)
    result = B.sum(B.convert_to_tensor(x), axis=0)
    check_result(result, np.sum(x, axis=0))


@pytest.mark.parametrize("axis", [None, 0, -1], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(rng, name, axis):
    x = uniform(rng, 3, 5)
    check_result(getattr(B, name)(B.convert_to_tensor(x), axis=axis), getattr(np, name)(x, axis=axis))


@pytest.mark.parametrize("axis", [None, 0, 1], ids=str)
def test_cumsum(rng, axis):
    x = uniform(rng, 3, 4)
    check_result(B.cumsum(B.convert_to_tensor(x), axis=axis), np.cumsum(x, axis=axis))


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumprod(rng, axis):
    x = uniform(rng, 3, 4, low=0.5, high=1.5)
    check_result(B.cumprod(B.convert_to_tensor(x), axis=axis), np.cumprod(x, axis=axis))


@pytest.mark.parametrize("dtype, expected", [("int8", "int32"), ("bool", "int32"), ("int32", "int32")])
def test_cumprod_of_integers_keeps_the_sum_dtype(dtype, expected):
    # The dtype of ``prod`` (kfacade's result table): int8 and bool products do not wrap.
    x = np.array([[3, 5, 7], [1, 2, 2]], dtype)
    result = B.cumprod(B.convert_to_tensor(x), axis=1)
    assert B.dtype(result) == expected
    np.testing.assert_array_equal(to_numpy(result), np.cumprod(x.astype(np.int64), axis=1))


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted(side):
    sequence = np.array([1.0, 2.0, 2.0, 3.5, 7.0], F32)
    values = np.array([[0.0, 2.0, 2.5], [3.5, 7.0, 9.0]], F32)
    result = B.searchsorted(B.convert_to_tensor(sequence), B.convert_to_tensor(values), side=side)
    assert B.dtype(result) == "int32"
    np.testing.assert_array_equal(to_numpy(result), np.searchsorted(sequence, values, side=side))


def test_searchsorted_names_a_sequence_that_is_not_1d():
    with pytest.raises(ValueError, match="1-D sorted_sequence"):
        B.searchsorted(B.convert_to_tensor(np.ones((2, 2), F32)), B.convert_to_tensor(np.ones(2, F32)))


# --------------------------------------------------------- shape and index


def _top_k_reference(x, k):
    indices = np.argsort(-x, axis=-1, kind="stable")[..., :k]
    return [np.take_along_axis(x, indices, axis=-1), indices]


SHAPE_OPS = [
    # (id, op name, builder rng -> (args, kwargs), reference(*args, **kwargs))
    ("reshape", "reshape", lambda r: ([uniform(r, 2, 3, 4), (6, -1)], {}), np.reshape),
    ("transpose_default", "transpose", lambda r: ([uniform(r, 2, 3, 4)], {}), np.transpose),
    ("transpose_axes", "transpose", lambda r: ([uniform(r, 2, 3, 4)], {"axes": (1, 0, 2)}), np.transpose),
    ("expand_dims_0", "expand_dims", lambda r: ([uniform(r, 2, 3), 0], {}), np.expand_dims),
    ("expand_dims_-1", "expand_dims", lambda r: ([uniform(r, 2, 3), -1], {}), np.expand_dims),
    ("squeeze_all", "squeeze", lambda r: ([uniform(r, 2, 1, 3, 1)], {}), np.squeeze),
    ("squeeze_axis", "squeeze", lambda r: ([uniform(r, 2, 1, 3, 1)], {"axis": 1}), np.squeeze),
    ("concatenate_0", "concatenate", lambda r: ([[uniform(r, 2, 3), uniform(r, 1, 3)]], {"axis": 0}), np.concatenate),
    ("concatenate_-1", "concatenate", lambda r: ([[uniform(r, 2, 3), uniform(r, 2, 2)]], {"axis": -1}), np.concatenate),
    ("stack_0", "stack", lambda r: ([[uniform(r, 2, 3), uniform(r, 2, 3)]], {}), np.stack),
    ("stack_-1", "stack", lambda r: ([[uniform(r, 2, 3), uniform(r, 2, 3)]], {"axis": -1}), np.stack),
    ("split_sections", "split", lambda r: ([uniform(r, 4, 3), 2], {}), np.split),
    ("split_indices", "split", lambda r: ([uniform(r, 3, 5), [1, 3]], {"axis": 1}), np.split),
    ("tile", "tile", lambda r: ([uniform(r, 2, 3), (2, 1)], {}), np.tile),
    ("repeat_flat", "repeat", lambda r: ([uniform(r, 2, 3), 2], {}), np.repeat),
    ("repeat_axis", "repeat", lambda r: ([uniform(r, 2, 3), 3], {"axis": 1}), np.repeat),
    ("broadcast_to", "broadcast_to", lambda r: ([uniform(r, 3, 1), (2, 3, 4)], {}), np.broadcast_to),
    ("take_flat", "take", lambda r: ([uniform(r, 3, 4), np.array([0, 5, 11], np.int32)], {}), np.take),
    ("take_axis0", "take", lambda r: ([uniform(r, 3, 4), np.array([2, 0, 2], np.int32)], {"axis": 0}), np.take),
    ("take_axis1_2d", "take", lambda r: ([uniform(r, 3, 4), np.array([[0, 3], [1, 1]], np.int32)], {"axis": 1}), np.take),
    ("take_int64_indices", "take", lambda r: ([uniform(r, 3, 4), np.array([1, 2], np.int64)], {"axis": 0}), np.take),
    # NumPy semantics: a negative index counts from the end.
    ("take_negative", "take", lambda r: ([uniform(r, 3, 4), np.array([-1, 0], np.int32)], {"axis": 1}), np.take),
    ("take_along_axis", "take_along_axis",
     lambda r: ([uniform(r, 3, 4), r.integers(0, 4, (3, 2)).astype(np.int32)], {"axis": 1}), np.take_along_axis),
    ("take_along_axis_0", "take_along_axis",
     lambda r: ([uniform(r, 3, 4), r.integers(0, 3, (2, 4)).astype(np.int32)], {"axis": 0}), np.take_along_axis),
    ("slice", "slice", lambda r: ([uniform(r, 3, 4, 5), (1, 0, 2), (2, 3, 1)], {}),
     lambda x, start, size: x[tuple(np.s_[s:s + n] for s, n in zip(start, size))]),
    ("pad_constant", "pad", lambda r: ([uniform(r, 3, 4), ((1, 2), (0, 1))], {}), np.pad),
    ("pad_constant_value", "pad", lambda r: ([uniform(r, 3, 4), ((1, 0), (2, 1))], {"constant_values": 1.5}), np.pad),
    ("pad_reflect", "pad", lambda r: ([uniform(r, 3, 4), ((1, 2), (2, 1))], {"mode": "reflect"}), np.pad),
    ("pad_symmetric", "pad", lambda r: ([uniform(r, 3, 4), ((1, 2), (2, 1))], {"mode": "symmetric"}), np.pad),
    ("pad_reflect_3d", "pad", lambda r: ([uniform(r, 2, 3, 4), ((0, 0), (1, 1), (0, 2))], {"mode": "reflect"}), np.pad),
    ("flip_all", "flip", lambda r: ([uniform(r, 2, 3)], {}), np.flip),
    ("flip_0", "flip", lambda r: ([uniform(r, 2, 3)], {"axis": 0}), np.flip),
    ("flip_tuple", "flip", lambda r: ([uniform(r, 2, 3, 2)], {"axis": (0, 2)}), np.flip),
    ("one_hot", "one_hot", lambda r: ([np.array([[0, 2, 1], [3, 0, 2]], np.int32), 4], {}),
     lambda x, n: np.eye(n, dtype=F32)[x]),
    ("one_hot_axis0", "one_hot", lambda r: ([np.array([[0, 2, 1], [3, 0, 2]], np.int32), 4], {"axis": 0}),
     lambda x, n, axis: np.moveaxis(np.eye(n, dtype=F32)[x], -1, 0)),
    ("one_hot_int32", "one_hot", lambda r: ([np.array([1, 0, 2], np.int32), 3], {"dtype": "int32"}),
     lambda x, n, dtype: np.eye(n, dtype=dtype)[x]),
    ("top_k", "top_k", lambda r: ([uniform(r, 3, 6), 3], {}), _top_k_reference),
    ("sort_last", "sort", lambda r: ([uniform(r, 3, 5)], {}), np.sort),
    ("sort_0", "sort", lambda r: ([uniform(r, 3, 5)], {"axis": 0}), np.sort),
    ("argsort_last", "argsort", lambda r: ([uniform(r, 3, 5)], {}), np.argsort),
    ("argsort_0", "argsort", lambda r: ([uniform(r, 3, 5)], {"axis": 0}), np.argsort),
    ("matmul_2d", "matmul", lambda r: ([uniform(r, 3, 4), uniform(r, 4, 2)], {}), np.matmul),
    ("matmul_batched", "matmul", lambda r: ([uniform(r, 2, 3, 4), uniform(r, 2, 4, 5)], {}), np.matmul),
    ("matmul_batch_broadcast", "matmul", lambda r: ([uniform(r, 2, 1, 3, 4), uniform(r, 5, 4, 2)], {}), np.matmul),
    ("matmul_batched_by_2d", "matmul", lambda r: ([uniform(r, 2, 3, 4), uniform(r, 4, 5)], {}), np.matmul),
    ("matmul_vector", "matmul", lambda r: ([uniform(r, 4), uniform(r, 4, 3)], {}), np.matmul),
    ("tensordot_1", "tensordot", lambda r: ([uniform(r, 2, 3), uniform(r, 3, 4)], {"axes": 1}), np.tensordot),
    ("tensordot_2", "tensordot", lambda r: ([uniform(r, 2, 3, 4), uniform(r, 3, 4, 5)], {}), np.tensordot),
    ("tensordot_lists", "tensordot", lambda r: ([uniform(r, 3, 2, 4), uniform(r, 4, 3)], {"axes": ([0, 2], [1, 0])}),
     np.tensordot),
    ("einsum_matmul", "einsum", lambda r: (["ij,jk->ik", uniform(r, 2, 3), uniform(r, 3, 4)], {}), np.einsum),
    ("einsum_batched", "einsum", lambda r: (["bij,bjk->bik", uniform(r, 2, 2, 3), uniform(r, 2, 3, 4)], {}), np.einsum),
    ("einsum_transpose", "einsum", lambda r: (["ij->ji", uniform(r, 2, 3)], {}), np.einsum),
    ("einsum_dot", "einsum", lambda r: (["i,i->", uniform(r, 5), uniform(r, 5)], {}), np.einsum),
    ("einsum_outer_sum", "einsum", lambda r: (["ij,kj->ik", uniform(r, 2, 3), uniform(r, 4, 3)], {}), np.einsum),
    ("stop_gradient", "stop_gradient", lambda r: ([uniform(r, 2, 3)], {}), lambda x: x),
]


@pytest.mark.parametrize("name, build, reference", [c[1:] for c in SHAPE_OPS], ids=[c[0] for c in SHAPE_OPS])
def test_shape_and_index_ops(rng, name, build, reference):
    args, kwargs = build(rng)
    result = getattr(B, name)(*to_native(args), **kwargs)
    check_result(result, reference(*args, **kwargs))


# --------------------------------------------------------------------- nn

SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


ACTIVATIONS = [
    # (id, op name, kwargs, reference in float64)
    ("relu", "relu", {}, lambda x: np.maximum(x, 0)),
    ("relu6", "relu6", {}, lambda x: np.minimum(np.maximum(x, 0), 6)),
    ("sigmoid", "sigmoid", {}, _sigmoid),
    ("softplus", "softplus", {}, lambda x: np.log1p(np.exp(x))),
    ("softsign", "softsign", {}, lambda x: x / (1 + np.abs(x))),
    ("elu", "elu", {}, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    ("elu_alpha", "elu", {"alpha": 0.5}, lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    ("selu", "selu", {}, lambda x: 1.05070098 * np.where(x > 0, x, 1.67326324 * (np.exp(x) - 1))),
    ("gelu_tanh", "gelu", {}, lambda x: 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))),
    ("gelu_tanh_explicit", "gelu", {"approximate": True},
     lambda x: 0.5 * x * (1 + np.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x**3)))),
    ("gelu_exact", "gelu", {"approximate": False}, lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    ("silu", "silu", {}, lambda x: x * _sigmoid(x)),
    ("leaky_relu", "leaky_relu", {}, lambda x: np.where(x >= 0, x, 0.2 * x)),
    ("leaky_relu_slope", "leaky_relu", {"negative_slope": 0.1}, lambda x: np.where(x >= 0, x, 0.1 * x)),
    ("hard_sigmoid", "hard_sigmoid", {}, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    ("softmax", "softmax", {}, lambda x: np.exp(_log_softmax(x, -1))),
    ("softmax_axis0", "softmax", {"axis": 0}, lambda x: np.exp(_log_softmax(x, 0))),
    ("softmax_axis1", "softmax", {"axis": 1}, lambda x: np.exp(_log_softmax(x, 1))),
    ("log_softmax", "log_softmax", {}, lambda x: _log_softmax(x, -1)),
    ("log_softmax_axis1", "log_softmax", {"axis": 1}, lambda x: _log_softmax(x, 1)),
]


@pytest.mark.parametrize("name, kwargs, reference", [c[1:] for c in ACTIVATIONS], ids=[c[0] for c in ACTIVATIONS])
def test_activation(rng, name, kwargs, reference):
    x = uniform(rng, 2, 3, 5, low=-7, high=8)  # reaches relu6's and hard_sigmoid's upper kinks
    x[0, 0, :3] = [-1e-3, 0.0, 1e-3]
    expected = reference(x.astype(np.float64)).astype(F32)
    check_result(getattr(B, name)(B.convert_to_tensor(x), **kwargs), expected)


def test_softplus_is_stable_for_large_inputs():
    x = np.array([-100.0, -30.0, 30.0, 100.0], F32)
    check_result(B.softplus(B.convert_to_tensor(x)), np.logaddexp(0, x.astype(np.float64)).astype(F32))


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1001.0, 1002.0]], F32)
    check_result(B.softmax(B.convert_to_tensor(x)), np.exp(_log_softmax(x.astype(np.float64), -1)).astype(F32))
    check_result(B.log_softmax(B.convert_to_tensor(x)), _log_softmax(x.astype(np.float64), -1).astype(F32))


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axes", [[0], [0, 1], [1, 2], [-1]], ids=str)
def test_moments(rng, axes, keepdims):
    x = uniform(rng, 4, 3, 5)
    mean, variance = B.moments(B.convert_to_tensor(x), axes, keepdims=keepdims)
    check_result(mean, np.mean(x, axis=tuple(axes), keepdims=keepdims))
    check_result(variance, np.var(x, axis=tuple(axes), keepdims=keepdims))


# ---------------------------------------------------- convolution references


def _same_padding(n, k, s, d=1):
    """TensorFlow's "same": (before, after) so that the output has ceil(n/s) steps."""
    effective = (k - 1) * d + 1
    total = max((math.ceil(n / s) - 1) * s + effective - n, 0)
    return total // 2, total - total // 2


def _tuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def np_conv(x, kernel, strides, padding, dilation, groups):
    """Cross-correlation, channels_last, Keras kernel (spatial..., in//groups, out)."""
    nd = x.ndim - 2
    strides, dilation = _tuple(strides, nd), _tuple(dilation, nd)
    spatial = x.shape[1:-1]
    pads = [
        _same_padding(spatial[i], kernel.shape[i], strides[i], dilation[i]) if padding == "same" else (0, 0)
        for i in range(nd)
    ]
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)])
    out_spatial = [
        (xp.shape[1 + i] - (kernel.shape[i] - 1) * dilation[i] - 1) // strides[i] + 1 for i in range(nd)
    ]
    in_group, out_channels = kernel.shape[-2], kernel.shape[-1]
    out_group = out_channels // groups
    out = np.zeros((x.shape[0], *out_spatial, out_channels))
    for offset in np.ndindex(*kernel.shape[:nd]):
        window = tuple(
            slice(offset[i] * dilation[i], offset[i] * dilation[i] + (out_spatial[i] - 1) * strides[i] + 1, strides[i])
            for i in range(nd)
        )
        patch = xp[(slice(None),) + window]  # (batch, *out_spatial, in_channels)
        tap = kernel[offset].astype(np.float64)  # (in//groups, out)
        for g in range(groups):
            out[..., g * out_group:(g + 1) * out_group] += (
                patch[..., g * in_group:(g + 1) * in_group] @ tap[:, g * out_group:(g + 1) * out_group]
            )
    return out.astype(F32)


def np_conv_transpose(x, kernel, strides, padding, output_padding):
    """Transposed convolution by scatter-add, channels_last, kernel (spatial..., out, in).

    Output length (Keras): valid -> (n-1)*s + k, same -> n*s (output_padding None);
    with output_padding: (n-1)*s + k - 2*pad + output_padding, pad = k//2 for
    "same", else 0. The crop before is the "same" padding before of the forward
    convolution whose input has that length (TensorFlow's definition).
    """
    nd = x.ndim - 2
    strides = _tuple(strides, nd)
    n, k = x.shape[1:-1], kernel.shape[:nd]
    full = np.zeros((x.shape[0], *[(n[i] - 1) * strides[i] + k[i] for i in range(nd)], kernel.shape[nd]))
    for offset in np.ndindex(*k):
        window = tuple(slice(offset[i], offset[i] + (n[i] - 1) * strides[i] + 1, strides[i]) for i in range(nd))
        full[(slice(None),) + window] += x.astype(np.float64) @ kernel[offset].astype(np.float64).T
    lengths, befores = [], []
    for i in range(nd):
        if output_padding is None:
            assert k[i] >= strides[i], "reference written for kernel >= stride"
            length = (n[i] - 1) * strides[i] + k[i] if padding == "valid" else n[i] * strides[i]
        else:
            pad = k[i] // 2 if padding == "same" else 0
            length = (n[i] - 1) * strides[i] + k[i] - 2 * pad + _tuple(output_padding, nd)[i]
        lengths.append(length)
        befores.append(_same_padding(length, k[i], strides[i])[0] if padding == "same" else 0)
    out = np.zeros((x.shape[0], *lengths, kernel.shape[nd]))
    source = tuple(slice(b, b + length) for b, length in zip(befores, lengths))
    cropped = full[(slice(None),) + source]
    out[(slice(None),) + tuple(slice(0, s) for s in cropped.shape[1:-1])] = cropped
    return out.astype(F32)


def np_pool(x, pool_size, strides, padding, kind):
    """Max or average pooling, channels_last; "same" pads with NaN, ignored by nanmax/nanmean."""
    nd = x.ndim - 2
    pool_size = _tuple(pool_size, nd)
    strides = pool_size if strides is None else _tuple(strides, nd)
    spatial = x.shape[1:-1]
    pads = [_same_padding(spatial[i], pool_size[i], strides[i]) if padding == "same" else (0, 0) for i in range(nd)]
    xp = np.pad(x.astype(np.float64), [(0, 0)] + pads + [(0, 0)], constant_values=np.nan)
    out_spatial = [(xp.shape[1 + i] - pool_size[i]) // strides[i] + 1 for i in range(nd)]
    windows = np.stack([
        xp[(slice(None),) + tuple(
            slice(offset[i], offset[i] + (out_spatial[i] - 1) * strides[i] + 1, strides[i]) for i in range(nd)
        )]
        for offset in np.ndindex(*pool_size)
    ])
    reduce = np.nanmax if kind == "max" else np.nanmean
    return reduce(windows, axis=0).astype(F32)


def to_channels_first(x):
    return np.moveaxis(x, -1, 1)


def to_channels_last(x):
    return np.moveaxis(x, 1, -1)


def _run_channels(op, x, data_format, **kwargs):
    """Runs `op` on channels_last NumPy `x` in `data_format`; returns channels_last NumPy."""
    if data_format == "channels_first":
        x = np.ascontiguousarray(to_channels_first(x))
    result = to_numpy(op(B.convert_to_tensor(x), data_format=data_format, **kwargs))
    return to_channels_last(result) if data_format == "channels_first" else result


# Convolutions sum up to ~100 float32 products; backends may use Winograd or
# im2col-by-GEMM orders (oneDNN, XLA, Eigen) whose rounding grows with the sum's
# length, so the absolute tolerance is 1e-4 on outputs of magnitude ~5.
CONV_ATOL = 1e-4

CONV_SHAPES = {  # rank: (input shape channels_last with 4 channels, kernel spatial size)
    1: ((2, 9, 4), (3,)),
    2: ((2, 7, 6, 4), (3, 2)),
    3: ((1, 6, 6, 5, 4), (2, 3, 2)),
}
STRIDE_DILATION = [(1, 1), (2, 1), (1, 2)]  # dilation only with stride 1 (as Keras requires)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides, dilation", STRIDE_DILATION, ids=lambda v: str(v))
@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv(rng, rank, strides, dilation, padding, groups, data_format):
    input_shape, kernel_size = CONV_SHAPES[rank]
    x = uniform(rng, *input_shape, low=-1, high=1)
    kernel = uniform(rng, *kernel_size, input_shape[-1] // groups, 6, low=-1, high=1)
    expected = np_conv(x, kernel, strides, padding, dilation, groups)
    actual = _run_channels(
        lambda t, **kw: B.conv(t, B.convert_to_tensor(kernel), **kw), x, data_format,
        strides=strides, padding=padding, dilation_rate=dilation, groups=groups,
    )
    np.testing.assert_allclose(actual, expected, rtol=FLOAT32_RTOL, atol=CONV_ATOL)


def test_conv_tuple_strides_and_dtype(rng):
    x = uniform(rng, 1, 7, 6, 2, low=-1, high=1)
    kernel = uniform(rng, 3, 3, 2, 3, low=-1, high=1)
    result = B.conv(B.convert_to_tensor(x), B.convert_to_tensor(kernel), strides=(2, 1), padding="same")
    assert B.dtype(result) == "float32"
    assert B.shape(result) == (1, 4, 6, 3)
    assert_close(result, np_conv(x, kernel, (2, 1), "same", 1, 1), atol=CONV_ATOL)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides, dilation", STRIDE_DILATION, ids=lambda v: str(v))
@pytest.mark.parametrize("rank", [1, 2])
def test_depthwise_conv(rng, rank, strides, dilation, padding, data_format):
    input_shape, kernel_size = CONV_SHAPES[rank]
    channels, multiplier = 3, 2
    x = uniform(rng, *input_shape[:-1], channels, low=-1, high=1)
    kernel = uniform(rng, *kernel_size, channels, multiplier, low=-1, high=1)
    # Output channel c * multiplier + m reads input channel c: a grouped conv
    # with one group per input channel.
    expected = np_conv(x, kernel.reshape(*kernel_size, 1, channels * multiplier), strides, padding, dilation, channels)
    actual = _run_channels(
        lambda t, **kw: B.depthwise_conv(t, B.convert_to_tensor(kernel), **kw), x, data_format,
        strides=strides, padding=padding, dilation_rate=dilation,
    )
    np.testing.assert_allclose(actual, expected, rtol=FLOAT32_RTOL, atol=CONV_ATOL)


CONV_TRANSPOSE_SHAPES = {1: ((2, 5, 3), (3,)), 2: ((2, 4, 3, 3), (3, 3))}


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("rank", [1, 2])
def test_conv_transpose(rng, rank, strides, padding, data_format):
    input_shape, kernel_size = CONV_TRANSPOSE_SHAPES[rank]
    x = uniform(rng, *input_shape, low=-1, high=1)
    kernel = uniform(rng, *kernel_size, 4, input_shape[-1], low=-1, high=1)  # (..., out, in)
    expected = np_conv_transpose(x, kernel, strides, padding, None)
    actual = _run_channels(
        lambda t, **kw: B.conv_transpose(t, B.convert_to_tensor(kernel), **kw), x, data_format,
        strides=strides, padding=padding,
    )
    np.testing.assert_allclose(actual, expected, rtol=FLOAT32_RTOL, atol=CONV_ATOL)


@pytest.mark.parametrize("padding, output_padding", [("valid", 1), ("same", 1), ("same", 0)])
def test_conv_transpose_output_padding(rng, padding, output_padding):
    x = uniform(rng, 2, 5, 3, low=-1, high=1)
    kernel = uniform(rng, 3, 4, 3, low=-1, high=1)
    expected = np_conv_transpose(x, kernel, 2, padding, output_padding)
    actual = B.conv_transpose(
        B.convert_to_tensor(x), B.convert_to_tensor(kernel), strides=2, padding=padding, output_padding=output_padding
    )
    assert_close(actual, expected, atol=CONV_ATOL)


POOLS = [  # (rank, input shape channels_last, pool_size, strides)
    (1, (2, 7, 3), 2, None),
    (1, (2, 8, 3), 3, 1),
    (2, (2, 5, 6, 3), (3, 2), (2, 1)),
    (2, (2, 6, 5, 3), 3, 2),
]


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("kind", ["max", "average"])
@pytest.mark.parametrize("rank, input_shape, pool_size, strides", POOLS, ids=[str(p[1:]) for p in POOLS])
def test_pool(rng, kind, rank, input_shape, pool_size, strides, padding, data_format):
    x = uniform(rng, *input_shape)
    expected = np_pool(x, pool_size, strides, padding, kind)
    op = B.max_pool if kind == "max" else B.average_pool
    actual = _run_channels(op, x, data_format, pool_size=pool_size, strides=strides, padding=padding)
    np.testing.assert_allclose(actual, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL)


@pytest.mark.parametrize("op", ["conv", "depthwise_conv"])
def test_conv_rejects_unknown_padding(op):
    x, kernel = B.ones((1, 5, 2)), B.ones((3, 2, 2))
    with pytest.raises(ValueError, match="nonsense"):
        getattr(B, op)(x, kernel, padding="nonsense")


# ----------------------------------------------------------------- dropout


def test_dropout_rate_zero_is_identity(rng):
    x = uniform(rng, 4, 5)
    check_result(B.dropout(B.convert_to_tensor(x), 0.0, seed=draw_seed(SeedGenerator(1))), x)


def test_dropout_keeps_about_half_and_scales(rng):
    x = uniform(rng, 4000, low=0.5, high=1.5)
    result = to_numpy(B.dropout(B.convert_to_tensor(x), 0.5, seed=draw_seed(SeedGenerator(3))))
    kept = result != 0
    # 4000 Bernoulli(0.5): std of the fraction is 0.008; 0.05 is > 6 sigma.
    assert abs(kept.mean() - 0.5) < 0.05
    assert_close(result[kept], 2 * x[kept])


def test_dropout_same_seed_is_reproducible(rng):
    x = B.convert_to_tensor(uniform(rng, 50, 4))
    first = to_numpy(B.dropout(x, 0.5, seed=draw_seed(SeedGenerator(7))))
    second = to_numpy(B.dropout(x, 0.5, seed=draw_seed(SeedGenerator(7))))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(to_numpy(B.dropout(x, 0.5, seed=11)), to_numpy(B.dropout(x, 0.5, seed=11)))
    generator = SeedGenerator(7)
    draw1 = to_numpy(B.dropout(x, 0.5, seed=draw_seed(generator)))
    draw2 = to_numpy(B.dropout(x, 0.5, seed=draw_seed(generator)))
    assert not np.array_equal(draw1, draw2), "a SeedGenerator must advance between calls"


def test_dropout_noise_shape_broadcasts(rng):
    x = uniform(rng, 200, 6, low=0.5, high=1.5)
    result = to_numpy(B.dropout(B.convert_to_tensor(x), 0.5, noise_shape=(200, 1), seed=draw_seed(SeedGenerator(5))))
    kept_rows = result[:, 0] != 0
    assert np.all((result != 0) == kept_rows[:, None]), "a row is kept or dropped as a whole"
    assert 0.3 < kept_rows.mean() < 0.7
    assert_close(result[kept_rows], 2 * x[kept_rows])
    # None entries take x's size.
    result = to_numpy(B.dropout(B.convert_to_tensor(x), 0.5, noise_shape=(None, 1), seed=draw_seed(SeedGenerator(5))))
    assert np.all((result != 0) == (result[:, :1] != 0))


# -------------------------------------------------------------------- scan


def test_scan_sum_carry(rng):
    xs = uniform(rng, 5, 3)

    def step(carry, x):
        total = B.add(carry[0], x)
        return [total], total

    carry, ys = B.scan(step, [B.zeros((3,))], B.convert_to_tensor(xs))
    assert len(carry) == 1
    check_result(carry[0], xs.sum(axis=0))
    check_result(ys, np.cumsum(xs, axis=0))


def test_scan_reverse(rng):
    xs = uniform(rng, 5, 3)

    def step(carry, x):
        total = B.add(carry[0], x)
        return [total], total

    carry, ys = B.scan(step, [B.zeros((3,))], B.convert_to_tensor(xs), reverse=True)
    check_result(carry[0], xs.sum(axis=0))
    # Steps run from the last element; ys keep the positions of their inputs.
    check_result(ys, np.cumsum(xs[::-1], axis=0)[::-1])


def test_scan_list_carry_and_list_ys(rng):
    xs = uniform(rng, 6, 2)

    def step(carry, x):
        total, largest = carry
        total, largest = B.add(total, x), B.maximum(largest, x)
        return [total, largest], [total, B.multiply(x, 2.0)]

    carry, ys = B.scan(step, [B.zeros((2,)), B.full((2,), -10.0)], B.convert_to_tensor(xs))
    assert len(carry) == 2 and len(ys) == 2
    check_result(carry[0], xs.sum(axis=0))
    check_result(carry[1], xs.max(axis=0))
    check_result(ys[0], np.cumsum(xs, axis=0))
    check_result(ys[1], 2 * xs)


def test_scan_list_xs(rng):
    a, b = uniform(rng, 4, 3), uniform(rng, 4, 3)

    def step(carry, x):
        total = B.add(carry[0], B.multiply(x[0], x[1]))
        return [total], total

    carry, ys = B.scan(step, [B.zeros((3,))], [B.convert_to_tensor(a), B.convert_to_tensor(b)])
    check_result(carry[0], (a * b).sum(axis=0))
    check_result(ys, np.cumsum(a * b, axis=0))


# ------------------------------------------------------------------ random


def test_random_uniform():
    values = B.random_uniform((4000,), minval=-1.0, maxval=3.0, dtype="float32", seed=7)
    assert B.shape(values) == (4000,)
    assert B.dtype(values) == "float32"
    values = to_numpy(values)
    assert values.min() >= -1.0 and values.max() < 3.0
    # std of the mean of 4000 U(-1, 3) is 0.018; 0.1 is > 5 sigma.
    assert abs(values.mean() - 1.0) < 0.1
    assert abs(values.std() - 4 / math.sqrt(12)) < 0.1
    shaped = B.random_uniform((2, 3), seed=1)
    assert B.shape(shaped) == (2, 3)


def test_random_normal():
    values = B.random_normal((4000,), mean=3.0, stddev=2.0, dtype="float32", seed=7)
    assert B.shape(values) == (4000,)
    assert B.dtype(values) == "float32"
    values = to_numpy(values)
    # std of the mean is 0.032, of the std about 0.022: both bounds are > 4 sigma.
    assert abs(values.mean() - 3.0) < 0.15
    assert abs(values.std() - 2.0) < 0.15


@pytest.mark.parametrize("op", ["random_uniform", "random_normal"])
def test_random_seeding(op):
    draw = getattr(B, op)
    np.testing.assert_array_equal(to_numpy(draw((20,), seed=42)), to_numpy(draw((20,), seed=42)))
    assert not np.array_equal(to_numpy(draw((20,), seed=42)), to_numpy(draw((20,), seed=43)))
    np.testing.assert_array_equal(
        to_numpy(draw((20,), seed=draw_seed(SeedGenerator(9)))),
        to_numpy(draw((20,), seed=draw_seed(SeedGenerator(9)))),
    )
    generator = SeedGenerator(9)
    first = to_numpy(draw((20,), seed=draw_seed(generator)))
    second = to_numpy(draw((20,), seed=draw_seed(generator)))
    assert not np.array_equal(first, second), "a SeedGenerator must advance between draws"
    # Adapters receive drawn seeds only: kfacade draws from SeedGenerators.
    with pytest.raises(ValueError, match="draw_seed"):
        draw((3,), seed=SeedGenerator(9))


def test_set_global_seed_is_callable():
    B.set_global_seed(123)


# --------------------------------------------------------------- variables


def test_variable_create_and_assign_round_trip(rng):
    value, new_value = uniform(rng, 2, 3), uniform(rng, 2, 3)
    handle = B.variable_create(value, "float32", True, "w")
    assert B.dtype(handle) == "float32"
    assert B.shape(handle) == (2, 3)
    assert_close(handle, value)
    assert_close(B.add(handle, 1.0), value + 1)  # usable directly as a tensor
    handle = B.variable_assign(handle, B.convert_to_tensor(new_value))
    assert_close(handle, new_value)


def test_variable_create_int_non_trainable():
    handle = B.variable_create(np.array([1, 2, 3], np.int32), "int32", False, "step")
    assert B.dtype(handle) == "int32"
    handle = B.variable_assign(handle, B.convert_to_tensor(np.array([4, 5, 6], np.int32)))
    np.testing.assert_array_equal(B.convert_to_numpy(handle), [4, 5, 6])


def test_kfacade_variable_round_trip(rng):
    value, new_value = uniform(rng, 3), uniform(rng, 3)
    v = kfacade.Variable(value, name="v")
    assert v.shape == (3,) and v.dtype == "float32"
    assert_close(v.numpy(), value)
    v.assign(B.convert_to_tensor(new_value))
    assert_close(v.numpy(), new_value)
    v.assign_add(np.ones(3, F32))
    assert_close(v.numpy(), new_value + 1)


# ---------------------------------------------------------------- autodiff


def test_value_and_grad_of_quadratic(rng):
    value = uniform(rng, 3, 2)
    w = kfacade.Variable(value, name="w")

    def fn():
        return B.sum(B.multiply(w.value, w.value)), B.mean(w.value)

    (loss, aux), grads = B.value_and_grad(fn, [w])
    assert_close(loss, np.sum(value * value), rtol=1e-5)
    assert_close(aux, value.mean())
    assert len(grads) == 1
    check_result(grads[0], 2 * value)


def test_value_and_grad_two_variables_and_stop_gradient(rng):
    a, b = uniform(rng, 4), uniform(rng, 4)
    va, vb = kfacade.Variable(a, name="a"), kfacade.Variable(b, name="b")

    def fn():
        loss = B.add(B.sum(B.multiply(va.value, vb.value)), B.sum(B.multiply(B.stop_gradient(va.value), va.value)))
        return loss, None

    (loss, _), grads = B.value_and_grad(fn, [va, vb])
    assert_close(loss, np.sum(a * b) + np.sum(a * a))
    check_result(grads[0], b + a)  # d/da of sum(sg(a) * a) is a, not 2a
    check_result(grads[1], a)


def test_value_and_grad_unused_variable_gets_zeros(rng):
    """A variable the loss does not read gets a zero gradient of its shape."""
    a = uniform(rng, 3)
    va, unused = kfacade.Variable(a, name="a"), kfacade.Variable(uniform(rng, 2), name="unused")

    (loss, _), grads = B.value_and_grad(lambda: (B.sum(B.multiply(va.value, 3.0)), None), [va, unused])
    assert_close(loss, np.sum(a * 3.0))
    check_result(grads[0], np.full(3, 3.0, F32))
    check_result(grads[1], np.zeros(2, F32))


def test_compile_function_updates_variables():
    w = kfacade.Variable(np.zeros(2, F32), name="w")

    def fn(data):
        total = B.sum(data)
        w.assign(B.add(w.value, total))
        return {"s": total}

    step = B.compile_function(fn, [w], False)
    expected = 0.0
    for k in (1.0, 2.0, 3.0):
        logs = step(B.convert_to_tensor(np.full((4,), k, F32)))
        expected += 4 * k
        assert set(logs) == {"s"}
        assert_close(logs["s"], 4 * k)
        assert_close(w.numpy(), np.full(2, expected, F32))
    assert_close(w.numpy(), np.full(2, 24.0, F32))


def test_compile_function_reads_unassigned_variables_afresh_and_stores_late_assignments():
    """A variable the step only reads (JAX passes it undonated and does not
    return it) keeps its array and is read afresh each call; one that only a
    later trace (a new batch shape) assigns still gets its new value."""
    scale = kfacade.Variable(np.float32(2.0), name="scale")
    w = kfacade.Variable(np.zeros(2, F32), name="w")
    odd = kfacade.Variable(np.float32(0.0), name="odd")

    def fn(data):
        total = B.multiply(B.sum(data), scale.value)
        w.assign(B.add(w.value, total))
        if B.shape(data)[0] == 3:  # static: traced again for the new shape
            odd.assign(B.add(odd.value, 1.0))
        return {"s": total}

    step = B.compile_function(fn, [scale, w, odd], False)
    scale_before = scale.value
    step(B.convert_to_tensor(np.ones(4, F32)))
    assert_close(np.asarray(B.convert_to_numpy(scale_before)), 2.0)  # not donated away
    scale.assign(3.0)
    step(B.convert_to_tensor(np.ones(4, F32)))
    assert_close(w.numpy(), np.full(2, 8.0 + 12.0, F32))
    for _ in range(2):
        step(B.convert_to_tensor(np.ones(3, F32)))
    step(B.convert_to_tensor(np.ones(4, F32)))
    assert_close(odd.numpy(), 2.0)
    assert_close(scale.numpy(), 3.0)
    assert_close(w.numpy(), np.full(2, 20.0 + 9.0 + 9.0 + 12.0, F32))


# ----------------------------------------------------------------- devices



def test_compile_function_with_variables_holding_one_array():
    """``b.assign(a.value)`` leaves two variables holding one array (JAX stores
    the value as it is). A step that updates both, or updates one and only
    reads the other (a frozen copy of a trained weight), still runs each
    time, and the variable it only reads keeps its value: the buffer a JAX
    step donates is never one another variable holds."""
    a = kfacade.Variable(np.ones(2, F32), name="a")
    b = kfacade.Variable(np.zeros(2, F32), name="b")
    frozen = kfacade.Variable(np.zeros(2, F32), name="frozen")

    def fn(data):
        a.assign(B.add(a.value, data))
        b.assign(B.multiply(b.value, 2.0))
        return {"s": B.sum(frozen.value)}

    step = B.compile_function(fn, [a, b, frozen], False)
    one = B.convert_to_tensor(np.ones(2, F32))
    step(one)  # a = 2, b = 0
    b.assign(a.value)
    frozen.assign(a.value)
    for _ in range(2):
        logs = step(one)
        assert_close(logs["s"], 4.0)
    assert_close(a.numpy(), np.full(2, 4.0, F32))
    assert_close(b.numpy(), np.full(2, 8.0, F32))
    assert_close(frozen.numpy(), np.full(2, 2.0, F32))
    frozen.assign(b.value)  # shared again after steps have run
    step(one)
    assert_close(frozen.numpy(), np.full(2, 8.0, F32))
    assert_close(b.numpy(), np.full(2, 16.0, F32))


def test_compile_function_leaves_arrays_held_outside_its_variables():
    """A variable outside the step holding a stepped variable's array (a
    target network's ``target.assign(online)``) keeps its value after the
    steps, and an array the caller read before the first step stays readable
    (JAX would delete it with the buffer it donates; on torch and TF it is
    the live variable)."""
    w = kfacade.Variable(np.ones(2, F32), name="w")
    target = kfacade.Variable(np.zeros(2, F32), name="target")  # not in the step

    def fn(data):
        w.assign(B.add(w.value, data))
        return {"s": B.sum(w.value)}

    step = B.compile_function(fn, [w], False)
    one = B.convert_to_tensor(np.ones(2, F32))
    read_before = w.value
    step(one)
    target.assign(w)  # w is 2
    for _ in range(2):
        step(one)
    assert_close(w.numpy(), np.full(2, 4.0, F32))
    assert_close(target.numpy(), np.full(2, 2.0, F32))
    assert np.asarray(B.convert_to_numpy(read_before)).shape == (2,)

def test_device_scope_cpu():
    with B.device_scope("cpu:0"):
        x = B.convert_to_tensor(np.ones(3, F32))
        v = kfacade.Variable(np.full(3, 2.0, F32), name="on_cpu")
        y = B.add(x, v.value)
    assert_close(y, np.full(3, 3.0, F32))
    # A variable created under the scope is still trainable.
    (loss, _), grads = B.value_and_grad(lambda: (B.sum(B.square(v.value)), None), [v])
    assert_close(loss, 12.0)
    assert_close(grads[0], np.full(3, 4.0, F32))


def test_list_devices_includes_cpu():
    assert "cpu:0" in B.list_devices()
    assert "cpu:0" in B.list_devices("cpu")
