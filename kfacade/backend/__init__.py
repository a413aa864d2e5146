"""The active backend: which adapter runs every tensor op, chosen at import.

``backend()`` names it. The Keras 2 backend functions (``K.dot``,
``K.epsilon``, ``K.function``, ...) are re-exported here, so that
``from kfacade import backend as K`` works as it did in Keras 2.
"""
from kfacade.backend import registry
from kfacade.backend.config import (
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)
from kfacade.backend.dtypes import standardize_dtype

#: The adapter module implementing kfacade/backend/contract.py.
adapter = registry.load_backend(registry.selected_backend_name())


def backend():
    """The name of the active backend: "tensorflow", "torch" or "jax"."""
    return adapter.name


from kfacade.backend.keras2 import *  # noqa: E402,F401,F403  (needs `adapter`)
