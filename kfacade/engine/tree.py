"""Nested structures of tensors: lists, tuples and dicts, flattened and rebuilt."""


def flatten(structure):
    """The leaves of `structure` in order (dicts by key order, as Keras)."""
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    if isinstance(structure, dict):
        return [leaf for key in structure for leaf in flatten(structure[key])]
    return [structure]


def map_structure(fn, structure):
    """`structure` with `fn` applied to every leaf, containers preserved."""
    if isinstance(structure, list):
        return [map_structure(fn, item) for item in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, item) for item in structure)
    if isinstance(structure, dict):
        return {key: map_structure(fn, value) for key, value in structure.items()}
    return fn(structure)


def pack_sequence_as(structure, leaves):
    """Rebuilds `structure` with the leaves taken in order from `leaves`."""
    iterator = iter(leaves)
    return map_structure(lambda _: next(iterator), structure)


def is_nested(structure):
    """True for a list, tuple or dict."""
    return isinstance(structure, (list, tuple, dict))
