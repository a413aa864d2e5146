"""Optimizers and learning-rate schedules against NumPy references of
Keras 3's update rules (keras/src/optimizers/*.py).

References run in float64 from the same float32 inputs. Where the backend
raises a float32 constant to a power (Adam's ``beta ** t``), the reference
uses the float32-rounded constant too: ``1 - 0.999`` differs by 1.3e-5
relative between float32 and float64, which is Keras's own float32 result,
not an error of the update rule.
"""
import math
import warnings

import numpy as np
import pytest

import kfacade
from kfacade import ops
from kfacade import optimizers
from kfacade.constraints import NonNeg
from kfacade.optimizers import schedules
from kfacade.variables import StatelessScope, Variable

RTOL = 1e-6  # float32 updates of values near 1 over a few steps
ATOL = 1e-7

INITIAL = [np.array([1.0, -2.0, 3.0], "float32"),
           np.array([[0.5, -1.5], [2.5, 1.25]], "float32")]
# Gradient magnitudes shrink at step 3 so that AMSGrad's running maximum matters.
GRADIENTS = [
    [np.array([0.1, -0.2, 0.3], "float32"), np.array([[0.4, -0.1], [0.05, 0.2]], "float32")],
    [np.array([0.3, 0.1, -0.2], "float32"), np.array([[-0.2, 0.3], [0.1, -0.4]], "float32")],
    [np.array([0.01, -0.02, 0.01], "float32"), np.array([[0.01, 0.02], [-0.01, 0.0]], "float32")],
    [np.array([-0.5, 0.4, 0.2], "float32"), np.array([[0.6, -0.3], [0.2, 0.1]], "float32")],
]


def f32(x):
    """A constant as float32 rounds it (see the module docstring)."""
    return float(np.float32(x))


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x))


def make_variables():
    return [Variable(value.copy(), name=f"w{i}") for i, value in enumerate(INITIAL)]


def run(optimizer, steps=GRADIENTS):
    variables = make_variables()
    for grads in steps:
        optimizer.apply([g.copy() for g in grads], variables)
    return [v.numpy() for v in variables]


# ------------------------------------------------------------ references
def reference(update, state_init, lr, weight_decay=None, steps=GRADIENTS):
    """Runs `update(w, g, state, lr, t)` per variable; `t` counts from 0."""
    results = []
    for index, initial in enumerate(INITIAL):
        w = initial.astype("float64")
        state = state_init(w)
        for t, grads in enumerate(steps):
            g = grads[index].astype("float64")
            if weight_decay is not None:
                w = w - w * weight_decay * lr
            w = update(w, g, state, lr, t)
        results.append(w)
    return results


def sgd_update(momentum=0.0, nesterov=False):
    def update(w, g, s, lr, t):
        if momentum == 0:
            return w - lr * g
        s["m"] = momentum * s["m"] - lr * g
        return w + (momentum * s["m"] - lr * g if nesterov else s["m"])
    return update


def rmsprop_update(rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def update(w, g, s, lr, t):
        s["velocity"] = rho * s["velocity"] + (1 - rho) * g ** 2
        if centered:
            s["average"] = rho * s["average"] + (1 - rho) * g
            denominator = s["velocity"] - s["average"] ** 2 + epsilon
        else:
            denominator = s["velocity"] + epsilon
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            s["momentum"] = momentum * s["momentum"] + increment
            return w - s["momentum"]
        return w - increment
    return update


def adam_update(beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    def update(w, g, s, lr, t):
        s["m"] += (g - s["m"]) * (1 - beta_1)
        s["v"] += (g ** 2 - s["v"]) * (1 - beta_2)
        v = s["v"]
        if amsgrad:
            s["v_hat"] = np.maximum(s["v_hat"], s["v"])
            v = s["v_hat"]
        alpha = lr * math.sqrt(1 - f32(beta_2) ** (t + 1)) / (1 - f32(beta_1) ** (t + 1))
        return w - alpha * s["m"] / (np.sqrt(v) + epsilon)
    return update


def adagrad_update(epsilon=1e-7):
    def update(w, g, s, lr, t):
        s["accumulator"] = s["accumulator"] + g ** 2
        return w - lr * g / np.sqrt(s["accumulator"] + epsilon)
    return update


def adadelta_update(rho=0.95, epsilon=1e-7):
    def update(w, g, s, lr, t):
        s["grad"] = rho * s["grad"] + (1 - rho) * g ** 2
        delta = -np.sqrt(s["delta"] + epsilon) * g / np.sqrt(s["grad"] + epsilon)
        s["delta"] = rho * s["delta"] + (1 - rho) * delta ** 2
        return w + lr * delta
    return update


def adamax_update(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def update(w, g, s, lr, t):
        s["m"] += (g - s["m"]) * (1 - beta_1)
        s["u"] = np.maximum(beta_2 * s["u"], np.abs(g))
        return w - lr * s["m"] / ((1 - f32(beta_1) ** (t + 1)) * (s["u"] + epsilon))
    return update


def nadam_update(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def update(w, g, s, lr, t):
        step = t + 1
        u_t = beta_1 * (1 - 0.5 * f32(0.96) ** step)
        u_next = beta_1 * (1 - 0.5 * f32(0.96) ** (step + 1))
        # The product is optimizer-wide state; each variable's reference replays it.
        s["u_product"] *= u_t
        u_product_next = s["u_product"] * u_next
        s["m"] += (g - s["m"]) * (1 - beta_1)
        s["v"] += (g ** 2 - s["v"]) * (1 - beta_2)
        m_hat = u_next * s["m"] / (1 - u_product_next) + (1 - u_t) * g / (1 - s["u_product"])
        v_hat = s["v"] / (1 - f32(beta_2) ** step)
        return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)
    return update


def zeros(*names, **values):
    def init(w):
        state = {name: np.zeros_like(w) for name in names}
        state.update({k: np.full_like(w, v) if k != "u_product" else v for k, v in values.items()})
        return state
    return init


CASES = {
    "sgd": (lambda: optimizers.SGD(learning_rate=0.1), sgd_update(), zeros(), 0.1, None),
    "sgd_momentum": (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
                     sgd_update(0.9), zeros("m"), 0.1, None),
    "sgd_nesterov": (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
                     sgd_update(0.9, True), zeros("m"), 0.1, None),
    "rmsprop": (lambda: optimizers.RMSprop(learning_rate=0.01), rmsprop_update(),
                zeros("velocity"), 0.01, None),
    "rmsprop_momentum": (lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5),
                         rmsprop_update(momentum=0.5), zeros("velocity", "momentum"), 0.01, None),
    "rmsprop_centered": (lambda: optimizers.RMSprop(learning_rate=0.01, centered=True,
                                                    momentum=0.5),
                         rmsprop_update(momentum=0.5, centered=True),
                         zeros("velocity", "average", "momentum"), 0.01, None),
    "adam": (lambda: optimizers.Adam(learning_rate=0.1), adam_update(), zeros("m", "v"), 0.1, None),
    "adam_amsgrad": (lambda: optimizers.Adam(learning_rate=0.1, amsgrad=True),
                     adam_update(amsgrad=True), zeros("m", "v", "v_hat"), 0.1, None),
    "adamw": (lambda: optimizers.AdamW(learning_rate=0.1, weight_decay=0.05), adam_update(),
              zeros("m", "v"), 0.1, 0.05),
    "adagrad": (lambda: optimizers.Adagrad(learning_rate=0.1), adagrad_update(),
                zeros(accumulator=0.1), 0.1, None),
    "adadelta": (lambda: optimizers.Adadelta(learning_rate=1.0), adadelta_update(),
                 zeros("grad", "delta"), 1.0, None),
    "adamax": (lambda: optimizers.Adamax(learning_rate=0.1), adamax_update(), zeros("m", "u"),
               0.1, None),
    "nadam": (lambda: optimizers.Nadam(learning_rate=0.1), nadam_update(),
              zeros("m", "v", u_product=1.0), 0.1, None),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_update_rule_matches_keras(case):
    make, update, state_init, lr, weight_decay = CASES[case]
    optimizer = make()
    actual = run(optimizer)
    expected = reference(update, state_init, lr, weight_decay)
    for a, e in zip(actual, expected):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL)
    assert int(numpy_of(optimizer.iterations.value)) == len(GRADIENTS)


@pytest.mark.parametrize("cls, defaults", [
    (optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}),
    (optimizers.RMSprop, {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                          "centered": False}),
    (optimizers.Adam, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                       "amsgrad": False}),
    (optimizers.AdamW, {"learning_rate": 0.001, "weight_decay": 0.004}),
    (optimizers.Adagrad, {"learning_rate": 0.001, "initial_accumulator_value": 0.1,
                          "epsilon": 1e-7}),
    (optimizers.Adadelta, {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}),
    (optimizers.Adamax, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
    (optimizers.Nadam, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
])
def test_keras_defaults(cls, defaults):
    config = cls().get_config()
    for key, value in defaults.items():
        assert config[key] == pytest.approx(value, rel=1e-7), key


def test_slots_variables_and_names():
    optimizer = optimizers.Adam(amsgrad=True)
    variables = make_variables()
    variables[0].path = "dense/kernel"
    optimizer.build(variables)
    names = [v.name for v in optimizer.variables]
    assert names[:2] == ["adam/iteration", "adam/learning_rate"]
    assert "adam/dense_kernel_momentum" in names and "adam/w1_velocity_hat" in names
    assert len(optimizer.variables) == 2 + 3 * len(variables)
    assert all(not v.trainable for v in optimizer.variables)
    assert optimizer.iterations.dtype == "int64"
    slot = optimizer.add_variable_from_reference(variables[1], "extra")
    assert slot.shape == (2, 2) and slot.dtype == "float32"
    np.testing.assert_array_equal(slot.numpy(), np.zeros((2, 2)))


# ---------------------------------------------------------------- clipping
def sgd_delta(optimizer, grads):
    variables = make_variables()
    optimizer.apply([g.copy() for g in grads], variables)
    return [initial - v.numpy() for initial, v in zip(INITIAL, variables)]


def test_clipnorm_clips_each_gradient():
    grads = [np.array([3.0, 4.0, 0.0], "float32"), np.array([[0.1, 0.0], [0.0, 0.1]], "float32")]
    delta = sgd_delta(optimizers.SGD(learning_rate=1.0, clipnorm=1.0), grads)
    np.testing.assert_allclose(delta[0], grads[0] / 5.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(delta[1], grads[1], rtol=1e-5, atol=1e-6)  # norm < 1: unchanged


def test_clipvalue():
    grads = [np.array([3.0, -4.0, 0.2], "float32"), np.array([[0.1, -2.0], [0.0, 0.6]], "float32")]
    delta = sgd_delta(optimizers.SGD(learning_rate=1.0, clipvalue=0.5), grads)
    for d, g in zip(delta, grads):
        np.testing.assert_allclose(d, np.clip(g, -0.5, 0.5), rtol=1e-5, atol=1e-6)


def test_global_clipnorm_scales_all_gradients_together():
    grads = [np.array([3.0, 0.0, 0.0], "float32"), np.array([[0.0, 4.0], [0.0, 0.0]], "float32")]
    delta = sgd_delta(optimizers.SGD(learning_rate=1.0, global_clipnorm=2.5), grads)
    for d, g in zip(delta, grads):
        np.testing.assert_allclose(d, g * 0.5, rtol=1e-5, atol=1e-6)  # global norm 5


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


# ------------------------------------------------------------ weight decay
def test_decoupled_weight_decay_and_exclusions():
    optimizer = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    variables = make_variables()
    variables[1].name = "bias"
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    zero_grads = [np.zeros_like(v) for v in INITIAL]
    optimizer.apply(zero_grads, variables)
    np.testing.assert_allclose(variables[0].numpy(), INITIAL[0] * (1 - 0.5 * 0.1), rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), INITIAL[1], rtol=1e-6)
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


def test_exclude_from_weight_decay_by_variable():
    optimizer = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    variables = make_variables()
    optimizer.exclude_from_weight_decay(var_list=[variables[0]])
    optimizer.apply([np.zeros_like(v) for v in INITIAL], variables)
    np.testing.assert_allclose(variables[0].numpy(), INITIAL[0], rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), INITIAL[1] * 0.95, rtol=1e-6)


def test_adamw_needs_weight_decay():
    with pytest.raises(ValueError, match="weight_decay=None"):
        optimizers.AdamW(weight_decay=None)


# --------------------------------------------------------- Keras 2 arguments
def test_keras2_lr_alias():
    optimizer = optimizers.SGD(lr=0.5)
    assert float(optimizer.learning_rate) == pytest.approx(0.5)
    delta = sgd_delta(optimizer, GRADIENTS[0])
    np.testing.assert_allclose(delta[0], 0.5 * GRADIENTS[0][0], rtol=1e-5, atol=1e-7)
    optimizer.lr = 0.25
    assert float(optimizer.learning_rate) == pytest.approx(0.25)
    assert float(ops.convert_to_numpy(optimizer.lr)) == pytest.approx(0.25)


def test_lr_and_learning_rate_both_given():
    with pytest.raises(TypeError, match="both `lr`"):
        optimizers.Adam(learning_rate=0.01, lr=0.1)
    with pytest.raises(TypeError, match="both `lr`"):
        optimizers.SGD(0.01, lr=0.1)


def test_unknown_keyword_argument():
    with pytest.raises(TypeError, match="'foo'"):
        optimizers.Adam(foo=1)


def test_keras2_time_based_decay():
    optimizer = optimizers.SGD(learning_rate=0.1, decay=0.5)
    variable = Variable(np.array([1.0], "float32"))
    expected = 1.0
    for t in range(4):
        optimizer.apply([np.array([1.0], "float32")], [variable])
        expected -= 0.1 / (1 + 0.5 * t)
    np.testing.assert_allclose(variable.numpy(), [expected], rtol=1e-6)
    # `learning_rate` stays the undecayed base rate, as Keras 2's `optimizer.lr`.
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_keras2_rmsprop_decay_rate():
    optimizer = optimizers.RMSprop(learning_rate=0.0001, decay=1e-6)
    optimizer.build(make_variables())
    for t in (0, 1000, 250000):
        optimizer.iterations.assign(t)
        np.testing.assert_allclose(numpy_of(optimizer._step_learning_rate()),
                                   1e-4 / (1 + 1e-6 * t), rtol=1e-6)
    assert optimizer.get_config()["decay"] == 1e-6


# ----------------------------------------------------------- learning rates
def test_setting_learning_rate_between_steps():
    optimizer = optimizers.SGD(learning_rate=0.1)
    variable = Variable(np.array([1.0], "float32"))
    optimizer.apply([np.array([1.0], "float32")], [variable])
    optimizer.learning_rate = 0.5
    assert float(optimizer.learning_rate) == pytest.approx(0.5)
    optimizer.apply([np.array([1.0], "float32")], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.0 - 0.1 - 0.5], rtol=1e-6)
    assert optimizer.get_config()["learning_rate"] == pytest.approx(0.5)


def test_schedule_drives_the_step_and_cannot_be_set_to_a_float():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    optimizer = optimizers.SGD(learning_rate=schedule)
    variable = Variable(np.array([1.0], "float32"))
    for _ in range(3):
        optimizer.apply([np.array([1.0], "float32")], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.0 - 0.1 - 0.05 - 0.025], rtol=1e-6)
    assert float(optimizer.learning_rate) == pytest.approx(0.0125)
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.5


def test_callable_learning_rate():
    optimizer = optimizers.SGD(learning_rate=lambda step: ops.divide(
        0.1, ops.add(ops.cast(step, "float32"), 1.0)))
    variable = Variable(np.array([1.0], "float32"))
    for _ in range(3):
        optimizer.apply([np.array([1.0], "float32")], [variable])
    np.testing.assert_allclose(variable.numpy(), [1.0 - 0.1 - 0.05 - 0.1 / 3], rtol=1e-6)
    constant = optimizers.SGD(learning_rate=lambda: 0.2)  # Keras 3's no-argument form
    assert float(constant.learning_rate) == pytest.approx(0.2)


def test_invalid_learning_rate():
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.SGD(learning_rate="fast")


SCHEDULE_CASES = [
    (schedules.ExponentialDecay(0.1, 10, 0.5),
     lambda s: 0.1 * 0.5 ** (s / 10)),
    (schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 * 0.5 ** (s // 10)),
    (schedules.PiecewiseConstantDecay([5, 15], [1.0, 0.5, 0.1]),
     lambda s: 1.0 if s <= 5 else (0.5 if s <= 15 else 0.1)),
    (schedules.InverseTimeDecay(0.1, 10, 0.5),
     lambda s: 0.1 / (1 + 0.5 * s / 10)),
    (schedules.InverseTimeDecay(0.1, 10, 0.5, staircase=True),
     lambda s: 0.1 / (1 + 0.5 * (s // 10))),
    (schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, power=2.0),
     lambda s: (0.1 - 0.01) * (1 - min(s, 20) / 20) ** 2 + 0.01),
    (schedules.PolynomialDecay(0.1, 20, end_learning_rate=0.01, cycle=True),
     lambda s: (0.1 - 0.01) * (1 - s / (20 * max(1, math.ceil(s / 20)))) + 0.01),
    (schedules.CosineDecay(0.1, 20, alpha=0.1),
     lambda s: 0.1 * ((1 - 0.1) * 0.5 * (1 + math.cos(math.pi * min(s, 20) / 20)) + 0.1)),
    (schedules.CosineDecay(0.0, 20, warmup_target=0.2, warmup_steps=10),
     lambda s: 0.2 * s / 10 if s < 10
     else 0.2 * 0.5 * (1 + math.cos(math.pi * (min(s, 30) - 10) / 20))),
]


@pytest.mark.parametrize("index", range(len(SCHEDULE_CASES)))
def test_schedule_values(index):
    schedule, formula = SCHEDULE_CASES[index]
    for step in (0, 1, 5, 6, 10, 15, 16, 25, 40):
        np.testing.assert_allclose(numpy_of(schedule(step)), formula(step), rtol=1e-5,
                                   atol=1e-7, err_msg=f"step {step}")
    step_variable = Variable(7, dtype="int64", trainable=False)
    np.testing.assert_allclose(numpy_of(schedule(step_variable)), formula(7), rtol=1e-5)
    restored = schedules.deserialize(schedules.serialize(schedule))
    assert type(restored) is type(schedule) and restored.get_config() == schedule.get_config()


def test_schedule_errors():
    with pytest.raises(ValueError, match="decay_steps"):
        schedules.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="1 less than"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0])
    with pytest.raises(ValueError, match="Unknown learning rate schedule"):
        schedules.deserialize({"class_name": "Nope", "config": {}})


# ------------------------------------------------- get / (de)serialization
@pytest.mark.parametrize("name, cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop),
    ("RMSprop", optimizers.RMSprop), ("adam", optimizers.Adam), ("Adam", optimizers.Adam),
    ("adamw", optimizers.AdamW), ("adagrad", optimizers.Adagrad),
    ("adadelta", optimizers.Adadelta), ("adamax", optimizers.Adamax),
    ("nadam", optimizers.Nadam), ("Nadam", optimizers.Nadam),
])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_instances_dicts_and_unknown_names():
    optimizer = optimizers.Adam()
    assert optimizers.get(optimizer) is optimizer
    assert optimizers.get(None) is None
    assert type(optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3}})) \
        is optimizers.SGD
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 'foo'") as info:
        optimizers.get("foo")
    assert "adam" in str(info.value) and "rmsprop" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)


@pytest.mark.parametrize("make", [
    lambda: optimizers.SGD(learning_rate=0.3, momentum=0.5, nesterov=True, clipnorm=1.0),
    lambda: optimizers.RMSprop(learning_rate=0.002, centered=True, decay=1e-4),
    lambda: optimizers.Adam(learning_rate=0.003, amsgrad=True, global_clipnorm=2.0),
    lambda: optimizers.AdamW(weight_decay=0.1, name="my_adamw"),
    lambda: optimizers.Nadam(learning_rate=schedules.CosineDecay(0.1, 100)),
])
def test_serialize_round_trip(make):
    optimizer = make()
    config = optimizers.serialize(optimizer)
    restored = optimizers.deserialize(config)
    assert type(restored) is type(optimizer)
    assert restored.get_config() == optimizer.get_config()
    assert optimizers.get(config).get_config() == optimizer.get_config()


def test_deserialize_keras2_config():
    config = {"class_name": "Adam", "config": {
        "name": "Adam", "learning_rate": 0.01, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-07, "amsgrad": False, "jit_compile": False,
        "is_legacy_optimizer": False}}
    optimizer = optimizers.deserialize(config)
    assert isinstance(optimizer, optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)


# --------------------------------------------------- apply's other duties
def test_none_gradients_are_skipped():
    optimizer = optimizers.SGD(learning_rate=1.0)
    variables = make_variables()
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizer.apply([GRADIENTS[0][0], None], variables)
    np.testing.assert_allclose(variables[0].numpy(), INITIAL[0] - GRADIENTS[0][0], rtol=1e-6)
    np.testing.assert_array_equal(variables[1].numpy(), INITIAL[1])
    with pytest.raises(ValueError, match="No gradients provided"):
        optimizer.apply([None, None], variables)


def test_constraints_are_applied_after_the_update():
    optimizer = optimizers.SGD(learning_rate=1.0)
    variables = make_variables()
    variables[0].constraint = NonNeg()
    optimizer.apply([np.array([2.0, 0.0, 0.0], "float32"), GRADIENTS[0][1]], variables)
    np.testing.assert_allclose(variables[0].numpy(), [0.0, 0.0, 3.0])


def test_apply_after_build_and_unknown_variables():
    optimizer = optimizers.SGD(learning_rate=1.0)
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply(GRADIENTS[0])
    variables = make_variables()
    optimizer.build(variables)
    optimizer.apply(GRADIENTS[0])
    np.testing.assert_allclose(variables[1].numpy(), INITIAL[1] - GRADIENTS[0][1], rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([GRADIENTS[0][0]], [Variable(INITIAL[0].copy())])


def test_apply_gradients_returns_iterations():
    optimizer = optimizers.Adam()
    variables = make_variables()
    iterations = optimizer.apply_gradients(zip(GRADIENTS[0], variables))
    assert iterations is optimizer.iterations
    assert int(numpy_of(iterations.value)) == 1


def test_loss_scale_factor_unscales_gradients():
    optimizer = optimizers.SGD(learning_rate=1.0, loss_scale_factor=4.0)
    assert float(numpy_of(optimizer.scale_loss(2.0))) == pytest.approx(8.0)
    delta = sgd_delta(optimizer, [g * 4 for g in GRADIENTS[0]])
    np.testing.assert_allclose(delta[0], GRADIENTS[0][0], rtol=1e-5, atol=1e-7)


def test_unsupported_options():
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)


def test_get_and_set_weights():
    source = optimizers.Adam(learning_rate=0.1)
    run(source)
    target = optimizers.Adam(learning_rate=0.1)
    target.build(make_variables())
    target.set_weights(source.get_weights())
    for a, b in zip(source.variables, target.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ------------------------------------------------- stateless and compiled
def test_apply_in_stateless_scope_records_updates_only():
    optimizer = optimizers.Adam(learning_rate=0.1)
    variables = make_variables()
    optimizer.build(variables)
    state = variables + optimizer.variables
    before = [v.numpy().copy() for v in state]
    with StatelessScope([(v, v.value) for v in state]) as scope:
        optimizer.apply([g.copy() for g in GRADIENTS[0]], variables)
    for variable, value in zip(state, before):
        np.testing.assert_array_equal(variable.numpy(), value)
    updated = {id(v) for v, _ in scope.updates()}
    learning_rate_variable = optimizer.variables[1]
    assert {id(v) for v in state if v is not learning_rate_variable} == updated
    expected = reference(adam_update(), zeros("m", "v"), 0.1, steps=GRADIENTS[:1])
    for variable, e in zip(variables, expected):
        np.testing.assert_allclose(numpy_of(scope.get_current_value(variable)), e,
                                   rtol=RTOL, atol=ATOL)
    assert int(numpy_of(scope.get_current_value(optimizer.iterations))) == 1


def test_stateless_apply():
    optimizer = optimizers.SGD(learning_rate=0.5, momentum=0.9)
    variables = make_variables()
    optimizer.build(variables)
    new_weights, new_state = optimizer.stateless_apply(
        [v.value for v in optimizer.variables], GRADIENTS[0], [v.value for v in variables])
    np.testing.assert_array_equal(variables[0].numpy(), INITIAL[0])
    np.testing.assert_allclose(numpy_of(new_weights[0]), INITIAL[0] - 0.5 * GRADIENTS[0][0],
                               rtol=1e-6)
    assert int(numpy_of(new_state[0])) == 1


def test_compiled_step_sees_learning_rate_changes():
    adapter = kfacade.backend.adapter
    if not hasattr(adapter, "compile_function"):
        pytest.skip(f"the {adapter.name} adapter has no compile_function yet")
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.5)
    variables = make_variables()
    optimizer.build(variables)

    def fn(data):
        optimizer.apply(list(data), variables)
        return {"iterations": optimizer.iterations.value}

    step = adapter.compile_function(fn, variables + optimizer.variables, jit_compile=False)
    rates = [0.1, 0.1, 0.5, 0.05]
    for rate, grads in zip(rates, GRADIENTS):
        optimizer.learning_rate = rate
        step(tuple(ops.convert_to_tensor(g) for g in grads))
    expected = []
    for index, initial in enumerate(INITIAL):
        w, m = initial.astype("float64"), 0.0
        for rate, grads in zip(rates, GRADIENTS):
            m = 0.5 * m - rate * grads[index]
            w = w + m
        expected.append(w)
    for variable, e in zip(variables, expected):
        np.testing.assert_allclose(variable.numpy(), e, rtol=RTOL, atol=ATOL)
    assert int(numpy_of(optimizer.iterations.value)) == len(rates)


def test_repr_and_get_config_have_no_side_effects():
    optimizer = optimizers.Adam(learning_rate=0.25)
    text = repr(optimizer)
    assert "Adam" in text and "0.25" in text
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        config = optimizer.get_config()
    assert config["name"] == "adam" and config["learning_rate"] == pytest.approx(0.25)


def test_keras_style_subclass_overriding_update_step():
    class PlainDescent(optimizers.Optimizer):
        def __init__(self, learning_rate=0.5, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def update_step(self, gradient, variable, learning_rate):
            variable.assign(ops.subtract(variable.value, ops.multiply(gradient, learning_rate)))

    optimizer = PlainDescent()
    assert optimizer.name == "plain_descent"
    delta = sgd_delta(optimizer, GRADIENTS[1])
    for d, g in zip(delta, GRADIENTS[1]):
        np.testing.assert_allclose(d, 0.5 * g, rtol=1e-5, atol=1e-7)
