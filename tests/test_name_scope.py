"""``kfacade.name_scope`` (Keras 3's): the paths of variables and layer weights
made inside it, nested, deduplicated by caller, and overriding the parents."""
import numpy as np
import pytest

import kfacade


def test_variables_and_layer_weights_take_the_scopes_as_path_prefix():
    with kfacade.name_scope("outer"):
        variable = kfacade.Variable(1.0, name="v")
        dense = kfacade.layers.Dense(2, name="dense")
        dense.build((None, 3))
        with kfacade.name_scope("inner"):
            inner = kfacade.Variable(np.zeros(2), name="w")
    outside = kfacade.Variable(1.0, name="u")
    assert variable.path == "outer/v" and variable.name == "v"
    assert dense.kernel.path == "outer/dense/kernel"
    assert inner.path == "outer/inner/w"
    assert outside.path == "u"


def test_a_callers_second_scope_adds_nothing_and_override_parent_replaces_the_rest():
    caller = object()
    with kfacade.name_scope("block", caller=caller):
        with kfacade.name_scope("block", caller=caller):
            assert kfacade.Variable(1.0, name="v").path == "block/v"
        with kfacade.name_scope("head", override_parent="model"):
            assert kfacade.Variable(1.0, name="v").path == "model/head/v"
        assert kfacade.Variable(1.0, name="v").path == "block/v"


@pytest.mark.parametrize("name", ["", "/", None, 3])
def test_a_bad_name_is_named(name):
    with pytest.raises(ValueError, match="must be a non-empty string"):
        kfacade.name_scope(name)
