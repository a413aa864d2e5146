"""The active adapter: the module that implements ``kfacade/backend/contract.py``
for the selected backend, loaded once when kfacade is imported.

A leaf module: everything in kfacade that runs a tensor op imports `adapter`
from here, and this module imports only the registry.
"""
from kfacade.backend import registry

#: The adapter module implementing kfacade/backend/contract.py.
adapter = registry.load_backend(registry.selected_backend_name())


def backend():
    """The name of the active backend: "tensorflow", "torch" or "jax"."""
    return adapter.name
