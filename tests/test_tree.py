"""`kfacade.engine.tree` on optree: leaves in order, containers kept, namedtuples kept."""
import collections
import threading

import numpy as np
import optree
import pytest

from kfacade.engine import tree

Point = collections.namedtuple("Point", ["x", "y"])


def test_flatten_order_and_leaves():
    structure = {"b": [1, (2, 3)], "a": {"z": 4, "y": None}, "c": np.ones(2)}
    leaves = tree.flatten(structure)
    # Insertion order, not sorted keys; None is a leaf; arrays are leaves.
    assert leaves[:5] == [1, 2, 3, 4, None]
    assert leaves[5] is structure["c"]
    assert tree.flatten(7) == [7]
    assert tree.flatten([]) == []


def test_map_structure_keeps_namedtuples_and_containers():
    structure = [Point(1, 2), (3,), {"k": Point(4, [5])}, None]
    result = tree.map_structure(lambda v: None if v is None else v * 10, structure)
    assert result == [Point(10, 20), (30,), {"k": Point(40, [50])}, None]
    assert type(result[0]) is Point
    assert type(result[2]["k"]) is Point
    ordered = collections.OrderedDict([("b", 1), ("a", 2)])
    mapped = tree.map_structure(lambda v: -v, ordered)
    assert type(mapped) is collections.OrderedDict
    assert list(mapped.items()) == [("b", -1), ("a", -2)]


def test_map_structure_keeps_dict_insertion_order():
    mapped = tree.map_structure(str, {"b": 1, "a": 2})
    assert list(mapped) == ["b", "a"]


def test_pack_sequence_as_round_trip_and_count_check():
    structure = {"b": Point(1, [2, 3]), "a": (None,)}
    leaves = tree.flatten(structure)
    assert tree.pack_sequence_as(structure, leaves) == structure
    rebuilt = tree.pack_sequence_as(structure, iter(range(4)))
    assert rebuilt == {"b": Point(0, [1, 2]), "a": (3,)}
    with pytest.raises(ValueError, match="received 2 leaves for a structure with 4"):
        tree.pack_sequence_as(structure, [1, 2])


def test_pack_sequence_as_takes_leaves_in_flatten_order():
    structure = {"b": Point(1, [2, 3]), "a": (None,)}
    assert tree.pack_sequence_as(structure, [10, 20, 30, 40]) == {
        "b": Point(10, [20, 30]),
        "a": (40,),
    }


def test_is_nested():
    for nested in ([], (), {}, [1], Point(1, 2), collections.OrderedDict()):
        assert tree.is_nested(nested), nested
    for leaf in (1, None, "text", np.zeros(3)):
        assert not tree.is_nested(leaf), leaf


def test_other_optree_users_keep_sorted_dicts():
    # kfacade's insertion order lives in its own optree namespace.
    assert optree.tree_leaves({"b": 1, "a": 2}) == [2, 1]


def test_flatten_from_threads():
    structure = {"b": [1, 2], "a": 3}
    results = []

    def work():
        results.extend(tree.flatten(structure) for _ in range(200))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 800
    assert all(result == [1, 2, 3] for result in results)


def test_leaf_fast_path_keeps_containers_apart():
    # A leaf's type is remembered after its first flatten; containers never are.
    leaf = np.zeros(3)
    assert tree.flatten(leaf)[0] is leaf and tree.flatten(leaf)[0] is leaf
    nested = tree.flatten([leaf, (leaf,)])
    assert len(nested) == 2 and all(item is leaf for item in nested)
    assert tree.map_structure(lambda v: 1, leaf) == 1
    assert tree.is_nested([leaf]) and not tree.is_nested(leaf)
    assert tree.flatten(()) == [] and tree.flatten({"a": None}) == [None]
