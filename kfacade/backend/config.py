"""Global settings: floatx, epsilon, image_data_format, fused attention, debugging caps.

Initial values come from keras.json when present (as in Keras); setters
change them for this process only and write nothing to disk.
"""
import os

from kfacade.backend.registry import read_keras_json

_settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
_settings.update({k: v for k, v in read_keras_json().items() if k in _settings})
#: None: fused attention kernels are used where they apply; False: never.
_settings["flash_attention"] = None


def _limit_from_environment(variable):
    value = os.environ.get(variable)
    return int(value) if value else None


#: Debugging caps on fit's epochs and every loop's steps per epoch (None: no cap).
_settings["max_epochs"] = _limit_from_environment("KERAS_MAX_EPOCHS")
_settings["max_steps_per_epoch"] = _limit_from_environment("KERAS_MAX_STEPS_PER_EPOCH")


def floatx():
    """The default float dtype name, "float32" unless configured."""
    return _settings["floatx"]


def set_floatx(value):
    """Sets the default float dtype ("float16", "bfloat16", "float32", "float64")."""
    if value not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"Unknown floatx: Received: {value!r}; expected one of "
            f"'float16', 'bfloat16', 'float32', 'float64'."
        )
    _settings["floatx"] = str(value)


def epsilon():
    """The fuzz factor used to avoid division by zero, 1e-7 unless configured."""
    return _settings["epsilon"]


def set_epsilon(value):
    """Sets the fuzz factor."""
    _settings["epsilon"] = float(value)


def image_data_format():
    """"channels_last" unless configured."""
    return _settings["image_data_format"]


def set_image_data_format(value):
    """Sets the default data format of image layers."""
    value = str(value).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Unknown data_format: Received: {value!r}; expected one of "
            f"'channels_last', 'channels_first'."
        )
    _settings["image_data_format"] = value


def enable_flash_attention():
    """Lets ``ops.dot_product_attention`` use the framework's fused attention
    kernel where the inputs allow it (the default)."""
    _settings["flash_attention"] = None


def disable_flash_attention():
    """Makes ``ops.dot_product_attention`` compute attention from its parts."""
    _settings["flash_attention"] = False


def is_flash_attention_enabled():
    """None (fused attention where it applies, Keras's default) or False."""
    return _settings["flash_attention"]


def set_max_epochs(max_epochs):
    """Caps the epochs of every ``fit`` at `max_epochs` (None: no cap), for
    quick debugging runs; also read from ``KERAS_MAX_EPOCHS`` at import."""
    _settings["max_epochs"] = None if max_epochs is None else int(max_epochs)


def max_epochs():
    """The cap on ``fit``'s epochs, or None."""
    return _settings["max_epochs"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the steps of each epoch of ``fit``, ``evaluate`` and ``predict``
    (None: no cap); also read from ``KERAS_MAX_STEPS_PER_EPOCH`` at import."""
    _settings["max_steps_per_epoch"] = None if max_steps_per_epoch is None else int(max_steps_per_epoch)


def max_steps_per_epoch():
    """The cap on the steps of each epoch, or None."""
    return _settings["max_steps_per_epoch"]


def standardize_data_format(data_format):
    """`data_format`, or the configured default when None, validated."""
    if data_format is None:
        return image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Invalid data_format. Received: data_format={data_format!r}; "
            f"expected one of 'channels_last', 'channels_first'."
        )
    return value
