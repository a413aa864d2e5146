"""``kfacade.Function`` (a graph of ops and layers rerun on real tensors) and
``kfacade.SymbolicScope`` (the marker of shape-inference runs), checked
against NumPy on every backend."""
import threading

import numpy as np
import pytest

import kfacade
from kfacade import layers, ops
from kfacade.backend import adapter as B
from kfacade.backend import in_symbolic_scope
from tests.helpers import assert_close


def _graph():
    """A Function of a list [x, {"u", "v"}] to {"total", "pair": (s, joined)}."""
    x = kfacade.Input((4,), name="x")
    pair = {"u": kfacade.Input((3,), name="u"), "v": kfacade.Input((3,), name="v")}
    dense = layers.Dense(3)
    s = ops.tanh(dense(x)) * pair["u"] + pair["v"]
    total = ops.sum(s, axis=-1, keepdims=True)
    joined = layers.Concatenate()([s, pair["u"]])
    fn = kfacade.Function([x, pair], {"total": total, "pair": (s, joined)}, name="graph")
    return fn, dense


def _data(batch=2):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((batch, 4)).astype("float32"),
            {"u": rng.standard_normal((batch, 3)).astype("float32"),
             "v": rng.standard_normal((batch, 3)).astype("float32")}]


def _reference(dense, data):
    kernel, bias = dense.get_weights()
    x, pair = data
    s = np.tanh(x @ kernel + bias) * pair["u"] + pair["v"]
    return {"total": s.sum(-1, keepdims=True), "pair": (s, np.concatenate([s, pair["u"]], -1))}


def _assert_outputs(actual, expected):
    assert set(actual) == {"total", "pair"} and isinstance(actual["pair"], tuple)
    assert_close(actual["total"], expected["total"])
    for got, want in zip(actual["pair"], expected["pair"]):
        assert_close(got, want)


def test_function_graph_attributes_and_eager_call():
    fn, dense = _graph()
    assert fn.name == "graph"
    assert [x.name for x in fn.inputs] == ["x", "u", "v"]
    assert [x.shape for x in fn.outputs] == [(None, 1), (None, 3), (None, 6)]
    names = [operation.name for operation in fn.operations]
    assert names[:3] == ["x", "u", "v"] and dense.name in names and len(names) == len(set(names))
    data = _data()
    _assert_outputs(fn(data), _reference(dense, data))
    # A dict input is matched by key, whatever order the caller built it in.
    swapped = [data[0], {"v": data[1]["v"], "u": data[1]["u"]}]
    _assert_outputs(fn(swapped), _reference(dense, data))


def test_function_inside_a_compiled_function():
    fn, dense = _graph()
    data = _data(batch=3)
    step = B.compile_function(lambda batch: {"joined": fn(batch)["pair"][1],
                                             "total": fn(batch)["total"]}, dense.weights, False)
    logs, expected = step(data), _reference(dense, data)
    assert_close(logs["joined"], expected["pair"][1])
    assert_close(logs["total"], expected["total"])


def test_function_output_specs_and_symbolic_call():
    fn, dense = _graph()
    five = [kfacade.KerasTensor((5, 4)), {"u": kfacade.KerasTensor((5, 3)),
                                          "v": kfacade.KerasTensor((5, 3))}]
    spec = fn.compute_output_spec(five)
    assert spec["total"].shape == (5, 1)
    assert [x.shape for x in spec["pair"]] == [(5, 3), (5, 6)]
    assert fn.compute_output_shape([(7, 4), {"u": (7, 3), "v": (7, 3)}]) == {
        "total": (7, 1), "pair": ((7, 3), (7, 6))}
    # Called on Inputs, a Function is one node of a new graph.
    x = kfacade.Input((4,))
    pair = {"u": kfacade.Input((3,)), "v": kfacade.Input((3,))}
    outputs = fn([x, pair])
    assert outputs["total"].shape == (None, 1) and outputs["pair"][1].dtype == "float32"
    model = kfacade.Model([x, pair], outputs["total"])
    data = _data()
    assert_close(model(data), _reference(dense, data)["total"])


def test_functional_model_is_a_function():
    x = kfacade.Input((4,), name="x")
    model = kfacade.Model(x, layers.Dense(2, name="head")(ops.relu(x)))
    assert isinstance(model, kfacade.Function)
    assert [operation.name for operation in model.operations] == ["x", "relu", "head"]


def test_function_errors():
    fn, _ = _graph()
    x, u = kfacade.Input((3,)), kfacade.Input((3,))
    with pytest.raises(ValueError, match="Graph disconnected"):
        kfacade.Function(x, ops.add(ops.relu(x), u))
    with pytest.raises(ValueError, match=r"Output with path `1` is not connected to `inputs`"):
        kfacade.Function(x, [ops.relu(x), kfacade.KerasTensor((None, 3))])
    with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
        kfacade.Function([], ops.relu(x))
    with pytest.raises(ValueError, match="must be symbolic tensors"):
        kfacade.Function(x, np.ones(3))
    data = _data()
    with pytest.raises(ValueError, match="invalid input structure"):
        fn((data[0], data[1]))  # a tuple where the Function's inputs are a list
    with pytest.raises(ValueError, match="invalid input structure"):
        fn([data[0], {"u": data[1]["u"]}])
    with pytest.raises(ValueError, match=r"For input 'x', expected shape \(None, 4\).*\(2, 5\)"):
        fn([np.ones((2, 5), "float32"), data[1]])


class _ScopeProbe(layers.Layer):
    """Records, call by call, whether it runs inside a SymbolicScope."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = []

    def call(self, x):
        self.seen.append(in_symbolic_scope())
        return x * 2.0


def test_symbolic_scope_is_set_during_symbolic_build_only():
    probe = _ScopeProbe()
    x = kfacade.Input((3,))
    fn = kfacade.Function(x, probe(x))
    assert probe.seen and all(probe.seen)  # the shape-inference runs
    probe.seen.clear()
    value = np.ones((2, 3), "float32")
    assert_close(fn(value), value * 2.0)
    step = B.compile_function(lambda batch: {"y": fn(batch)}, [], False)
    assert_close(step(value)["y"], value * 2.0)
    assert probe.seen and not any(probe.seen)  # eager and compiled calls
    assert not in_symbolic_scope()


def test_symbolic_scope_nests_and_is_per_thread():
    assert kfacade.backend.SymbolicScope is kfacade.SymbolicScope
    seen_in_thread = []
    with kfacade.SymbolicScope() as outer:
        assert in_symbolic_scope() and kfacade.backend.get_symbolic_scope() is outer
        with kfacade.SymbolicScope() as inner:
            assert kfacade.backend.get_symbolic_scope() is inner
        assert kfacade.backend.get_symbolic_scope() is outer
        thread = threading.Thread(target=lambda: seen_in_thread.append(in_symbolic_scope()))
        thread.start()
        thread.join()
    assert not in_symbolic_scope() and seen_in_thread == [False]
