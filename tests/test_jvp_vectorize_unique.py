"""``ops.jvp``, ``ops.vectorize``, ``ops.unique`` and ``ops.nonzero`` against
analytic derivatives, finite differences and NumPy."""
import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade.backend import adapter as B

try:
    from tests.helpers import assert_close
except ImportError:  # run from tests/
    from helpers import assert_close

F32 = "float32"
TRACING_BACKENDS = ("jax", "tensorflow")  # their compile_function traces the step


def _np(x):
    return ops.convert_to_numpy(x)


# ---------------------------------------------------------------- jvp


def _f(a, b):
    return ops.sin(a) * b + ops.square(a)


def test_jvp_matches_analytic_finite_differences_and_vjp():
    rng = np.random.default_rng(0)
    a, b, ta, tb = (rng.normal(size=3).astype(F32) for _ in range(4))
    out, tangent = ops.jvp(_f, (a, b), (ta, tb))
    assert_close(_np(out), np.sin(a) * b + a * a, atol=1e-5)
    analytic = (np.cos(a) * b + 2 * a) * ta + np.sin(a) * tb
    assert_close(_np(tangent), analytic, atol=1e-5)
    eps = 1e-3
    a64, b64 = a.astype("float64"), b.astype("float64")
    ref = lambda s: np.sin(a64 + s * ta) * (b64 + s * tb) + (a64 + s * ta) ** 2
    assert_close(_np(tangent), (ref(eps) - ref(-eps)) / (2 * eps), atol=1e-3)
    # <u, J t> equals <J^T u, t>, the gradient of the vjp side.
    u = rng.normal(size=3).astype(F32)
    va, vb = kfacade.Variable(a, name="a"), kfacade.Variable(b, name="b")
    _, (ga, gb) = B.value_and_grad(lambda: (B.sum(B.multiply(_f(va.value, vb.value), u)), None),
                                   [va, vb])
    assert_close(np.sum(u * _np(tangent)), np.sum(_np(ga) * ta + _np(gb) * tb), atol=1e-4)


def test_jvp_has_aux_nested_outputs_and_errors():
    x = np.array([1.0, 2.0], F32)
    out, tangent, aux = ops.jvp(lambda v: ({"y": v * v, "c": ops.ones((2,))}, v + 1), (x,),
                                (np.ones(2, F32),), has_aux=True)
    assert_close(_np(tangent["y"]), 2 * x)
    assert_close(_np(tangent["c"]), np.zeros(2, F32))  # no dependence: zero tangent
    assert_close(_np(aux), x + 1)
    with pytest.raises(ValueError, match="same tree structure"):
        ops.jvp(lambda v: v, (x,), (x, x))
    with pytest.raises(ValueError, match="shapes"):
        ops.jvp(lambda v: v, (x,), (np.ones(3, F32),))
    with pytest.raises(TypeError, match="tuples or lists"):
        ops.jvp(lambda v: v, x, x)


# ------------------------------------------------------------ vectorize


@pytest.mark.parametrize("signature, shapes, fn", [
    (None, [(2, 1), (3,)], lambda a, b: a * b + 1.0),
    ("(n),(n)->()", [(4, 3), (3,)], lambda a, b: ops.sum(a * b)),
    ("(m,n),(n)->(m)", [(2, 1, 3, 4), (5, 4)], lambda a, b: ops.matmul(a, b)),
    ("(n)->(),(n)", [(2, 3)], lambda a: (ops.max(a), a * 2.0)),
])
def test_vectorize_matches_numpy(signature, shapes, fn):
    rng = np.random.default_rng(1)
    args = [rng.normal(size=s).astype(F32) for s in shapes]
    np_fn = {None: lambda a, b: a * b + 1.0, "(n),(n)->()": lambda a, b: np.sum(a * b),
             "(m,n),(n)->(m)": lambda a, b: a @ b,
             "(n)->(),(n)": lambda a: (np.max(a), a * 2.0)}[signature]
    expected = np.vectorize(np_fn, signature=signature)(*args)
    got = ops.vectorize(fn, signature=signature)(*args)
    for g, e in zip(got if isinstance(got, tuple) else (got,),
                    expected if isinstance(expected, tuple) else (expected,)):
        assert _np(g).shape == e.shape
        assert_close(_np(g), e, atol=1e-5)


def test_vectorize_excluded_and_errors():
    x = np.arange(6, dtype=F32).reshape(2, 3)
    scaled = ops.vectorize(lambda a, p: ops.sum(a) * p, excluded={1}, signature="(n)->()")
    assert_close(_np(scaled(x, 2.0)), np.sum(x, axis=1) * 2.0)
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        ops.vectorize(lambda a: a, signature="(n->()")
    with pytest.raises(ValueError, match="does not match core dimensions"):
        ops.vectorize(lambda a: a, signature="(n)->()")(x)
    with pytest.raises(ValueError, match="inconsistent size for core dimension 'n'"):
        ops.vectorize(lambda a, b: a + b, signature="(n),(n)->(n)")(x, np.ones(4, F32))
    with pytest.raises(TypeError, match="wrong number of positional arguments"):
        ops.vectorize(lambda a: a, signature="(n)->(n)")(x, x)


# --------------------------------------------------------- unique, nonzero

X = np.array([[3, 1, 3], [2, 1, 3], [3, 1, 3], [0, 5, 0]], "int32")


@pytest.mark.parametrize("axis", [None, 0])
@pytest.mark.parametrize("flags", [(False, False, False), (True, True, True)])
def test_unique_matches_numpy(axis, flags):
    index, inverse, counts = flags
    expected = np.unique(X, return_index=index, return_inverse=inverse, return_counts=counts,
                         axis=axis)
    got = ops.unique(X, return_index=index, return_inverse=inverse, return_counts=counts,
                     axis=axis)
    expected = expected if isinstance(expected, tuple) else (expected,)
    got = got if isinstance(got, tuple) else (got,)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(_np(g), e)


def test_unique_axis_1_and_floats():
    x = X[:2, :2]
    values, inverse = ops.unique(x, axis=1, return_inverse=True)
    e_values, e_inverse = np.unique(x, axis=1, return_inverse=True)
    np.testing.assert_array_equal(_np(values), e_values)
    np.testing.assert_array_equal(_np(inverse), e_inverse)
    f = np.array([0.5, -1.0, 0.5, 2.0], F32)
    np.testing.assert_array_equal(_np(ops.unique(f)), np.unique(f))


def test_unique_fixed_size_pads_and_truncates():
    flat = X.reshape(-1)
    uniq, first, counts = np.unique(flat, return_index=True, return_counts=True)
    values, index, inverse, cnt = ops.unique(X, size=7, fill_value=-1, return_index=True,
                                             return_inverse=True, return_counts=True)
    pad = 7 - len(uniq)
    np.testing.assert_array_equal(_np(values), np.concatenate([uniq, [-1] * pad]))
    np.testing.assert_array_equal(_np(index), np.concatenate([first, [first[0]] * pad]))
    np.testing.assert_array_equal(_np(cnt), np.concatenate([counts, [0] * pad]))
    np.testing.assert_array_equal(_np(inverse), np.unique(X, return_inverse=True)[1])
    np.testing.assert_array_equal(_np(ops.unique(X, size=2)), uniq[:2])
    np.testing.assert_array_equal(_np(ops.unique(X, size=3, axis=0)), np.unique(X, axis=0)[:3])


def test_unique_fixed_size_in_a_compiled_function_and_the_size_error():
    def fixed(x):
        values, counts = ops.unique(x, size=6, return_counts=True)
        return {"values": values, "counts": counts}

    step = B.compile_function(fixed, [], False)
    for batch in (X, X[::-1] * 2):
        logs = step(B.convert_to_tensor(batch))
        uniq, counts = np.unique(batch, return_counts=True)
        pad = 6 - len(uniq)
        np.testing.assert_array_equal(_np(logs["values"]), np.concatenate([uniq, [0] * pad]))
        np.testing.assert_array_equal(_np(logs["counts"]), np.concatenate([counts, [0] * pad]))

    unsized = B.compile_function(lambda x: {"v": ops.unique(x)}, [], False)
    if kfacade.backend.backend() in TRACING_BACKENDS:
        with pytest.raises(ValueError, match="size="):
            unsized(B.convert_to_tensor(X))
    else:  # torch's step runs eagerly: the values are known
        np.testing.assert_array_equal(_np(unsized(B.convert_to_tensor(X))["v"]), np.unique(X))
    with pytest.raises(ValueError, match="size"):
        ops.unique(kfacade.KerasTensor((None, 3), "int32"))
    with pytest.raises(ValueError, match="non-negative int"):
        ops.unique(X, size=-1)


def test_nonzero_matches_numpy():
    for x in (X, np.array([0.0, 1.5, 0.0, -2.0], F32), np.array([[True, False], [False, True]])):
        got = ops.nonzero(x)
        expected = np.nonzero(x)
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            assert ops.dtype(g) == "int32"
            np.testing.assert_array_equal(_np(g), e)
    with pytest.raises(ValueError, match="0d"):
        ops.nonzero(np.array(1.0))
