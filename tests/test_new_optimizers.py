"""Lion, Lamb, Ftrl and Adafactor against NumPy references of Keras 3's
update rules (keras/src/optimizers/lion.py, lamb.py, ftrl.py, adafactor.py).

The references run in float64 from the same float32 inputs, replaying the
base class's duties in Keras's order: unscale and clip the gradients, apply
the decoupled weight decay, then update. Three variables of one, two and
three dimensions cover Adafactor's unfactored and factored second moments.
"""
import numpy as np
import pytest

import kfacade
from kfacade import layers
from kfacade import ops
from kfacade import optimizers
from kfacade.optimizers import schedules
from kfacade.variables import Variable

RTOL = 1e-5
ATOL = 1e-6
NEW = {"lion": optimizers.Lion, "lamb": optimizers.Lamb, "ftrl": optimizers.Ftrl,
       "adafactor": optimizers.Adafactor}

_rng = np.random.default_rng(7)
SHAPES = [(3,), (2, 3), (2, 2, 3)]
INITIAL = [_rng.uniform(-2.0, 2.0, shape).astype("float32") for shape in SHAPES]
# Three steps; the last one much smaller, so the state's history matters.
GRADIENTS = [[(_rng.uniform(-0.5, 0.5, shape) * scale).astype("float32") for shape in SHAPES]
             for scale in (1.0, 1.0, 0.05)]


def numpy_of(x):
    return np.asarray(ops.convert_to_numpy(x))


def make_variables():
    return [Variable(value.copy(), name=f"w{i}") for i, value in enumerate(INITIAL)]


def run(optimizer):
    variables = make_variables()
    for grads in GRADIENTS:
        optimizer.apply([g.copy() for g in grads], variables)
    return [v.numpy() for v in variables]


# ------------------------------------------------------------ references
def reference(update, state_init, lr, weight_decay=None, clipnorm=None, clipvalue=None,
              global_clipnorm=None):
    """Runs `update(w, g, state, lr, t)` per variable; `t` counts from 0 and
    `lr` may be a function of `t` (a schedule)."""
    ws = [w.astype("float64") for w in INITIAL]
    states = [state_init(w) for w in ws]
    for t, grads in enumerate(GRADIENTS):
        grads = [g.astype("float64") for g in grads]
        if clipnorm is not None:
            grads = [g * clipnorm / max(np.linalg.norm(g), clipnorm) for g in grads]
        if global_clipnorm is not None:
            norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
            grads = [g * min(1.0, global_clipnorm / norm) for g in grads]
        if clipvalue is not None:
            grads = [np.clip(g, -clipvalue, clipvalue) for g in grads]
        rate = lr(t) if callable(lr) else lr
        for i, (w, g) in enumerate(zip(ws, grads)):
            if weight_decay is not None:
                w = w - w * weight_decay * rate
            ws[i] = update(w, g, states[i], rate, t)
    return ws


def lion_update(beta_1=0.9, beta_2=0.99):
    def update(w, g, s, lr, t):
        direction = beta_1 * s["m"] + (1 - beta_1) * g
        assert np.all(np.abs(direction) > 1e-7)  # beyond float32 rounding: signs agree
        s["m"] = beta_2 * s["m"] + (1 - beta_2) * g
        return w - lr * np.sign(direction)
    return update


def lamb_update(beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def update(w, g, s, lr, t):
        s["m"] += (g - s["m"]) * (1 - beta_1)
        s["v"] += (g ** 2 - s["v"]) * (1 - beta_2)
        # Keras raises the float32 betas to the power in float32.
        beta_1_power = float(np.float32(beta_1) ** np.float32(t + 1))
        beta_2_power = float(np.float32(beta_2) ** np.float32(t + 1))
        step = (s["m"] / (1 - beta_1_power)) / (np.sqrt(s["v"] / (1 - beta_2_power)) + epsilon)
        w_norm, step_norm = np.linalg.norm(w), np.linalg.norm(step)
        ratio = w_norm / step_norm if w_norm > 0 and step_norm > 0 else 1.0
        return w - ratio * lr * step
    return update


def ftrl_update(learning_rate_power=-0.5, l1=0.0, l2=0.0, l2_shrinkage=0.0, beta=0.0):
    def update(w, g, s, lr, t):
        p = -learning_rate_power
        shrunk = g + 2 * l2_shrinkage * w
        n_new = s["n"] + g ** 2
        s["z"] = s["z"] + shrunk - (n_new ** p - s["n"] ** p) / lr * w
        quadratic = n_new ** p / lr + 2 * (l2 + beta / (2 * lr))
        s["n"] = n_new
        return (np.clip(s["z"], -l1, l1) - s["z"]) / quadratic
    return update


def adafactor_update(beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0):
    def rms(x):
        return np.sqrt(np.mean(x ** 2))

    def update(w, g, s, lr, t):
        step = t + 1.0
        rho = min(lr, 1 / np.sqrt(step))
        alpha = max(epsilon_2, rms(w)) * rho
        beta_2_t = 1 - step ** beta_2_decay
        squares = g ** 2 + epsilon_1
        if w.ndim >= 2:
            s["r"] = beta_2_t * s["r"] + (1 - beta_2_t) * squares.mean(axis=-1)
            s["c"] = beta_2_t * s["c"] + (1 - beta_2_t) * squares.mean(axis=-2)
            v = (s["r"] / s["r"].mean(axis=-1, keepdims=True))[..., None] * s["c"][..., None, :]
        else:
            s["v"] = beta_2_t * s["v"] + (1 - beta_2_t) * squares
            v = s["v"]
        u = g / np.sqrt(v)
        return w - alpha * u / max(1.0, rms(u) / clip_threshold)
    return update


def state(**initial):
    def init(w):
        out = {name: np.full_like(w, value) for name, value in initial.items()}
        out["r"] = np.zeros(w.shape[:-1])
        out["c"] = np.zeros(w.shape[:-2] + w.shape[-1:])
        return out
    return init


def halving(t):
    return 0.1 * 0.5 ** t


CASES = {
    "lion": (lambda: optimizers.Lion(learning_rate=0.1), lion_update(), state(m=0), 0.1, {}),
    "lion_betas_decay_clipnorm": (
        lambda: optimizers.Lion(learning_rate=0.1, beta_1=0.5, beta_2=0.9, weight_decay=0.2,
                                clipnorm=0.4),
        lion_update(0.5, 0.9), state(m=0), 0.1, dict(weight_decay=0.2, clipnorm=0.4)),
    "lamb": (lambda: optimizers.Lamb(learning_rate=0.1), lamb_update(), state(m=0, v=0), 0.1, {}),
    "lamb_decay_clipvalue": (
        lambda: optimizers.Lamb(learning_rate=0.05, beta_1=0.8, weight_decay=0.1,
                                clipvalue=0.2),
        lamb_update(beta_1=0.8), state(m=0, v=0), 0.05, dict(weight_decay=0.1, clipvalue=0.2)),
    "ftrl": (lambda: optimizers.Ftrl(learning_rate=0.1), ftrl_update(), state(n=0.1, z=0),
             0.1, {}),
    "ftrl_regularized": (
        lambda: optimizers.Ftrl(learning_rate=0.2, learning_rate_power=-0.3,
                                initial_accumulator_value=0.5, l1_regularization_strength=0.05,
                                l2_regularization_strength=0.02,
                                l2_shrinkage_regularization_strength=0.03, beta=0.1),
        ftrl_update(-0.3, 0.05, 0.02, 0.03, 0.1), state(n=0.5, z=0), 0.2, {}),
    "ftrl_fixed_rate_schedule": (
        lambda: optimizers.Ftrl(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5),
                                learning_rate_power=0.0, global_clipnorm=0.5),
        ftrl_update(0.0), state(n=0.1, z=0), halving, dict(global_clipnorm=0.5)),
    "adafactor": (lambda: optimizers.Adafactor(learning_rate=0.1), adafactor_update(),
                  state(v=0), 0.1, {}),
    "adafactor_options_schedule": (
        lambda: optimizers.Adafactor(learning_rate=schedules.ExponentialDecay(0.1, 1, 0.5),
                                     beta_2_decay=-0.5, epsilon_2=0.5, clip_threshold=0.5,
                                     relative_step=False, weight_decay=0.1),
        adafactor_update(-0.5, epsilon_2=0.5, clip_threshold=0.5), state(v=0), halving,
        dict(weight_decay=0.1)),
    # A rate above 1 / sqrt(t): Adafactor's step size then follows 1 / sqrt(t).
    "adafactor_large_rate": (lambda: optimizers.Adafactor(learning_rate=2.0, global_clipnorm=1.0),
                             adafactor_update(), state(v=0), 2.0, dict(global_clipnorm=1.0)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_update_rule_matches_keras(case):
    make, update, state_init, lr, options = CASES[case]
    optimizer = make()
    actual = run(optimizer)
    expected = reference(update, state_init, lr, **options)
    for a, e, initial in zip(actual, expected, INITIAL):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL)
        assert not np.allclose(a, initial)  # the update did something
    assert int(numpy_of(optimizer.iterations.value)) == len(GRADIENTS)


def test_lamb_trust_ratio_is_one_for_a_zero_variable():
    optimizer = optimizers.Lamb(learning_rate=0.1)
    variable = Variable(np.zeros(3, "float32"), name="zero")
    optimizer.apply([GRADIENTS[0][0].copy()], [variable])
    # First step: m_hat = g and v_hat = g ** 2, so the step is ~sign(g).
    np.testing.assert_allclose(variable.numpy(), -0.1 * np.sign(GRADIENTS[0][0]), rtol=1e-5)


def test_ftrl_l1_zeroes_small_weights():
    optimizer = optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=10.0)
    variables = make_variables()
    optimizer.apply([g.copy() for g in GRADIENTS[0]], variables)
    for variable in variables:
        np.testing.assert_array_equal(variable.numpy(), 0.0)


def test_stateless_apply_matches_apply():
    for name, cls in NEW.items():
        eager, stateless = cls(learning_rate=0.1), cls(learning_rate=0.1)
        eager_variables = make_variables()
        eager.apply([g.copy() for g in GRADIENTS[0]], eager_variables)
        variables = make_variables()
        stateless.build(variables)
        new_weights, new_state = stateless.stateless_apply(
            [v.value for v in stateless.variables], GRADIENTS[0], [v.value for v in variables])
        for variable, initial, weight, expected in zip(variables, INITIAL, new_weights,
                                                       eager_variables):
            np.testing.assert_array_equal(variable.numpy(), initial)  # nothing assigned
            np.testing.assert_allclose(numpy_of(weight), expected.numpy(), rtol=1e-6,
                                       atol=1e-7, err_msg=name)
        for expected, actual in zip(eager.variables, new_state):
            np.testing.assert_allclose(numpy_of(actual), expected.numpy(), rtol=1e-6,
                                       atol=1e-7, err_msg=name)
        assert int(numpy_of(new_state[0])) == 1


# ------------------------------------------------------------------ slots
def test_slot_variables_in_keras_order():
    variables = make_variables()
    shapes = {
        "lion": [(3,), (2, 3), (2, 2, 3)],
        "lamb": [(3,), (3,), (2, 3), (2, 3), (2, 2, 3), (2, 2, 3)],
        "ftrl": [(3,), (3,), (2, 3), (2, 3), (2, 2, 3), (2, 2, 3)],
        # Per variable r, c, velocity; a 1-D variable's r and c are int scalars.
        "adafactor": [(), (), (3,), (2,), (3,), (2, 3), (2, 2), (2, 3), (2, 2, 3)],
    }
    for name, cls in NEW.items():
        optimizer = cls()
        optimizer.build(variables)
        slots = optimizer.variables[2:]
        assert [tuple(v.shape) for v in slots] == shapes[name], name
        assert all(not v.trainable for v in optimizer.variables)
        assert optimizer.variables[0].name == f"{name}/iteration"
    ftrl = optimizers.Ftrl(initial_accumulator_value=0.25)
    ftrl.build(variables)
    np.testing.assert_array_equal(ftrl.variables[2].numpy(), np.full(3, 0.25, "float32"))
    adafactor = optimizers.Adafactor()
    adafactor.build(variables)
    assert adafactor.variables[2].dtype == "int32"


# ------------------------------------------------------------------- fit
@pytest.mark.parametrize("name, learning_rate", [
    ("lion", 0.1), ("lamb", 0.05), ("ftrl", 0.5), ("adafactor", 0.1)])
def test_compiled_fit_lowers_the_loss(name, learning_rate):
    kfacade.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], "float32")).astype("float32")
    model = kfacade.Sequential([kfacade.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer=NEW[name](learning_rate=learning_rate), loss="mse")
    losses = model.fit(x, y, batch_size=16, epochs=4, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)), losses
    assert losses[-1] < 0.9 * losses[0], losses
    assert int(numpy_of(model.optimizer.iterations.value)) == 8


# ------------------------------------------------- defaults and configs
DEFAULTS = {
    "lion": {"name": "lion", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
    "lamb": {"name": "lamb", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999,
             "epsilon": 1e-7},
    "ftrl": {"name": "ftrl", "learning_rate": 0.001, "learning_rate_power": -0.5,
             "initial_accumulator_value": 0.1, "l1_regularization_strength": 0.0,
             "l2_regularization_strength": 0.0, "l2_shrinkage_regularization_strength": 0.0,
             "beta": 0.0},
    "adafactor": {"name": "adafactor", "learning_rate": 0.001, "beta_2_decay": -0.8,
                  "epsilon_1": 1e-30, "epsilon_2": 1e-3, "clip_threshold": 1.0,
                  "relative_step": True},
}
BASE_KEYS = {"name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm",
             "clipvalue", "use_ema", "ema_momentum", "ema_overwrite_frequency",
             "loss_scale_factor", "gradient_accumulation_steps"}


@pytest.mark.parametrize("name", sorted(NEW))
def test_keras_defaults_and_config_keys(name):
    config = NEW[name]().get_config()
    assert set(config) == BASE_KEYS | set(DEFAULTS[name])
    for key, value in DEFAULTS[name].items():
        assert config[key] == (value if isinstance(value, str) else pytest.approx(value, rel=1e-7))


@pytest.mark.parametrize("make", [
    lambda: optimizers.Lion(learning_rate=0.003, beta_1=0.8, beta_2=0.95, weight_decay=0.1,
                            clipnorm=1.0, name="my_lion"),
    lambda: optimizers.Lamb(learning_rate=schedules.CosineDecay(0.1, 100), epsilon=1e-6,
                            global_clipnorm=2.0),
    lambda: optimizers.Ftrl(learning_rate=0.2, learning_rate_power=-0.25,
                            initial_accumulator_value=0.3, l1_regularization_strength=0.01,
                            l2_regularization_strength=0.02,
                            l2_shrinkage_regularization_strength=0.03, beta=0.5,
                            clipvalue=0.5),
    lambda: optimizers.Adafactor(learning_rate=0.01, beta_2_decay=-0.5, epsilon_1=1e-20,
                                 epsilon_2=1e-2, clip_threshold=2.0, relative_step=False,
                                 loss_scale_factor=8.0, decay=1e-4),
])
def test_config_round_trip(make):
    optimizer = make()
    config = optimizer.get_config()
    restored = type(optimizer).from_config(config)
    assert restored.get_config() == config
    serialized = optimizers.serialize(optimizer)
    assert type(optimizers.deserialize(serialized)) is type(optimizer)
    assert optimizers.deserialize(serialized).get_config() == config
    assert optimizers.get(serialized).get_config() == config


@pytest.mark.parametrize("name", ["lion", "Lion", "lamb", "LAMB", "ftrl", "Ftrl", "adafactor",
                                  "Adafactor"])
def test_get_by_name(name):
    optimizer = optimizers.get(name)
    assert type(optimizer) is NEW[name.lower()]
    assert optimizer.name == name.lower()


def test_keras2_lr_alias():
    assert float(optimizers.Lion(lr=0.02).learning_rate) == pytest.approx(0.02)
    with pytest.raises(TypeError, match="both `lr`"):
        optimizers.Ftrl(learning_rate=0.1, lr=0.2)


# -------------------------------------------------------- argument errors
@pytest.mark.parametrize("kwargs, message", [
    (dict(initial_accumulator_value=-0.1),
     "`initial_accumulator_value` needs to be positive or zero. Received: "
     "initial_accumulator_value=-0.1."),
    (dict(learning_rate_power=0.5),
     "`learning_rate_power` needs to be negative or zero. Received: learning_rate_power=0.5."),
    (dict(l1_regularization_strength=-1.0),
     "`l1_regularization_strength` needs to be positive or zero. Received: "
     "l1_regularization_strength=-1.0."),
    (dict(l2_regularization_strength=-2.0),
     "`l2_regularization_strength` needs to be positive or zero. Received: "
     "l2_regularization_strength=-2.0."),
    (dict(l2_shrinkage_regularization_strength=-3.0),
     "`l2_shrinkage_regularization_strength` needs to be positive or zero. Received: "
     "l2_shrinkage_regularization_strength=-3.0."),
])
def test_ftrl_argument_errors(kwargs, message):
    with pytest.raises(ValueError) as info:
        optimizers.Ftrl(**kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize("beta_1", [0.0, -0.5, 1.5])
def test_lion_beta_1_range(beta_1):
    with pytest.raises(ValueError) as info:
        optimizers.Lion(beta_1=beta_1)
    assert str(info.value) == (
        "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
        f"degenerates to SignSGD. Received: beta_1={beta_1}.")
    optimizers.Lion(beta_1=1.0)  # 1 is allowed


def test_common_argument_errors():
    with pytest.raises(ValueError, match="Only one of `clipnorm`"):
        optimizers.Lamb(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.Adafactor(use_ema=True, ema_momentum=-0.1)
    with pytest.raises(TypeError, match="Unexpected keyword argument"):
        optimizers.Lion(momentum=0.9)
