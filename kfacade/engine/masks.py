"""Keras masks carried by tensors: ``get_keras_mask`` / ``set_keras_mask``.

As in Keras 3, a tensor's mask travels with it, so layers called eagerly (a
subclassed model, a nested model) pass masks on and a loss finds its
prediction's mask. The mask is the tensor's ``_keras_mask`` attribute where
the tensor type accepts one (torch, TensorFlow, JAX arrays, KerasTensors);
JAX's tracers refuse attributes, so theirs live in a side table keyed by
identity, each entry removed when its tensor is collected (never handed to
a later tensor that reuses the id).
"""
import threading
import weakref

_ATTRIBUTE = "_keras_mask"
_side_table = {}  # id(tensor) -> (weakref to tensor, mask)
_lock = threading.Lock()


def set_keras_mask(x, mask):
    """Attaches `mask` (or None, which removes it) to tensor `x`."""
    try:
        setattr(x, _ATTRIBUTE, mask)
        return
    except AttributeError:
        pass
    key = id(x)
    with _lock:
        if mask is None:
            _side_table.pop(key, None)
            return
        try:
            ref = weakref.ref(x, lambda _, key=key: _side_table.pop(key, None))
        except TypeError:  # neither attributes nor weak references: cannot carry a mask
            return
        _side_table[key] = (ref, mask)


def get_keras_mask(x):
    """The mask attached to `x`, or None."""
    mask = getattr(x, _ATTRIBUTE, None)
    if mask is not None or not _side_table:
        return mask
    entry = _side_table.get(id(x))
    if entry is not None and entry[0]() is x:
        return entry[1]
    return None
