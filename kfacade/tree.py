"""`keras.tree`: nested structures (lists, tuples, dicts, namedtuples) as Keras 3 sees them.

The public functions follow Keras 3's rules exactly, which differ from
kfacade's internal `kfacade.engine.tree` in one respect: a plain `dict` is
flattened in *sorted key* order (an `OrderedDict` keeps its own order), as
Keras 3 and dm-tree do. kfacade's engine flattens dicts in insertion order
(model outputs keep the order the user wrote them in); this namespace is for
user code that expects Keras 3's order. Both run on optree, in separate
namespaces, so neither setting leaks into the other or into other optree
users. `None` is a leaf everywhere except where `map_structure` is told
`none_is_leaf=False`.

Example:

>>> from kfacade import tree
>>> tree.flatten({"b": 2, "a": [1, None]})
[1, None, 2]
>>> tree.map_structure(lambda x: x * 10, {"b": 2, "a": (1, 3)})
{'b': 20, 'a': (10, 30)}
"""
import warnings

import optree

__all__ = [
    "MAP_TO_NONE", "assert_same_paths", "assert_same_structure", "flatten", "flatten_with_path",
    "is_nested", "lists_to_tuples", "map_shape_structure", "map_structure",
    "map_structure_up_to", "pack_sequence_as", "traverse",
]

# Dicts sorted by key, as optree does by default (kfacade.engine.tree asks its
# own namespace, "kfacade", for insertion order instead).
_NAMESPACE = "kfacade.tree"


class MAP_TO_NONE:
    """Special value for `traverse()`: `func` returns it to replace a sub-tree with None."""


def _is_leaf(structure, none_is_leaf=True):
    return optree.tree_is_leaf(structure, none_is_leaf=none_is_leaf, namespace=_NAMESPACE)


def is_nested(structure):
    """Whether `structure` is a container (sequence, mapping, namedtuple) rather than a leaf.

    Example:

    >>> is_nested(42), is_nested({"foo": 42}), is_nested(None)
    (False, True, False)
    """
    return not _is_leaf(structure)


def traverse(func, structure, top_down=True):
    """Applies `func` to every sub-tree of `structure`, depth first.

    Top down (default), a parent is visited before its children: if
    `func(subtree)` returns None the traversal goes on into the sub-tree,
    otherwise the sub-tree is replaced by the returned value and not entered.
    Bottom up, children are visited first and a non-None result replaces the
    (already traversed) sub-tree. Return `MAP_TO_NONE` to put None in place
    of a sub-tree.

    Example:

    >>> seen = []
    >>> traverse(seen.append, [(1, 2), {"a": 3}])
    [(1, 2), {'a': 3}]
    >>> seen
    [[(1, 2), {'a': 3}], (1, 2), 1, 2, {'a': 3}, 3]

    Raises:
        TypeError: `func` is not callable.
    """
    if not callable(func):
        raise TypeError(f"`func` must be callable. Received: func={func!r}")

    def traverse_children():
        children, treedef = optree.tree_flatten(
            structure, is_leaf=lambda x: x is not structure, none_is_leaf=True,
            namespace=_NAMESPACE)
        if treedef.num_nodes == 1 and treedef.num_leaves == 1:
            return structure
        return optree.tree_unflatten(
            treedef, [traverse(func, child, top_down=top_down) for child in children])

    if top_down:
        result = func(structure)
        if result is None:
            return traverse_children()
    else:
        traversed = traverse_children()
        result = func(traversed)
        if result is None:
            return traversed
    if result is MAP_TO_NONE:
        return None
    return result


def flatten(structure):
    """The leaves of `structure` as a list; dict values in sorted key order.

    An `OrderedDict` keeps its own order. A leaf gives `[leaf]`.

    Example:

    >>> flatten([[1, 2, 3], [4, [5], [[6]]]])
    [1, 2, 3, 4, 5, 6]
    >>> flatten({100: "world!", 6: "Hello"})
    ['Hello', 'world!']
    >>> flatten(None)
    [None]
    """
    return optree.tree_leaves(structure, none_is_leaf=True, namespace=_NAMESPACE)


def flatten_with_path(structure):
    """`[(path, leaf), ...]`: each leaf with the tuple of indices and keys that reach it.

    Example:

    >>> flatten_with_path([{"foo": 42}])
    [((0, 'foo'), 42)]
    """
    paths, leaves, _ = optree.tree_flatten_with_path(structure, none_is_leaf=True,
                                                     namespace=_NAMESPACE)
    return list(zip(paths, leaves))


def map_structure(func, *structures, none_is_leaf=True):
    """`func` applied leaf by leaf to one or more structures of the same layout.

    Args:
        func: a callable taking one argument per structure.
        *structures: structures nested the same way.
        none_is_leaf: when False, None values are kept as None and not
            passed to `func`.

    Returns:
        A structure of the same layout (namedtuples and dict types kept).

    Raises:
        ValueError: no structure given, or the structures differ in layout.

    Example:

    >>> map_structure(lambda x, y: x * y, [[1], [2]], [[3], [4]])
    [[3], [8]]
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    if len(structures) == 1 and _is_leaf(structures[0]):
        if structures[0] is None and not none_is_leaf:
            return None
        return func(structures[0])

    def func_with_check(*leaves):
        # optree stops at the shallowest structure; Keras requires equal layouts.
        if not all(_is_leaf(leaf, none_is_leaf) for leaf in leaves):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*leaves)

    return optree.tree_map(func_with_check if len(structures) > 1 else func, *structures,
                           none_is_leaf=none_is_leaf, namespace=_NAMESPACE)


def map_structure_up_to(shallow_structure, func, *structures):
    """`map_structure` down to the leaves of `shallow_structure` only.

    Deeper parts of `structures` are passed to `func` whole.

    Example:

    >>> map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]])
    [2, 3]

    Raises:
        ValueError: no structure given, or a structure is shallower than
            `shallow_structure`.
    """
    if not structures:
        raise ValueError("Must provide at least one structure")

    def func_without_shallow(shallow, *leaves):
        # None is a leaf of `shallow_structure` (Keras 3's optree version asks
        # without none_is_leaf and so rejects its own documented example).
        if not _is_leaf(shallow):
            raise ValueError("Structures don't have the same nested structure.")
        return func(*leaves)

    return optree.tree_map(func_without_shallow, shallow_structure, *structures,
                           none_is_leaf=True, namespace=_NAMESPACE)


def assert_same_structure(a, b, check_types=None):
    """Raises ValueError unless `a` and `b` are nested the same way.

    Containers must match in type and length at every level (a list is not
    a tuple; two namedtuple classes differ even with the same fields);
    `dict`, `OrderedDict` and `defaultdict` match when their keys do.
    `check_types` is accepted for Keras 3's signature and has no effect (as
    in Keras 3, which warns).

    Example:

    >>> assert_same_structure([(0, 1)], [(2, 3)])
    """
    if check_types is not None:
        warnings.warn("The `check_types` argument is deprecated and no longer has any effect; "
                      "use `assert_same_paths` for a looser check.", DeprecationWarning,
                      stacklevel=2)

    def check(a_leaf, b_leaf):
        if not _is_leaf(a_leaf) or not _is_leaf(b_leaf):
            raise ValueError("Structures don't have the same nested structure.")

    try:
        optree.tree_map(check, a, b, none_is_leaf=True, namespace=_NAMESPACE)
    except ValueError as error:
        raise ValueError(
            f"The two structures don't have the same nested structure.\nFirst structure: {a}"
            f"\n\nSecond structure: {b}\n\nMore specifically: {error}") from None


def assert_same_paths(a, b):
    """Raises ValueError unless `a` and `b` have the same set of leaf paths.

    Looser than `assert_same_structure`: a list matches a tuple or a
    namedtuple with the same indices. The message lists the differing paths.

    Example:

    >>> assert_same_paths([0, 1], (2, 3))
    """
    a_paths = set(optree.tree_paths(a, none_is_leaf=True, namespace=_NAMESPACE))
    b_paths = set(optree.tree_paths(b, none_is_leaf=True, namespace=_NAMESPACE))
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def pack_sequence_as(structure, flat_sequence):
    """`flat_sequence` rebuilt into the layout of `structure` (the inverse of `flatten`).

    Dict keys take values in sorted order (`OrderedDict` in its own order),
    so `pack_sequence_as(s, flatten(s))` rebuilds `s`.

    Example:

    >>> pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"])
    {'key3': 'v3', 'key1': 'v1', 'key2': 'v2'}

    Raises:
        TypeError: `flat_sequence` is not iterable.
        ValueError: `flat_sequence` has more or fewer items than `structure` has leaves.
    """
    if not hasattr(flat_sequence, "__iter__"):
        raise TypeError(
            f"`flat_sequence` must be a sequence. Received: flat_sequence={flat_sequence!r}")
    flat_sequence = list(flat_sequence)
    _, treespec = optree.tree_flatten(structure, none_is_leaf=True, namespace=_NAMESPACE)
    if len(flat_sequence) != treespec.num_leaves:
        raise ValueError(
            f"Could not pack sequence: `structure` has {treespec.num_leaves} leaves but "
            f"`flat_sequence` has {len(flat_sequence)} items. Structure: {structure}")
    return optree.tree_unflatten(treespec, flat_sequence)


def lists_to_tuples(structure):
    """`structure` with every list (nested ones too) turned into a tuple.

    Example:

    >>> lists_to_tuples([1, {"a": [2, 3]}])
    (1, {'a': (2, 3)})
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure,
                    top_down=False)


def map_shape_structure(func, structure):
    """`map_structure` for shapes: a list or tuple of ints and Nones is one leaf.

    Example:

    >>> map_shape_structure(lambda shape: shape[1:], [(None, 3), {"a": (2, 4, 5)}])
    [(3,), {'a': (4, 5)}]
    """
    def is_shape(x):
        return isinstance(x, (list, tuple)) and all(isinstance(e, (int, type(None))) for e in x)

    return optree.tree_map(func, structure, is_leaf=is_shape, none_is_leaf=True,
                           namespace=_NAMESPACE)
