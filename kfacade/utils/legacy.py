"""`keras.utils.legacy`: Keras 2's ``serialize_keras_object`` / ``deserialize_keras_object``.

They write and read ``tf.keras`` 2.x's ``{"class_name", "config"}`` dicts (no
``module`` or ``registered_name``); the Keras 3 form is
``kfacade.utils.serialize_keras_object``. The code is a Keras 2 shim, on the
top floor in ``kfacade/legacy/serialization.py``.
"""
from kfacade.legacy.serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["deserialize_keras_object", "serialize_keras_object"]
