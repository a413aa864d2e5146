"""``kfacade.device``: the Keras 3 device scope, mapped to the backend's own."""
from kfacade.backend.active import adapter as _B
from kfacade.engine.call_context import local as _call_state


class _DeviceScope:
    """The adapter's scope for `name`, which also names itself to symbolic
    calls made inside it (their nodes record it; see ``Node.device``)."""

    __slots__ = ("name", "_scope", "_outer")

    def __init__(self, name):
        self.name = name
        self._scope = _B.device_scope(name)

    def __enter__(self):
        self._scope.__enter__()
        self._outer = _call_state.device
        _call_state.device = self.name
        return self

    def __exit__(self, *exc_info):
        _call_state.device = self._outer
        return self._scope.__exit__(*exc_info)


def device(device_name):
    """A context manager placing new tensors and variables on `device_name`,
    and running the operations called inside it there.

    Ops called under it run on that device, an input on another device
    copied there (on JAX, except an array committed with
    ``jax.device_put(x, device)``: JAX computes where committed arrays are).
    A layer called on symbolic inputs under a scope (building a functional
    model) runs under that scope again whenever the model runs: the Keras 2
    device-parallel model puts each branch on its own GPU that way
    (``examples/device_parallel.py``).

    Args:
        device_name: "cpu", "cpu:0", "gpu:0", ... (Keras's names).

    Example:
        >>> with kfacade.device("cpu:0"):
        ...     model = build_model()
    """
    return _DeviceScope(device_name)
