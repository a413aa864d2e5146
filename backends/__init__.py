"""The built-in backend adapters, installed as `kfacade.backends`.

Each sub-package implements the contract in `kfacade/backend/contract.py`
and is registered through the `kfacade.backends` entry-point group, the
same way a third-party adapter joins.
"""
if __name__ != "kfacade.backends":
    # Run from the repository root, `import backends.torch` would load a
    # second copy of an adapter beside `kfacade.backends.torch`, with its own
    # module state. Refuse it rather than let two registries exist.
    raise ImportError(
        f"The kfacade adapters must be imported as 'kfacade.backends', not "
        f"as {__name__!r}. Install the project (pip install -e .) and "
        f"`import kfacade`."
    )
