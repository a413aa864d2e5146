"""``kfacade.device``: the Keras 3 device scope, mapped to the backend's own."""
from kfacade.backend.active import adapter as _B


def device(device_name):
    """A context manager placing new tensors and variables on `device_name`.

    Args:
        device_name: "cpu", "cpu:0", "gpu:0", ... (Keras's names).

    Example:
        >>> with kfacade.device("cpu:0"):
        ...     model = build_model()
    """
    return _B.device_scope(device_name)
