"""Nested structures of tensors, flattened and rebuilt with `optree`.

Containers are lists, tuples (namedtuples keep their type), dicts
(`OrderedDict` and `defaultdict` keep theirs) and the other containers
optree knows (`deque`, structseqs such as `torch.return_types`). Everything
else is a leaf, `None` included, as in Keras.

Dicts are flattened in insertion order, not sorted by key: the order the
caller built them in is the order their leaves take (output names, loss
maps). optree sorts keys by default; kfacade asks it for insertion order
in its own namespace, so other users of optree in the process are not
affected.
"""
import optree

_NAMESPACE = "kfacade"
_OPTIONS = {"none_is_leaf": True, "namespace": _NAMESPACE}

# optree offers the insertion-order mode only as a context manager. It is
# entered once here and never left (the module keeps the reference, so the
# generator is not closed by garbage collection): entering and leaving it
# around each call would not be thread-safe, and only kfacade flattens in
# this namespace.
_INSERTION_ORDER = optree.dict_insertion_ordered(True, namespace=_NAMESPACE)
_INSERTION_ORDER.__enter__()


# Types seen to be leaves. Whether optree treats a value as a container
# depends on its type alone, so a type found to be a leaf once always is:
# flattening a lone tensor (every layer call does) then skips optree's call.
_leaf_types = set()


def _is_leaf_type(structure):
    kind = type(structure)
    if kind in _leaf_types:
        return True
    if optree.tree_is_leaf(structure, **_OPTIONS):
        _leaf_types.add(kind)
        return True
    return False


def flatten(structure):
    """The leaves of `structure` in order (dicts in insertion order).

    Example:

    >>> flatten({"b": [1, 2], "a": (3, None)})
    [1, 2, 3, None]
    """
    if type(structure) in _leaf_types:
        return [structure]
    leaves = optree.tree_leaves(structure, **_OPTIONS)
    if len(leaves) == 1 and leaves[0] is structure:  # a leaf itself
        _leaf_types.add(type(structure))
    return leaves


def flatten_with_path(structure):
    """`[(path, leaf), ...]`: each leaf with the keys and indices that reach it.

    Example:

    >>> flatten_with_path({"b": [1, 2], "a": 3})
    [(('b', 0), 1), (('b', 1), 2), (('a',), 3)]
    """
    paths, leaves, _ = optree.tree_flatten_with_path(structure, **_OPTIONS)
    return list(zip(paths, leaves))


def map_structure(fn, structure):
    """`structure` with `fn` applied to every leaf, containers preserved.

    Example:

    >>> import collections
    >>> Point = collections.namedtuple("Point", "x y")
    >>> map_structure(lambda v: v * 10, [Point(1, 2), {"k": 3}])
    [Point(x=10, y=20), {'k': 30}]
    """
    if type(structure) in _leaf_types:
        return fn(structure)
    return optree.tree_map(fn, structure, **_OPTIONS)


def pack_sequence_as(structure, leaves):
    """Rebuilds `structure` with the leaves taken in order from `leaves`.

    Raises:
        ValueError: if `leaves` does not hold exactly as many values as
            `structure` has leaves.
    """
    leaves = list(leaves)
    spec = optree.tree_structure(structure, **_OPTIONS)
    if len(leaves) != spec.num_leaves:
        raise ValueError(
            f"pack_sequence_as received {len(leaves)} leaves for a structure "
            f"with {spec.num_leaves} leaves; expected equal counts. "
            f"Structure: {spec}"
        )
    return optree.tree_unflatten(spec, leaves)


def is_nested(structure):
    """True for a container (list, tuple, dict, namedtuple, ...), False for a leaf."""
    return not _is_leaf_type(structure)
