"""Shared test helpers: the NumPy-reference comparison every conformance test uses."""
import numpy as np

import kfacade

#: float32 tolerance every forward conformance check uses against NumPy.
FLOAT32_RTOL = 1e-5
FLOAT32_ATOL = 1e-5


def assert_close(actual, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL, err_msg=""):
    """Compares a backend result (tensor, Variable or array) with a NumPy reference."""
    actual = kfacade.backend.adapter.convert_to_numpy(actual) if not isinstance(actual, np.ndarray) else actual
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=err_msg)
