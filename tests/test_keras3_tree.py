"""`kfacade.tree`: Keras 3's `keras.tree`, with the results Keras 3.15 gives (dicts in
sorted key order, `OrderedDict` in its own order, None a leaf)."""
import collections

import numpy as np
import optree
import pytest

from kfacade import tree
from kfacade.engine import tree as engine_tree

Point = collections.namedtuple("Point", "x y")
OtherPoint = collections.namedtuple("Point", "x y")


def test_flatten_sorts_dict_keys_like_keras3():
    structure = {"b": [1, (2, 3)], "a": {"z": 4, "y": None}}
    assert tree.flatten(structure) == [None, 4, 1, 2, 3]
    assert tree.flatten(collections.OrderedDict([("b", 1), ("a", 2)])) == [1, 2]
    assert tree.flatten(collections.defaultdict(int, {"b": 1, "a": 2})) == [2, 1]
    assert tree.flatten({100: "world!", 6: "Hello"}) == ["Hello", "world!"]
    assert tree.flatten(None) == [None] and tree.flatten(7) == [7] and tree.flatten([]) == []
    array = np.ones(3)
    assert tree.flatten([array])[0] is array  # arrays are leaves


def test_engine_tree_keeps_insertion_order():
    # The public namespace does not change kfacade's internal order, nor the reverse.
    structure = {"b": 1, "a": 2}
    assert tree.flatten(structure) == [2, 1]
    assert engine_tree.flatten(structure) == [1, 2]
    assert optree.tree_leaves(structure) == [2, 1]


def test_flatten_with_path():
    assert tree.flatten_with_path({"b": [1, Point(2, 3)], "a": None}) == [
        (("a",), None), (("b", 0), 1), (("b", 1, 0), 2), (("b", 1, 1), 3)]


def test_is_nested():
    assert [tree.is_nested(x) for x in (1, None, "s", np.ones(2))] == [False] * 4
    assert all(tree.is_nested(x) for x in ([], (), {}, Point(1, 2)))


def test_map_structure():
    assert tree.map_structure(lambda x: x * 2, {"b": [1, Point(2, 3)], "a": 5}) == {
        "b": [2, Point(4, 6)], "a": 10}
    assert tree.map_structure(lambda x, y: x + y, [1, (2,)], [3, (4,)]) == [4, (6,)]
    assert tree.map_structure(lambda x: 1, [None, 2], none_is_leaf=False) == [None, 1]
    assert tree.map_structure(lambda x: 1, [None, 2]) == [1, 1]
    assert tree.map_structure(lambda x: 1, None, none_is_leaf=False) is None
    with pytest.raises(ValueError):
        tree.map_structure(lambda x, y: x, [1, (2,)], [3, [4]])  # tuple vs list
    with pytest.raises(ValueError):
        tree.map_structure(lambda x, y: x, [1, 2], [3, [4]])  # leaf vs list
    with pytest.raises(ValueError, match="at least one structure"):
        tree.map_structure(lambda x: x)


def test_map_structure_up_to():
    # Keras 3's documented results (its optree version raises on its own example).
    assert tree.map_structure_up_to([None, None], len, [[1, 1], [2, 2, 2]]) == [2, 3]
    assert tree.map_structure_up_to([None, [None, None]], str, [[1, 1], [2, 2]]) == [
        "[1, 1]", ["2", "2"]]
    with pytest.raises(ValueError):
        tree.map_structure_up_to([None, [None, None]], str, [[1, 1], 2])


def test_assert_same_structure():
    tree.assert_same_structure([(0, 1)], [(2, 3)])
    tree.assert_same_structure({"a": 1, "b": 2}, collections.OrderedDict([("b", 1), ("a", 2)]))
    for a, b in (([0, 1], (2, 3)), (Point(0, 1), OtherPoint(2, 3)), ({"a": 1}, {"b": 1}),
                 ([1], [1, 2]), ([1, 2], [1, [2]])):
        with pytest.raises(ValueError, match="same nested structure"):
            tree.assert_same_structure(a, b)
    with pytest.warns(DeprecationWarning):
        tree.assert_same_structure([1], [2], check_types=True)


def test_assert_same_paths():
    tree.assert_same_paths([0, 1], Point(2, 3))
    with pytest.raises(ValueError, match="missing in `b`"):
        tree.assert_same_paths([0, 1], [2])


def test_pack_sequence_as():
    assert tree.pack_sequence_as({"key3": "", "key1": "", "key2": ""}, ["v1", "v2", "v3"]) == {
        "key3": "v3", "key1": "v1", "key2": "v2"}
    assert tree.pack_sequence_as((("a", "b"), ("c", "d", "e"), "f"), range(1, 7)) == (
        (1, 2), (3, 4, 5), 6)
    assert tree.pack_sequence_as("leaf", [1]) == 1
    packed = tree.pack_sequence_as(collections.OrderedDict([("b", 0), ("a", 0)]), [5, 6])
    assert list(packed.items()) == [("b", 5), ("a", 6)]
    structure = {"b": [1, Point(2, None)], "a": 3}
    assert tree.pack_sequence_as(structure, tree.flatten(structure)) == structure
    for flat in ([1], [1, 2, 3]):
        with pytest.raises(ValueError, match="leaves"):
            tree.pack_sequence_as([1, 2], flat)
    with pytest.raises(TypeError):
        tree.pack_sequence_as([1], 5)


def test_lists_to_tuples_and_map_shape_structure():
    assert tree.lists_to_tuples([1, {"a": [2, [3]]}, (4, [5])]) == (1, {"a": (2, (3,))}, (4, (5,)))
    result = tree.map_shape_structure(lambda s: ("S", s), [(None, 3), {"a": (2, 4)}, [1, [2]], 5])
    assert result == [("S", (None, 3)), {"a": ("S", (2, 4))}, [("S", 1), ("S", [2])], ("S", 5)]


def test_traverse():
    seen = []
    structure = [(1, 2), [3], {"a": 4}]
    assert tree.traverse(seen.append, structure) == structure
    assert seen == [structure, (1, 2), 1, 2, [3], 3, {"a": 4}, 4]
    seen = []
    assert tree.traverse(seen.append, structure, top_down=False) == structure
    assert seen == [1, 2, (1, 2), 3, [3], 4, {"a": 4}, structure]
    assert tree.traverse(lambda x: tree.MAP_TO_NONE if x == (1, 2) else None, [(1, 2), 3]) == [
        None, 3]
    assert tree.traverse(lambda x: "X" if isinstance(x, tuple) else None, [(1, 2), [3]]) == [
        "X", [3]]
    with pytest.raises(TypeError, match="callable"):
        tree.traverse(None, [1])
