"""`Config`: Keras 3's `keras.utils.Config`, a dict with attribute access that can be frozen."""
import copy
import difflib
import json

__all__ = ["Config"]


class Config:
    """A dict-like container of named values, read and set as attributes or items.

    It can be frozen (`freeze()`) so that later code cannot change it, and
    written as JSON (`to_json()`). Iterating gives the keys in sorted order.

    Example:

    >>> config = Config(learning_rate=0.1, momentum=0.9)
    >>> config.seed = 123
    >>> config["learning_rate"], config.seed
    (0.1, 123)
    >>> config.freeze()
    >>> config.frozen
    True
    """

    __attrs__ = None

    def __init__(self, **kwargs):
        self._config = kwargs
        self._frozen = False
        self.__attrs__ = set(dir(self))

    @property
    def frozen(self):
        """Whether the config is frozen."""
        return self._frozen

    def freeze(self):
        """Refuses every later change (ValueError)."""
        self._frozen = True

    def unfreeze(self):
        """Allows changes again."""
        self._frozen = False

    def _raise_if_frozen(self):
        if self._frozen:
            raise ValueError("Cannot mutate attribute(s) because the config is frozen. "
                             "Call unfreeze() first.")

    def as_dict(self):
        """A shallow copy of the values as a dict."""
        return copy.copy(self._config)

    def to_json(self):
        """The values as a JSON string."""
        return json.dumps(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        self._raise_if_frozen()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._raise_if_frozen()
        return self._config.update(*args, **kwargs)

    def get(self, keyname, value=None):
        return self._config.get(keyname, value)

    def __setattr__(self, name, value):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__setattr__(self, name, value)
        self._raise_if_frozen()
        self._config[name] = value

    def __getattr__(self, name):
        attrs = object.__getattribute__(self, "__attrs__")
        if attrs is None or name in attrs:
            return object.__getattribute__(self, name)
        if name in self._config:
            return self._config[name]
        message = f"Unknown attribute: '{name}'."
        matches = difflib.get_close_matches(name, self._config.keys(), n=1, cutoff=0.7)
        if matches:
            message += f" Did you mean '{matches[0]}'?"
        raise AttributeError(message)

    def __setitem__(self, key, item):
        self._raise_if_frozen()
        self._config[key] = item

    def __getitem__(self, key):
        return self._config[key]

    def __delitem__(self, key):
        self._raise_if_frozen()
        del self._config[key]

    def __contains__(self, item):
        return item in self._config

    def __iter__(self):
        return iter(sorted(self._config.keys()))

    def __len__(self):
        return len(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"
