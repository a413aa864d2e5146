"""The adapters' optional ``fused_optimizer_update`` hook against kfacade's
generic per-variable update (kfacade/backend/contract.py, OPTIONAL_HOOKS).

Each case runs the same steps twice: as ``apply`` runs them (through the
hook when the active adapter has one) and with the hook removed (the
generic ``kfacade.ops`` path). Variables and every optimizer variable
(iterations, learning rate, slots) must agree to float32 rounding. On an
adapter without the hook both runs would take the generic path, so those
comparisons are skipped there (``requires_adapter_hook``); the tests that
check something of their own without a hook (untouched variables, the
stateless path) run everywhere.
"""
import sys

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade import optimizers
from kfacade.backend import adapter
from kfacade.constraints import NonNeg
from kfacade.optimizers import base_optimizer, schedules
from kfacade.variables import Variable

try:
    from tests.helpers import requires_adapter_hook
except ImportError:  # plain `pytest` puts tests/ itself on sys.path
    from helpers import requires_adapter_hook

RTOL = 1e-6
ATOL = 0.0  # the hook may round differently only relatively
STEPS = 5
SHAPES = [(6, 4), (4,), (3, 2, 2), (1,)]

#: The optional hook of the active adapter, or None.
HOOK = getattr(adapter, "fused_optimizer_update", None)

#: Skips a hook-versus-generic comparison on an adapter without the hook.
needs_hook = requires_adapter_hook("fused_optimizer_update")

#: Configurations every built-in hook fuses: {id: optimizer factory}.
FUSED = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd_momentum": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "rmsprop": lambda: optimizers.RMSprop(learning_rate=0.01),
    "rmsprop_momentum": lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5),
    "rmsprop_centered": lambda: optimizers.RMSprop(learning_rate=0.01, centered=True),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(
        learning_rate=0.01, rho=0.8, momentum=0.3, epsilon=1e-6, centered=True),
    "adam": lambda: optimizers.Adam(learning_rate=0.01),
    "adam_amsgrad": lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1),
    "adamw_amsgrad": lambda: optimizers.AdamW(learning_rate=0.01, weight_decay=0.1,
                                              amsgrad=True, beta_1=0.8, beta_2=0.99),
    # Options the base class applies around the hook: Keras 2's decay, clipping,
    # loss scaling, schedules, weight decay with exclusions.
    "rmsprop_keras2_decay": lambda: optimizers.RMSprop(learning_rate=0.01, decay=0.05),
    "sgd_clipnorm": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, clipnorm=0.5),
    "adam_global_clipnorm": lambda: optimizers.Adam(learning_rate=0.01, global_clipnorm=1.0),
    "rmsprop_clipvalue": lambda: optimizers.RMSprop(learning_rate=0.01, clipvalue=0.2),
    "adam_loss_scale": lambda: optimizers.Adam(learning_rate=0.01, loss_scale_factor=128.0),
    "sgd_schedule": lambda: optimizers.SGD(
        learning_rate=schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
        momentum=0.5),
    "adamw_excluded": lambda: _excluding_bias(optimizers.AdamW(learning_rate=0.01,
                                                               weight_decay=0.1)),
    "sgd_weight_decay": lambda: optimizers.SGD(learning_rate=0.1, weight_decay=0.01),
}


class KerasStyleSGD(optimizers.SGD):
    """Overrides Keras 3's per-variable ``update_step``: never fusable."""

    def update_step(self, gradient, variable, learning_rate):
        self.update_step_calls = getattr(self, "update_step_calls", 0) + 1
        variable.assign(ops.subtract(variable.value, ops.multiply(gradient, learning_rate)))


class ScaledRMSprop(optimizers.RMSprop):
    """Changes the per-variable rule a hook would have to know."""

    def _update_variable(self, gradient, variable, scalars):
        super()._update_variable(ops.multiply(gradient, 0.5), variable, scalars)


#: Optimizers no built-in hook fuses, which must fall back: {id: factory}.
NOT_FUSED = {
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.01),
    "keras_style_update_step": lambda: KerasStyleSGD(learning_rate=0.1),
    "subclass_overriding_update": lambda: ScaledRMSprop(learning_rate=0.01),
}


def _excluding_bias(optimizer):
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    return optimizer


def _initial_values(seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(shape).astype("float32") for shape in SHAPES]
    values[1] = np.zeros(SHAPES[1], "float32")  # a bias starting at zero: no relative slack
    return values


def _gradients(seed=1, dtypes=None):
    rng = np.random.default_rng(seed)
    return [
        [(rng.standard_normal(shape) * 0.5).astype((dtypes or {}).get(i, "float32"))
         for i, shape in enumerate(SHAPES)]
        for _ in range(STEPS)
    ]


def _make_variables(dtypes=None):
    names = ["kernel", "bias", "filter", "scale"]
    variables = [
        Variable(value.astype((dtypes or {}).get(i, "float32")), name=names[i])
        for i, value in enumerate(_initial_values())
    ]
    variables[3].constraint = NonNeg()  # applied by the base class after the hook
    return variables


class CountingHook:
    """Wraps the adapter's hook and counts what it answered."""

    def __init__(self, hook):
        self.hook, self.fused, self.declined = hook, 0, 0

    def __call__(self, rule, grads, variables):
        done = self.hook(rule, grads, variables)
        if done:
            self.fused += 1
        else:
            self.declined += 1
        return done


def _run(make_optimizer, monkeypatch, fused, dtypes=None):
    """Applies STEPS steps; returns (variable values, optimizer values, counts)."""
    counter = CountingHook(HOOK) if (fused and HOOK is not None) else None
    with monkeypatch.context() as patch:
        patch.setattr(base_optimizer, "_fused_optimizer_update", counter)
        optimizer = make_optimizer()
        variables = _make_variables(dtypes)
        optimizer.build(variables)
        generic_calls = []
        if not optimizer._uses_update_step:
            # An instance attribute: the class's function, which a hook checks, is kept.
            generic = optimizer._update_variable
            optimizer._update_variable = lambda *args: (generic_calls.append(1), generic(*args))
        gradients = _gradients(dtypes=dtypes)
        for step in gradients:
            tensors = [ops.convert_to_tensor(g) for g in step]
            given = [ops.convert_to_numpy(t) for t in tensors]
            optimizer.apply(tensors, variables)
            for g, t in zip(given, tensors):  # the hook must not write into the gradients
                np.testing.assert_array_equal(ops.convert_to_numpy(t), g)
    return ([v.numpy() for v in variables], [v.numpy() for v in optimizer.variables],
            counter, len(generic_calls), optimizer)


def _assert_same(actual, expected, what):
    assert len(actual) == len(expected)
    for index, (a, e) in enumerate(zip(actual, expected)):
        assert a.dtype == e.dtype, f"{what}[{index}]"
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"{what}[{index}]")


@needs_hook
@pytest.mark.parametrize("case", sorted(FUSED))
def test_fused_update_matches_generic(case, monkeypatch):
    make = FUSED[case]
    variables, state, counter, generic_calls, optimizer = _run(make, monkeypatch, fused=True)
    expected_variables, expected_state, _, expected_generic_calls, _ = _run(
        make, monkeypatch, fused=False)
    _assert_same(variables, expected_variables, "variables")
    _assert_same(state, expected_state, "optimizer.variables")
    assert int(ops.convert_to_numpy(optimizer.iterations.value)) == STEPS
    assert expected_generic_calls == STEPS * len(SHAPES)
    # The hook did every step, and the generic loop never ran.
    assert (counter.fused, counter.declined, generic_calls) == (STEPS, 0, 0)


#: Rules the hook computes operation for operation as the generic path (no
#: ``addcmul``): equal bit for bit, the step size given to ``addcdiv`` as its
#: scalar on the CPU included.
EXACT = ["sgd_nesterov", "rmsprop_momentum", "rmsprop_centered", "adam", "adamw_amsgrad",
         "adam_loss_scale"]


@needs_hook
@pytest.mark.parametrize("step_size", ["kernel scalar", "tensor"])
@pytest.mark.parametrize("case", EXACT)
def test_fused_update_rounds_as_generic(case, step_size, monkeypatch):
    if step_size == "tensor":  # as on a GPU or under torch.compile
        module = sys.modules[HOOK.__module__]
        if not hasattr(module, "_kernel_scalar"):
            pytest.skip("the adapter's hook passes no step size as a kernel scalar "
                        "(torch's _kernel_scalar)")
        monkeypatch.setattr(module, "_kernel_scalar", lambda step_size: None)
    variables, state, counter, _, _ = _run(FUSED[case], monkeypatch, fused=True)
    expected_variables, expected_state, _, _, _ = _run(FUSED[case], monkeypatch, fused=False)
    assert counter.fused == STEPS
    for actual, expected in ((variables, expected_variables), (state, expected_state)):
        for index, (a, e) in enumerate(zip(actual, expected)):
            np.testing.assert_array_equal(a, e, err_msg=f"{case}[{index}]")


@needs_hook
@pytest.mark.parametrize("case", sorted(NOT_FUSED))
def test_unfused_optimizers_fall_back(case, monkeypatch):
    make = NOT_FUSED[case]
    variables, state, counter, generic_calls, optimizer = _run(make, monkeypatch, fused=True)
    expected_variables, expected_state, _, _, _ = _run(make, monkeypatch, fused=False)
    _assert_same(variables, expected_variables, "variables")
    _assert_same(state, expected_state, "optimizer.variables")
    # No documented update rule (``fused_update_rule`` is None): the hook is not asked.
    assert (counter.fused, counter.declined) == (0, 0)
    if optimizer._uses_update_step:
        assert optimizer.update_step_calls == STEPS * len(SHAPES)
    else:
        assert generic_calls == STEPS * len(SHAPES)


@needs_hook
@pytest.mark.parametrize("dtypes", [
    {2: "float64"},  # mixed: a float64 variable among float32 ones
    dict.fromkeys(range(len(SHAPES)), "float64"),
    dict.fromkeys(range(len(SHAPES)), "float16"),
], ids=["mixed", "float64", "float16"])
@pytest.mark.parametrize("case", ["adam_amsgrad", "rmsprop_centered_momentum"])
def test_other_dtypes_match_generic(case, dtypes, monkeypatch):
    # Fused or not, the results agree; a framework that keeps 64-bit types
    # off (JAX) stores float64 as float32.
    make = FUSED[case]
    variables, state, _, _, _ = _run(make, monkeypatch, fused=True, dtypes=dtypes)
    expected_variables, expected_state, _, _, _ = _run(make, monkeypatch, fused=False,
                                                       dtypes=dtypes)
    _assert_same(variables, expected_variables, "variables")
    _assert_same(state, expected_state, "optimizer.variables")


@needs_hook
@pytest.mark.parametrize("learning_rate", [0.01, "tensor"])
@pytest.mark.parametrize("case", ["sgd_nesterov", "rmsprop_centered_momentum", "adam_amsgrad"])
def test_learning_rate_float_or_tensor(case, learning_rate, monkeypatch):
    # _backend_update_step receives a tensor from apply(); a direct caller may pass a float.
    if learning_rate == "tensor":
        learning_rate = ops.convert_to_tensor(0.01, dtype="float32")
    results = []
    for fused in (True, False):
        with monkeypatch.context() as patch:
            if not fused:
                patch.setattr(base_optimizer, "_fused_optimizer_update", None)
            optimizer = FUSED[case]()
            variables = _make_variables()
            optimizer.build(variables)
            for step in _gradients():
                optimizer._backend_update_step([ops.convert_to_tensor(g) for g in step],
                                               variables, learning_rate)
            results.append(([v.numpy() for v in variables],
                            [v.numpy() for v in optimizer.variables]))
    _assert_same(results[0][0], results[1][0], "variables")
    _assert_same(results[0][1], results[1][1], "optimizer.variables")


def test_updates_in_place_and_only_the_given_variables(monkeypatch):
    optimizer = optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True)
    variables = _make_variables()
    optimizer.build(variables)
    handles = [id(v.handle) for v in variables + optimizer.variables]
    untouched = variables[1].numpy()
    slots_of_untouched = [v.numpy() for v in optimizer.variables if "bias" in v.path]
    grads = [ops.convert_to_tensor(g) for g in _gradients()[0]]
    # Variable 1 gets no gradient: it and its slots keep their values.
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply([grads[0], None, grads[2], grads[3]], variables)
    np.testing.assert_array_equal(variables[1].numpy(), untouched)
    for before, after in zip(slots_of_untouched,
                             [v.numpy() for v in optimizer.variables if "bias" in v.path]):
        np.testing.assert_array_equal(after, before)
    if HOOK is not None:
        # The hook writes through variable.handle: the native storage is kept.
        assert [id(v.handle) for v in variables + optimizer.variables] == handles


def test_stateless_apply_never_calls_the_hook(monkeypatch):
    counter = CountingHook(HOOK or (lambda *args: False))
    monkeypatch.setattr(base_optimizer, "_fused_optimizer_update", counter)
    optimizer = optimizers.Adam(learning_rate=0.01)
    variables = _make_variables()
    optimizer.build(variables)
    before = [v.numpy() for v in variables + optimizer.variables]
    grads = [ops.convert_to_tensor(g) for g in _gradients()[0]]
    new_values, new_state = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], grads, [v.value for v in variables])
    assert (counter.fused, counter.declined) == (0, 0)
    for value, variable in zip(before, variables + optimizer.variables):
        np.testing.assert_array_equal(variable.numpy(), value)  # nothing changed in place
    # The stateless result is the stateful one (through the hook when there is one).
    optimizer.apply(grads, variables)
    _assert_same([np.asarray(ops.convert_to_numpy(v)) for v in new_values],
                 [v.numpy() for v in variables], "stateless variables")
    _assert_same([np.asarray(ops.convert_to_numpy(v)) for v in new_state],
                 [v.numpy() for v in optimizer.variables], "stateless optimizer.variables")
    assert counter.fused == (1 if HOOK is not None else 0)


@needs_hook
def test_fit_through_the_hook_matches_generic(monkeypatch):
    def train(fused):
        with monkeypatch.context() as patch:
            if not fused:
                patch.setattr(base_optimizer, "_fused_optimizer_update", None)
            kfacade.utils.set_random_seed(0)
            model = kfacade.Sequential([
                kfacade.Input(shape=(8,)),
                kfacade.layers.Dense(16, activation="relu"),
                kfacade.layers.Dense(3),
            ])
            model.compile(optimizer=optimizers.RMSprop(learning_rate=0.01),
                          loss=kfacade.losses.SparseCategoricalCrossentropy(from_logits=True))
            rng = np.random.default_rng(0)
            x = rng.standard_normal((64, 8)).astype("float32")
            y = rng.integers(0, 3, 64)
            model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
            return [w.numpy() for w in model.weights], \
                [v.numpy() for v in model.optimizer.variables]

    weights, state = train(True)
    expected_weights, expected_state = train(False)
    # Identical updates of identical gradients; a looser bound than RTOL covers
    # backends whose compiled step fuses the generic path differently.
    for a, e in zip(weights + state, expected_weights + expected_state):
        np.testing.assert_allclose(a, e, rtol=1e-5, atol=1e-7)
