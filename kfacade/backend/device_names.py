"""Device names: the one set of spellings every adapter accepts.

``kfacade.device(name)`` and each adapter's ``device_scope`` parse a name
here into ``(kind, index)``; the adapter only maps that pair onto its
framework (``tf.device("/GPU:1")``, ``torch.device("cuda", 1)``,
``jax.devices("gpu")[1]``) and says when the machine lacks the device.
Floor 0: no framework, nothing of kfacade above ``kfacade.backend``.
"""
import re

__all__ = ["ACCEPTED_FORMS", "parse_device_name"]

#: The spellings accepted (case-insensitive), as listed in the error message.
ACCEPTED_FORMS = ("cpu", "cpu:0", "gpu:1", "cuda:0", "/gpu:0", "/device:GPU:0", "tpu:0")

# An optional "/" or "/device:" prefix, a kind, an optional ":<index>".
_NAME = re.compile(r"(?:/(?:device:)?)?(cpu|gpu|cuda|tpu)(?::(\d+))?")
_KINDS = {"cpu": "cpu", "gpu": "gpu", "cuda": "gpu", "tpu": "tpu"}


def parse_device_name(device_name):
    """``(kind, index)`` for a device name: kind is "cpu", "gpu" or "tpu".

    "cuda" is read as "gpu"; a missing index is 0. Whether the machine has
    that device is for the adapter to say.

    Raises:
        ValueError: `device_name` is not a string of an accepted form; the
            message echoes it and lists the accepted forms.

    Example:
        >>> parse_device_name("/device:GPU:1")
        ('gpu', 1)
    """
    match = _NAME.fullmatch(device_name.strip().lower()) if isinstance(device_name, str) else None
    if match is None:
        forms = ", ".join(repr(form) for form in ACCEPTED_FORMS)
        raise ValueError(
            f"Invalid device name. Received: device_name={device_name!r}; expected a string "
            f"of one of the forms {forms} (case-insensitive; the index defaults to 0)."
        )
    return _KINDS[match[1]], int(match[2] or 0)
