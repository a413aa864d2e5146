"""Shared test helpers: the NumPy-reference comparison every conformance test uses."""
import numpy as np

import kfacade

#: float32 tolerance every forward conformance check uses against NumPy.
FLOAT32_RTOL = 1e-5
FLOAT32_ATOL = 1e-5


def assert_close(actual, expected, rtol=FLOAT32_RTOL, atol=FLOAT32_ATOL, err_msg=""):
    """Compares a backend result (tensor, Variable or array) with a NumPy reference."""
    actual, expected = (
        value if isinstance(value, (np.ndarray, float, int)) else kfacade.ops.convert_to_numpy(value)
        for value in (actual, expected)
    )
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=err_msg)
