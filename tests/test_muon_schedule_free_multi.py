"""Muon, ScheduleFreeAdamW, MultiOptimizer and OptimizerMap (Keras 3.15's).

The updates are checked against float64 NumPy references written from the
documented math (the class docstrings): Muon's Newton-Schulz step for 2-D
variables and its AdamW fallback for the rest, and Schedule-Free AdamW's
``z``/``x``/``y`` sequences. MultiOptimizer is checked by delegation: each
variable must end as its sub-optimizer alone would leave it.
"""
import numpy as np
import pytest

import kfacade
from kfacade import layers, ops, optimizers
from kfacade.variables import Variable

RTOL, ATOL = 2e-5, 2e-6
_rng = np.random.default_rng(11)
# Paths decide Muon's rule: wide and tall kernels take the Muon step; the
# bias (1-D), the 3-D kernel, the embedding and the excluded "head" AdamW.
# Few distinct shapes: JAX compiles each eager op once per shape.
SHAPES = {"dense/kernel": (3, 4), "tall/kernel": (4, 3), "dense/bias": (4,),
          "conv/kernel": (2, 4, 3), "embedding/embeddings": (4, 3), "head/kernel": (3, 4)}
INITIAL = {path: _rng.uniform(-1.0, 1.0, shape).astype("float32") for path, shape in SHAPES.items()}
GRADIENTS = [{path: _rng.uniform(-1.0, 1.0, shape).astype("float32")
              for path, shape in SHAPES.items()} for _ in range(3)]


def make_variables():
    return [Variable(INITIAL[path].copy(), name=path) for path in SHAPES]


def run(optimizer, gradients=GRADIENTS):
    variables = make_variables()
    for step in gradients:
        optimizer.apply([ops.convert_to_tensor(step[path]) for path in SHAPES], variables)
    return {path: v.numpy() for path, v in zip(SHAPES, variables)}


def assert_close(actual, expected):
    for path in expected:
        np.testing.assert_allclose(actual[path], expected[path], rtol=RTOL, atol=ATOL,
                                   err_msg=path)


# ------------------------------------------------------------------ Muon
def newton_schulz(x, steps, a=3.4445, b=-4.7750, c=2.0315):
    tall = x.shape[0] > x.shape[1]
    x = x.T if tall else x
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


def muon_reference(lr, adamw_paths, momentum=0.95, nesterov=True, rms_rate=0.2,
                   weight_decay=0.004, adam_weight_decay=0.004, adam_lr_ratio=1.0,
                   beta_1=0.9, beta_2=0.999, epsilon=1e-7, ns_steps=5):
    w = {p: INITIAL[p].astype("float64") for p in SHAPES}
    m = {p: np.zeros_like(w[p]) for p in SHAPES}
    v = {p: np.zeros_like(w[p]) for p in SHAPES}
    for t, step in enumerate(GRADIENTS, start=1):
        for path in SHAPES:
            g = step[path].astype("float64")
            adamw = path in adamw_paths
            decay = adam_weight_decay if adamw else weight_decay
            if decay is not None:
                w[path] = w[path] - w[path] * decay * lr
            if adamw:
                m[path] += (g - m[path]) * (1 - beta_1)
                v[path] += (g * g - v[path]) * (1 - beta_2)
                alpha = lr * adam_lr_ratio * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
                w[path] = w[path] - alpha * m[path] / (np.sqrt(v[path]) + epsilon)
            else:
                m[path] = momentum * m[path] + g
                direction = g + momentum * m[path] if nesterov else m[path]
                update = lr * newton_schulz(direction, ns_steps)
                if rms_rate is not None:
                    update = update * np.sqrt(max(update.shape)) * rms_rate
                w[path] = w[path] - update
    return w


ADAMW_PATHS = {"dense/bias", "conv/kernel", "embedding/embeddings", "head/kernel"}


@pytest.mark.parametrize("kwargs, adamw_paths", [
    ({"exclude_layers": ["^head"]}, ADAMW_PATHS),
    ({"nesterov": False, "rms_rate": None, "weight_decay": 0.1, "adam_weight_decay": None,
      "adam_lr_ratio": 0.5, "exclude_embeddings": False, "ns_steps": 3},
     ADAMW_PATHS - {"embedding/embeddings", "head/kernel"}),
])
def test_muon_matches_reference(kwargs, adamw_paths):
    actual = run(optimizers.Muon(learning_rate=0.05, **kwargs))
    reference_kwargs = {k: v for k, v in kwargs.items()
                        if k not in ("exclude_layers", "exclude_embeddings")}
    assert_close(actual, muon_reference(0.05, adamw_paths, **reference_kwargs))


def test_muon_slots_in_keras_order():
    optimizer = optimizers.Muon(exclude_layers=["head"])
    optimizer.build(make_variables())
    # A momentum per variable; a velocity right after it for AdamW's.
    expected = []
    for path, shape in SHAPES.items():
        expected += [shape, shape] if path in ADAMW_PATHS else [shape]
    assert [tuple(v.shape) for v in optimizer.variables[2:]] == expected
    assert optimizer.variables[2].name == "muon/dense_kernel_momentum"
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        optimizer.zeropower_via_newtonschulz5(ops.ones((3,)), 5)


# ---------------------------------------------------- ScheduleFreeAdamW
def schedule_free_reference(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
                            weight_decay=None):
    y = {p: INITIAL[p].astype("float64") for p in SHAPES}
    z = {p: y[p].copy() for p in SHAPES}
    v = {p: np.zeros_like(y[p]) for p in SHAPES}
    for t, step in enumerate(GRADIENTS, start=1):
        rate = lr * min(t / warmup_steps, 1.0) if warmup_steps else lr
        for path in SHAPES:
            g = step[path].astype("float64")
            if weight_decay is not None:
                y[path] = y[path] - y[path] * weight_decay * lr
            v[path] += (g * g - v[path]) * (1 - beta_2)
            z_new = z[path] - rate * g / (np.sqrt(v[path] / (1 - beta_2 ** t)) + epsilon)
            x = (y[path] - (1 - beta_1) * z[path]) / beta_1
            x = (1 - 1 / t) * x + z_new / t
            y[path] = (1 - beta_1) * z_new + beta_1 * x
            z[path] = z_new
    return y


@pytest.mark.parametrize("kwargs", [{}, {"beta_1": 0.8, "warmup_steps": 2, "weight_decay": 0.1}])
def test_schedule_free_matches_reference(kwargs):
    actual = run(optimizers.ScheduleFreeAdamW(learning_rate=0.05, **kwargs))
    # Recovering x divides by beta_1: float32 rounding grows a little.
    for path, expected in schedule_free_reference(0.05, **kwargs).items():
        np.testing.assert_allclose(actual[path], expected, rtol=1e-4, atol=1e-5, err_msg=path)


def test_schedule_free_momentum_starts_at_the_variable():
    optimizer = optimizers.ScheduleFreeAdamW()
    variables = make_variables()
    optimizer.build(variables)
    np.testing.assert_array_equal(optimizer.variables[2].numpy(), INITIAL["dense/kernel"])
    np.testing.assert_array_equal(optimizer.variables[3].numpy(), 0.0)  # its velocity


@pytest.mark.parametrize("make", [
    lambda **kw: optimizers.Muon(learning_rate=0.05, **kw),
    lambda **kw: optimizers.ScheduleFreeAdamW(learning_rate=0.05, **kw)])
def test_gradient_accumulation_and_ema(make):
    """Two accumulated steps update as one step on their mean; the EMA's
    first value is the variable, then it follows with `ema_momentum`."""
    pairs = [{p: (a[p] + b[p]) / 2 for p in SHAPES} for a, b in
             [(GRADIENTS[0], GRADIENTS[1]), (GRADIENTS[2], GRADIENTS[0])]]
    accumulated = make(gradient_accumulation_steps=2)
    assert_close(run(accumulated, [GRADIENTS[i] for i in (0, 1, 2, 0)]), run(make(), pairs))
    assert int(ops.convert_to_numpy(accumulated.iterations)) == 2
    ema = make(use_ema=True, ema_momentum=0.5)
    variables = make_variables()
    history = []
    for step in GRADIENTS[:2]:
        ema.apply([ops.convert_to_tensor(step[p]) for p in SHAPES], variables)
        history.append(variables[0].numpy())
    np.testing.assert_allclose(ema._model_variables_moving_average[0].numpy(),
                               0.5 * history[0] + 0.5 * history[1], rtol=1e-6, atol=1e-7)


# ------------------------------------------------------- MultiOptimizer
def make_multi(loss_scale_factor=None):
    optimizer_map = optimizers.OptimizerMap(
        optimizers.SGD(0.1), {"dense/.*": optimizers.Adam(0.01), "tall/kernel": optimizers.Muon(0.02)})
    return optimizers.MultiOptimizer(optimizer_map, loss_scale_factor=loss_scale_factor)


def test_multi_optimizer_delegates_by_path():
    multi = make_multi(loss_scale_factor=2.0)
    scaled = [{p: g[p] * 2.0 for p in SHAPES} for g in GRADIENTS]
    actual = run(multi, scaled)
    adam, muon, sgd = multi.optimizers
    assert [type(o).__name__ for o in multi.optimizers] == ["Adam", "Muon", "SGD"]
    assert all(o.loss_scale_factor == 2.0 for o in multi.optimizers)
    for alone, paths in ((optimizers.Adam(0.01), ["dense/kernel", "dense/bias"]),
                         (optimizers.Muon(0.02), ["tall/kernel"]),
                         (optimizers.SGD(0.1), ["conv/kernel", "embedding/embeddings",
                                                "head/kernel"])):
        variables = [Variable(INITIAL[p].copy(), name=p) for p in paths]
        for step in GRADIENTS:
            alone.apply([ops.convert_to_tensor(step[p]) for p in paths], variables)
        assert_close(actual, {p: v.numpy() for p, v in zip(paths, variables)})
    assert int(multi.iterations.numpy()) == 3 and int(sgd.iterations.numpy()) == 3
    assert multi.variables[0].name == "multi_optimizer/iteration"
    assert len(multi.variables) == 2 + sum(len(o.variables) for o in multi.optimizers)
    assert float(ops.convert_to_numpy(multi.scale_loss(3.0))) == 6.0
    with pytest.raises(AttributeError, match="cannot be accessed on a MultiOptimizer"):
        multi.learning_rate
    with pytest.raises(AttributeError, match="cannot be set on a MultiOptimizer"):
        multi.learning_rate = 0.1


def pick(variable):
    return SELECTED[0] if "kernel" in variable.path else SELECTED[1]


SELECTED = []


def test_multi_optimizer_callable_and_stateless_apply():
    SELECTED[:] = [optimizers.SGD(0.5), optimizers.SGD(0.1)]
    multi = optimizers.MultiOptimizer(pick)
    variables = make_variables()
    multi.build(variables)
    assert multi.optimizers == SELECTED
    grads = [ops.convert_to_tensor(GRADIENTS[0][p]) for p in SHAPES]
    new_values, new_state = multi.stateless_apply(
        [v.value for v in multi.variables], grads, [v.value for v in variables])
    for path, value in zip(SHAPES, new_values):
        rate = 0.5 if "kernel" in path else 0.1
        np.testing.assert_allclose(ops.convert_to_numpy(value),
                                   INITIAL[path] - rate * GRADIENTS[0][path], rtol=1e-6)
    np.testing.assert_array_equal(variables[0].numpy(), INITIAL["dense/kernel"])
    assert [int(ops.convert_to_numpy(new_state[i])) for i in (0, 2, 4)] == [1, 1, 1]
    config = optimizers.serialize(multi)
    restored = optimizers.deserialize(config, custom_objects={"pick": pick})
    assert restored._optimizer_map is pick


def test_optimizer_map_lookup_and_errors():
    sgd, adam = optimizers.SGD(), optimizers.Adam()
    optimizer_map = optimizers.OptimizerMap(sgd)
    optimizer_map["encoder/dense"] = adam
    optimizer_map["encoder/.*"] = sgd
    optimizer_map[".*/kernel"] = adam
    assert optimizer_map["encoder/dense"] is adam  # the exact key first
    assert optimizer_map["decoder/bias"] is sgd  # the default
    with pytest.raises(ValueError, match="Multiple optimizers assigned to variable encoder/kernel"):
        optimizer_map["encoder/kernel"]
    with pytest.raises(ValueError, match="already exists in the OptimizerMap"):
        optimizer_map["encoder/dense"] = sgd
    with pytest.raises(ValueError, match="key must be a string"):
        optimizer_map[3] = sgd
    with pytest.raises(ValueError, match="must be a Keras Optimizer instance"):
        optimizer_map["x"] = "adam"
    with pytest.raises(ValueError, match="optimizer cannot be LossScaleOptimizer."):
        optimizer_map["x"] = optimizers.LossScaleOptimizer(optimizers.SGD())
    with pytest.raises(ValueError, match="optimizer cannot be MultiOptimizer."):
        optimizer_map["x"] = optimizers.MultiOptimizer(optimizers.OptimizerMap(sgd))
    with pytest.raises(TypeError, match="default_optimizer must be a Keras Optimizer"):
        optimizers.OptimizerMap("sgd")
    with pytest.raises(TypeError, match="optimizer_map must be a dictionary"):
        optimizers.OptimizerMap(sgd, [("a", adam)])
    nested = optimizers.MultiOptimizer(lambda v: optimizers.LossScaleOptimizer(sgd))
    with pytest.raises(ValueError, match="LossScaleOptimizer cannot be used inside an MultiOptimizer"):
        nested.build(make_variables())


# -------------------------------------------------------- configs, fit
@pytest.mark.parametrize("make", [
    lambda: optimizers.Muon(learning_rate=0.01, exclude_layers=["head"], nesterov=False,
                            rms_rate=None, ns_steps=3, adam_lr_ratio=0.1, clipnorm=1.0),
    lambda: optimizers.ScheduleFreeAdamW(learning_rate=0.01, beta_1=0.8, warmup_steps=10,
                                         epsilon=1e-6, weight_decay=0.01),
    lambda: make_multi(loss_scale_factor=4.0),
])
def test_config_round_trip(make):
    optimizer = make()
    config = optimizer.get_config()
    assert type(optimizer).from_config(config).get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(restored) is type(optimizer) and restored.get_config() == config


def test_keras_defaults():
    muon = optimizers.Muon().get_config()
    assert (muon["name"], muon["weight_decay"], muon["adam_weight_decay"], muon["momentum"],
            muon["ns_steps"], muon["rms_rate"], muon["exclude_layers"]) == (
        "muon", 0.004, 0.004, 0.95, 5, 0.2, [])
    free = optimizers.ScheduleFreeAdamW().get_config()
    assert (free["name"], free["learning_rate"], free["epsilon"], free["warmup_steps"]) == (
        "schedule_free_adam_w", pytest.approx(0.0025), 1e-8, 0)


def test_compiled_fit_with_muon_and_schedule_free():
    """One model: its kernels with Muon, the rest with ScheduleFreeAdamW."""
    kfacade.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    y = np.tanh(x @ rng.standard_normal((4, 2))).astype("float32")
    model = kfacade.Sequential([kfacade.Input(shape=(4,)), layers.Dense(8, activation="tanh"),
                                layers.Dense(2)])
    optimizer = optimizers.MultiOptimizer(optimizers.OptimizerMap(
        optimizers.ScheduleFreeAdamW(learning_rate=0.02),
        {".*kernel": optimizers.Muon(learning_rate=0.02, weight_decay=None)}))
    model.compile(optimizer=optimizer, loss="mse")
    losses = model.fit(x, y, batch_size=16, epochs=5, verbose=0).history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < 0.8 * losses[0], losses
    assert int(optimizer.iterations.numpy()) == 10
    assert [int(ops.convert_to_numpy(o.iterations)) for o in optimizer.optimizers] == [10, 10]
