"""``ops.lu_factor`` against ``scipy.linalg.lu_factor``: one pivot format on
every backend (LAPACK's 0-based row interchanges, int32), and ``P @ L @ U``
gives back the input. Runs on the active backend (``KERAS_BACKEND``).
"""
import numpy as np
import pytest
import scipy.linalg

import kfacade
from kfacade import ops
from kfacade.backend import adapter as B

try:
    from tests.helpers import assert_close
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import assert_close

RNG = np.random.default_rng(7)
# Random Gaussian matrices need row interchanges at almost every step.
BATCH = RNG.standard_normal((2, 3, 5, 5)).astype(np.float32)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _scipy_lu_factor(x):
    """scipy's (lu, pivots) for each matrix of `x`, on float64 copies of its values."""
    lu, pivots = np.empty(x.shape), np.empty(x.shape[:-1], np.int64)
    for index in np.ndindex(*x.shape[:-2]):
        lu[index], pivots[index] = scipy.linalg.lu_factor(x[index].astype(np.float64))
    return lu, pivots


def _reconstruct(lu, pivots):
    """P @ L @ U from the packed factors: L @ U with the interchanges undone, last first."""
    n = lu.shape[-1]
    lower = np.tril(lu, -1) + np.eye(n)
    product = lower @ np.triu(lu)
    for index in np.ndindex(*lu.shape[:-2]):
        for i in reversed(range(n)):
            j = pivots[index][i]
            product[index][[i, j]] = product[index][[j, i]]
    return product


def test_lu_factor_matches_scipy_batched_and_single():
    lu, pivots = ops.lu_factor(BATCH)
    assert ops.dtype(lu) == "float32" and ops.dtype(pivots) == "int32"
    assert tuple(ops.shape(lu)) == (2, 3, 5, 5) and tuple(ops.shape(pivots)) == (2, 3, 5)
    expected_lu, expected_pivots = _scipy_lu_factor(BATCH)
    np.testing.assert_array_equal(_np(pivots), expected_pivots)
    assert_close(lu, expected_lu, rtol=1e-4, atol=1e-5)
    assert_close(_reconstruct(_np(lu), _np(pivots)), BATCH, rtol=1e-4, atol=1e-5)

    single_lu, single_pivots = ops.lu_factor(BATCH[1, 2])
    np.testing.assert_array_equal(_np(single_pivots), expected_pivots[1, 2])
    assert_close(single_lu, expected_lu[1, 2], rtol=1e-4, atol=1e-5)


def test_lu_factor_of_integers_computes_in_floatx():
    x = np.array([[1, 2, 0], [4, 5, 6], [7, 8, 10]], np.int32)
    lu, pivots = ops.lu_factor(x)
    assert ops.dtype(lu) == kfacade.config.floatx()
    expected_lu, expected_pivots = scipy.linalg.lu_factor(x.astype(np.float64))
    np.testing.assert_array_equal(_np(pivots), expected_pivots)
    assert_close(lu, expected_lu)


def test_lu_factor_inside_a_compiled_function():
    step = B.compile_function(lambda x: dict(zip(("lu", "pivots"), ops.lu_factor(x))), [], False)
    logs = step(B.convert_to_tensor(BATCH[0]))
    expected_lu, expected_pivots = _scipy_lu_factor(BATCH[0])
    np.testing.assert_array_equal(_np(logs["pivots"]), expected_pivots)
    assert_close(logs["lu"], expected_lu, rtol=1e-4, atol=1e-5)


@pytest.mark.filterwarnings("ignore::scipy.linalg.LinAlgWarning")  # scipy's "Singular matrix"
def test_lu_factor_of_a_singular_matrix():
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], np.float32)
    if kfacade.backend.backend() == "tensorflow":
        # TF's CPU kernel refuses it (documented in the contract).
        with pytest.raises(Exception, match="not invertible"):
            ops.lu_factor(singular)
        return
    lu, pivots = ops.lu_factor(singular)
    expected_lu, expected_pivots = scipy.linalg.lu_factor(singular.astype(np.float64))
    np.testing.assert_array_equal(_np(pivots), expected_pivots)
    assert_close(lu, expected_lu)
    assert _np(lu)[2, 2] == 0.0


def test_lu_factor_symbolic_outputs_and_bad_shapes():
    lu, pivots = ops.lu_factor(kfacade.KerasTensor((None, 4, 4)))
    assert lu.shape == (None, 4, 4) and lu.dtype == "float32"
    assert pivots.shape == (None, 4) and pivots.dtype == "int32"
    with pytest.raises(ValueError, match=r"square matrices.*shape=\(3, 4\)"):
        ops.lu_factor(np.ones((3, 4), np.float32))
    with pytest.raises(ValueError, match=r"square matrices.*shape=\(None, 2, 3\)"):
        ops.lu_factor(kfacade.KerasTensor((None, 2, 3)))
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.lu_factor(np.ones((3,), np.float32))
