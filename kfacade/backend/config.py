"""Global numeric settings: floatx, epsilon, image_data_format.

Initial values come from keras.json when present (as in Keras); setters
change them for this process only and write nothing to disk.
"""
from kfacade.backend.registry import read_keras_json

_settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
_settings.update({k: v for k, v in read_keras_json().items() if k in _settings})


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
