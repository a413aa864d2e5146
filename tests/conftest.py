"""Test set-up: one backend per process, pinned threads, seeded NumPy.

``KERAS_BACKEND=torch pytest`` runs the suite on torch; ``python
tests/run_all_backends.py`` runs it once per installed backend. Threads are
pinned to 1 so that framework thread pools do not fight on small CI
machines (results below hold for any thread count).
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import kfacade  # noqa: E402

BACKEND = kfacade.backend.backend()


def _pin_framework_threads():
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _full_float32_precision():
    """GPUs compute float32 convolutions and matmuls in TF32 by default (torch's
    cuDNN convolutions, JAX's dots on Ampere and later): about 1e-3 relative
    error. The NumPy references are float32-exact, so the suite asks for full
    float32 precision; kfacade leaves the frameworks' defaults alone for users."""
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
    if "jax" in sys.modules:
        sys.modules["jax"].config.update("jax_default_matmul_precision", "highest")


_pin_framework_threads()
_full_float32_precision()


@pytest.fixture
def rng():
    """A NumPy generator seeded per test."""
    return np.random.default_rng(1234)
