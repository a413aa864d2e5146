"""Keras 3's ``name_scope``: a prefix of the paths of the variables made inside it.

``with kfacade.name_scope("block"):`` makes a Variable named "w" get the
path "block/w", and a layer built there the paths "block/dense/kernel", as
in Keras 3; scopes nest. Paths are what ``OptimizerMap``'s patterns and
``Optimizer.exclude_from_weight_decay`` match. The stack is per thread.
"""
import threading

_local = threading.local()


def _stack():
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def current_path():
    """The active scopes joined by "/" ("" outside any scope)."""
    return "/".join(scope.name for scope in _stack())


def scoped(name):
    """`name` under the active scopes ("block/name"), or `name` outside them."""
    prefix = current_path()
    return f"{prefix}/{name}" if prefix else name


class name_scope:
    """A context manager that prefixes the paths of new variables with `name`.

    Args:
        name: a non-empty string without "/" at either end.
        caller: the object opening the scope; with `deduplicate`, a scope
            opened by the same caller as the innermost one adds nothing.
        deduplicate: see `caller` (default True).
        override_parent: a path that replaces the enclosing scopes while
            this one is active (the scope's path is then
            "override_parent/name").

    Raises:
        ValueError: `name` is not a non-empty string.

    Example:
        >>> with kfacade.name_scope("encoder"):
        ...     v = kfacade.Variable(0.0, name="w")   # v.path == "encoder/w"
    """

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or not name.strip("/"):
            raise ValueError(
                f"Argument `name` must be a non-empty string. Received: name={name!r}")
        self.name = name.strip("/")
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = False
        self._saved = None

    def __enter__(self):
        stack = _stack()
        if (self.deduplicate and self.caller is not None and stack
                and stack[-1].caller is self.caller):
            return self
        if self.override_parent is not None:
            self._saved = list(stack)
            stack[:] = [name_scope(part) for part in self.override_parent.split("/") if part]
        stack.append(self)
        self._pushed = True
        return self

    def __exit__(self, *exc_info):
        stack = _stack()
        if self._pushed:
            stack.pop()
            self._pushed = False
            if self._saved is not None:
                stack[:] = self._saved
                self._saved = None
        return False
