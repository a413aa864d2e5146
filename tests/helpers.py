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


def requires_adapter_hook(hook):
    """A skip mark for a test that compares the active adapter's optional
    `hook` (``kfacade.backend.contract.OPTIONAL_HOOKS``: fused_optimizer_update,
    lstm, gru, fused_batch_normalization, ...) with kfacade's generic path.
    Without the hook both runs take the generic path and the comparison would
    hold trivially, so the test is skipped; the reason names the hook, and
    where the hook exists the test runs.
    """
    import pytest

    from kfacade.backend import adapter

    return pytest.mark.skipif(getattr(adapter, hook, None) is None,
                              reason=f"adapter {adapter.name!r} defines no {hook} hook")
