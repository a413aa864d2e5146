"""The optional ``variable_assign_add`` / ``variable_assign_sub`` adapter
hooks against the generic ``Variable.assign_add`` / ``assign_sub`` (an add or
a subtraction, then ``variable_assign``'s copy).

On an adapter with the hooks (torch, TensorFlow), each case runs twice from the same
start: through the hook, then with it removed. The values must be equal bit
for bit (the same add, rounded once), the variable keeps its storage object,
and a spy shows whether the hook changed it or declined (returned None) so
that the generic add, cast and shape check ran. Without the hook both runs
would be the generic path, so the comparisons are skipped there
(``requires_adapter_hook``).
"""
import numpy as np
import pytest

from kfacade import ops
from kfacade import variables as variables_module
from kfacade.backend import adapter as B
from kfacade.variables import StatelessScope, Variable

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

HOOKS = ("variable_assign_add", "variable_assign_sub")
needs_hook = requires_adapter_hook(HOOKS[0])


@pytest.fixture
def hook_results(monkeypatch):
    """A list of what each hook call returned: the handle, or None (declined)."""
    results = []
    for hook in HOOKS:
        original = getattr(B, hook, None)
        if original is None:
            continue

        def spy(handle, delta, _original=original):
            result = _original(handle, delta)
            results.append(result)
            return result

        monkeypatch.setattr(variables_module, f"_{hook}", spy)
    return results


def _updated(monkeypatch, method, start, dtype, delta, hook, trainable=False):
    """(new value as NumPy, whether the storage object was kept) after
    ``variable.<method>(delta)``."""
    with monkeypatch.context() as patch:
        if not hook:
            for name in HOOKS:
                patch.setattr(variables_module, f"_{name}", None)
        variable = Variable(np.array(start, dtype), dtype=dtype, trainable=trainable)
        before = variable.handle
        getattr(variable, method)(delta() if callable(delta) else delta)
        return np.asarray(ops.convert_to_numpy(variable.value)), variable.handle is before


CASES = {
    # name: (start, variable dtype, delta (a callable makes a native tensor),
    #        taken in place: a bool, or the adapters that take it)
    "tensor_same_dtype": ([1.5, -2.25, 3.0], "float32",
                          lambda: ops.convert_to_tensor(np.array([0.1, 0.2, 0.3], "float32")), True),
    "python_float": (1.5, "float32", 0.1, True),
    "python_int_into_float": (2.5, "float64", 3, True),
    "python_int_into_int": (4, "int64", 7, True),
    # torch broadcasts a number in place; TensorFlow's in-place update does not.
    "python_float_into_vector": ([1.5, -2.25], "float32", 0.1, ("torch",)),
    "tensor_other_dtype": ([1.5, 2.5], "float32",
                           lambda: ops.convert_to_tensor(np.array([1, 2], "int64")), False),
    "broadcast_delta": ([[1.0, 2.0], [3.0, 4.0]], "float32",
                        lambda: ops.convert_to_tensor(np.array([0.5, 0.25], "float32")), False),
    "python_float_into_int": ([4, 5], "int32", 1.75, False),
}


@needs_hook
@pytest.mark.parametrize("method", ["assign_add", "assign_sub"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_hook_equals_generic(monkeypatch, hook_results, case, method):
    start, dtype, delta, in_place = CASES[case]
    if isinstance(in_place, tuple):
        in_place = B.name in in_place
    fused, kept = _updated(monkeypatch, method, start, dtype, delta, hook=True)
    assert hook_results == ([hook_results[0]] if in_place else [None])
    if in_place:
        assert hook_results[0] is not None and kept
    generic, _ = _updated(monkeypatch, method, start, dtype, delta, hook=False)
    assert fused.dtype == generic.dtype
    np.testing.assert_array_equal(fused, generic)


@needs_hook
def test_trainable_variable_stays_a_differentiable_leaf(monkeypatch, hook_results):
    """An in-place add on a trainable weight records nothing for autograd,
    and value_and_grad still differentiates the weight afterwards."""
    variable = Variable(np.array([1.0, 2.0], "float32"), trainable=True)
    variable.assign_add(ops.convert_to_tensor(np.array([0.5, 0.5], "float32")))
    assert hook_results[0] is not None
    (loss, _), (gradient,) = B.value_and_grad(
        lambda: (ops.sum(ops.square(variable.value)), None), [variable])
    np.testing.assert_allclose(ops.convert_to_numpy(gradient), [3.0, 5.0])
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), 1.5 ** 2 + 2.5 ** 2)


@needs_hook
def test_a_delta_that_requires_grad_leaves_the_state_outside_autograd(hook_results):
    """A metric-like state updated in place, inside a differentiated function,
    by values that depend on a weight: the update is recorded by no graph
    (the state stays a leaf that needs no gradient, as after the generic
    path's assign), and the weight's gradient is unchanged by it."""
    weight = Variable(np.array([1.0, 2.0], "float32"), trainable=True)
    state = Variable(np.zeros(2, "float32"), trainable=False)

    def fn():
        doubled = ops.multiply(weight.value, 2.0)
        state.assign_add(doubled)
        state.assign_sub(ops.multiply(weight.value, 1.0))
        return ops.sum(doubled), None

    _, (gradient,) = B.value_and_grad(fn, [weight])
    assert len(hook_results) == 2 and all(result is not None for result in hook_results)
    np.testing.assert_array_equal(ops.convert_to_numpy(gradient), [2.0, 2.0])
    np.testing.assert_array_equal(ops.convert_to_numpy(state.value), [1.0, 2.0])
    assert getattr(state.handle, "grad_fn", None) is None
    assert not getattr(state.handle, "requires_grad", False)


def test_shape_errors_and_stateless_scopes_keep_the_generic_rules(hook_results):
    """A delta that would grow the variable is refused by name on every
    adapter; inside a StatelessScope the add is recorded, the variable
    itself unchanged (the hook is not asked)."""
    variable = Variable(np.array([1.0, 2.0], "float32"), name="w")
    with pytest.raises(ValueError, match="shape"):
        variable.assign_add(ops.convert_to_tensor(np.ones((3, 2), "float32")))
    calls = len(hook_results)
    with StatelessScope() as scope:
        variable.assign_add(1.0)
    assert len(hook_results) == calls
    np.testing.assert_array_equal(ops.convert_to_numpy(variable.value), [1.0, 2.0])
    (updated, value), = scope.updates()
    assert updated is variable
    np.testing.assert_array_equal(ops.convert_to_numpy(value), [2.0, 3.0])
