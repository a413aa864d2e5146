"""Automatic names: "dense", "dense_1", ... (Keras 3's rule).

Layers, losses, metrics and ``kfacade.Function``s take their default names
from one set of counters, kept here at the engine's floor so that a
``Function`` (which is not a layer) is named like everything else, and
``clear_session`` resets them all.
"""
import re
import threading
from collections import defaultdict

_name_counts = defaultdict(int)
_name_lock = threading.Lock()


def to_snake_case(name):
    """"MyLayer" -> "my_layer", as Keras names layers."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return "_private" + name[1:] if name[0] == "_" else name


def unique_name(base):
    """`base` the first time, then `base_1`, `base_2`, ... (Keras 3's rule).

    The counters are shared by all threads, under a lock: a name is unique
    in the process, whichever thread (a PyDataset worker) made the object.
    """
    with _name_lock:
        count = _name_counts[base]
        _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def reset_names():
    """Forgets every name given so far (``keras.backend.clear_session``)."""
    with _name_lock:
        _name_counts.clear()
