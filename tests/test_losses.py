"""kfacade.losses against hand-written NumPy formulas (float32, tolerance 1e-5)."""
import numpy as np
import pytest

import kfacade
from kfacade import losses, ops
from helpers import assert_close

EPS = 1e-7


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


# ----------------------------------------------------------- NumPy references


def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_cce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = np_softmax(y_pred)
    else:
        y_pred = y_pred / y_pred.sum(-1, keepdims=True)
    return -(y_true * np.log(np.clip(y_pred, EPS, 1 - EPS))).sum(-1)


def np_scce(labels, y_pred, from_logits=False):
    return np_cce(np.eye(y_pred.shape[-1])[labels], y_pred, from_logits=from_logits)


def np_bce(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        per = np.maximum(y_pred, 0) - y_pred * y_true + np.log1p(np.exp(-np.abs(y_pred)))
    else:
        p = np.clip(y_pred, EPS, 1 - EPS)
        per = -(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))
    return per.mean(-1)


def np_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


NUMPY_FUNCTIONS = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error":
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1),
    "huber": lambda t, p: np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2,
                                   np.abs(p - t) - 0.5).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - np_hinge_labels(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(
        ((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "kl_divergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(
        np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "cosine_similarity": lambda t, p: -(
        t / np.linalg.norm(t, axis=-1, keepdims=True) * p / np.linalg.norm(p, axis=-1, keepdims=True)
    ).sum(-1),
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
}

ALIASES = {
    "mse": "mean_squared_error", "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh",
}

CLASSES = {
    "mean_squared_error": losses.MeanSquaredError,
    "mean_absolute_error": losses.MeanAbsoluteError,
    "mean_absolute_percentage_error": losses.MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": losses.MeanSquaredLogarithmicError,
    "huber": losses.Huber,
    "hinge": losses.Hinge,
    "squared_hinge": losses.SquaredHinge,
    "categorical_hinge": losses.CategoricalHinge,
    "kl_divergence": losses.KLDivergence,
    "poisson": losses.Poisson,
    "cosine_similarity": losses.CosineSimilarity,
    "log_cosh": losses.LogCosh,
}

POSITIVE = ("mean_squared_logarithmic_error", "kl_divergence", "poisson")


def regression_data(rng, name, shape=(6, 4)):
    y_true = rng.normal(size=shape).astype("float32")
    y_pred = rng.normal(size=shape).astype("float32")
    if name in POSITIVE:
        y_true, y_pred = np.abs(y_true) + 0.05, np.abs(y_pred) + 0.05
        if name == "kl_divergence":
            y_true /= y_true.sum(-1, keepdims=True)
            y_pred /= y_pred.sum(-1, keepdims=True)
    if name == "categorical_hinge":
        y_true = np.eye(shape[-1], dtype="float32")[rng.integers(0, shape[-1], shape[0])]
    return y_true, y_pred


# ------------------------------------------------------------ functions


@pytest.mark.parametrize("name", sorted(NUMPY_FUNCTIONS))
def test_function_matches_numpy(rng, name):
    y_true, y_pred = regression_data(rng, name)
    expected = NUMPY_FUNCTIONS[name](y_true.astype("float64"), y_pred.astype("float64"))
    assert_close(getattr(losses, name)(y_true, y_pred), expected)


@pytest.mark.parametrize("alias", sorted(ALIASES))
def test_aliases_are_the_functions(alias):
    assert getattr(losses, alias) is getattr(losses, ALIASES[alias])
    assert losses.get(alias) is getattr(losses, ALIASES[alias])


def test_huber_delta(rng):
    y_true, y_pred = regression_data(rng, "huber")
    e = np.abs(y_pred - y_true).astype("float64")
    expected = np.where(e <= 0.3, 0.5 * e ** 2, 0.3 * e - 0.5 * 0.09).mean(-1)
    assert_close(losses.huber(y_true, y_pred, delta=0.3), expected)
    assert_close(losses.Huber(delta=0.3, reduction="none")(y_true, y_pred), expected)


def test_hinge_converts_binary_labels_only():
    y_pred = np.array([[0.3, -0.8, 1.5], [-0.2, 0.6, 0.1]], "float32")
    binary = np.array([[1, 0, 1], [0, 1, 0]], "float32")
    signed = 2 * binary - 1
    assert_close(losses.hinge(binary, y_pred), losses.hinge(signed, y_pred))
    assert_close(losses.hinge(signed, y_pred), np.maximum(1 - signed * y_pred, 0).mean(-1))
    # Labels that are not all in {0, 1} are used as given.
    mixed = np.array([[1, 0, -1], [0, 1, 0]], "float32")
    assert_close(losses.hinge(mixed, y_pred), np.maximum(1 - mixed * y_pred, 0).mean(-1))
    assert_close(losses.squared_hinge(binary, y_pred),
                 (np.maximum(1 - signed * y_pred, 0) ** 2).mean(-1))


def test_cosine_similarity_axis(rng):
    y_true = rng.normal(size=(3, 4)).astype("float32")
    y_pred = rng.normal(size=(3, 4)).astype("float32")
    expected = -(y_true / np.linalg.norm(y_true, axis=0) * y_pred / np.linalg.norm(y_pred, axis=0)).sum(0)
    assert_close(losses.cosine_similarity(y_true, y_pred, axis=0), expected)
    assert_close(losses.CosineSimilarity(axis=0, reduction="none")(y_true, y_pred), expected)
    # A zero vector has similarity 0, not NaN.
    assert_close(losses.cosine_similarity(np.zeros((1, 3), "float32"), np.ones((1, 3), "float32")), [0.0])


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_categorical_crossentropy(rng, from_logits, label_smoothing):
    y_true = np.eye(4, dtype="float32")[rng.integers(0, 4, 5)]
    logits = rng.normal(size=(5, 4)).astype("float32")
    y_pred = logits if from_logits else np_softmax(logits).astype("float32")
    expected = np_cce(y_true, y_pred.astype("float64"), from_logits, label_smoothing)
    assert_close(losses.categorical_crossentropy(
        y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing), expected)
    loss = losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    assert_close(loss(y_true, y_pred), expected.mean())


def test_categorical_crossentropy_axis_and_unnormalised_probabilities(rng):
    y_true = np.eye(3, dtype="float32")[rng.integers(0, 3, 4)]
    scores = rng.random((4, 3)).astype("float32") + 0.1  # rows not summing to 1
    expected = np_cce(y_true, scores.astype("float64"))
    assert_close(losses.categorical_crossentropy(y_true, scores), expected)
    assert_close(losses.categorical_crossentropy(y_true.T, scores.T, axis=0), expected)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(y_true, scores, axis=True)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_sparse_categorical_crossentropy(rng, from_logits, label_shape):
    labels = rng.integers(0, 4, 6)
    logits = rng.normal(size=(6, 4)).astype("float32")
    y_pred = logits if from_logits else np_softmax(logits).astype("float32")
    expected = np_scce(labels, y_pred.astype("float64"), from_logits)
    y_true = labels if label_shape == "flat" else labels[:, None]
    assert_close(losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits), expected)
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits)
    assert_close(loss(y_true, y_pred), expected.mean())


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy_ignore_class(rng, from_logits):
    labels = rng.integers(0, 3, (2, 5))
    labels[0, 1] = labels[1, 3] = labels[1, 4] = -1  # padding
    logits = rng.normal(size=(2, 5, 3)).astype("float32")
    y_pred = logits if from_logits else np_softmax(logits).astype("float32")
    valid = labels != -1
    per = np.where(valid, np_scce(np.where(valid, labels, 0), y_pred.astype("float64"), from_logits), 0.0)
    function = losses.sparse_categorical_crossentropy(
        labels, y_pred, from_logits=from_logits, ignore_class=-1)
    assert_close(function, per)
    # The mean runs over the valid entries only.
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1)
    assert_close(loss(labels, y_pred), per.sum() / valid.sum())
    total = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=-1, reduction="sum")
    assert_close(total(labels, y_pred), per.sum())
    weights = np.array([2.0, 0.5], "float32")
    weighted = per * weights[:, None]
    assert_close(loss(labels, y_pred, sample_weight=weights), weighted.sum() / valid.sum())
    assert_close(losses.SparseCategoricalCrossentropy(
        from_logits=from_logits, ignore_class=-1, reduction="none")(labels, y_pred), per)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_binary_crossentropy(rng, from_logits, label_smoothing):
    y_true = (rng.random((5, 3)) > 0.5).astype("float32")
    logits = rng.normal(size=(5, 3)).astype("float32")
    y_pred = logits if from_logits else (1 / (1 + np.exp(-logits))).astype("float32")
    expected = np_bce(y_true, y_pred.astype("float64"), from_logits, label_smoothing)
    assert_close(losses.binary_crossentropy(
        y_true, y_pred, from_logits=from_logits, label_smoothing=label_smoothing), expected)
    loss = losses.BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    assert_close(loss(y_true, y_pred), expected.mean())


def test_binary_crossentropy_integer_labels_and_rank_1(rng):
    y_true = np.array([0, 1, 1, 0])  # int64, rank 1 against (4, 1) predictions
    y_pred = rng.random((4, 1)).astype("float32")
    expected = np_bce(y_true[:, None].astype("float64"), y_pred.astype("float64"))
    assert_close(losses.BinaryCrossentropy()(y_true, y_pred), expected.mean())
    assert_close(losses.binary_crossentropy(y_true[:, None], y_pred), expected)


# ------------------------------------------------------------- reductions


@pytest.mark.parametrize("weight_shape", [None, "scalar", "flat", "column"])
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean", "sum",
                                       "mean_with_sample_weight", "none", None])
def test_reductions_and_sample_weight(rng, reduction, weight_shape):
    y_true = rng.normal(size=(5, 3)).astype("float32")
    y_pred = rng.normal(size=(5, 3)).astype("float32")
    per = ((y_true - y_pred) ** 2).mean(-1).astype("float64")
    weights = {None: None, "scalar": 0.7, "flat": rng.random(5).astype("float32"),
               "column": rng.random((5, 1)).astype("float32")}[weight_shape]
    w = np.ones(5) if weights is None else np.broadcast_to(np.reshape(weights, (-1,)), (5,))
    weighted = per * w
    expected = {
        "sum_over_batch_size": weighted.sum() / 5, "mean": weighted.sum() / 5,
        "sum": weighted.sum(), "none": weighted, None: weighted,
        "mean_with_sample_weight": weighted.sum() / (5 if weights is None else np.sum(weights)),
    }[reduction]
    loss = losses.MeanSquaredError(reduction=reduction)
    result = to_np(loss(y_true, y_pred, sample_weight=weights))
    assert_close(np.reshape(result, np.shape(expected)), expected)


def test_elementwise_sample_weight_on_sequence_losses(rng):
    # Per-timestep losses (batch, time) with per-timestep weights.
    y_true = rng.normal(size=(2, 4, 3)).astype("float32")
    y_pred = rng.normal(size=(2, 4, 3)).astype("float32")
    per = ((y_true - y_pred) ** 2).mean(-1)
    weights = rng.random((2, 4)).astype("float32")
    assert_close(losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights),
                 (per * weights).sum() / per.size)


def test_zero_sample_weights_mean_with_sample_weight_is_zero():
    loss = losses.MeanAbsoluteError(reduction="mean_with_sample_weight")
    assert_close(loss(np.ones((3, 2), "float32"), np.zeros((3, 2), "float32"),
                      sample_weight=np.zeros(3, "float32")), 0.0)


def test_invalid_reduction():
    with pytest.raises(ValueError, match="reduction='average'"):
        losses.MeanSquaredError(reduction="average")


def test_y_true_is_cast_to_y_pred_dtype():
    y_true = np.array([[1, 0], [0, 1]], dtype="int64")
    y_pred = np.array([[0.5, 0.25], [0.0, 1.0]], dtype="float32")
    assert ops.dtype(losses.mean_squared_error(y_true, y_pred)) == "float32"
    assert_close(losses.mean_squared_error(y_true, y_pred), [(0.25 + 0.0625) / 2, 0.0])
    assert_close(losses.categorical_crossentropy(y_true, y_pred),
                 np_cce(y_true.astype("float64"), y_pred.astype("float64")))


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_classes_reduce_their_function(rng, name):
    y_true, y_pred = regression_data(rng, name)
    weights = rng.random(6).astype("float32")
    expected = NUMPY_FUNCTIONS[name](y_true.astype("float64"), y_pred.astype("float64"))
    loss = CLASSES[name]()
    assert_close(loss(y_true, y_pred), expected.mean())
    assert_close(loss(y_true, y_pred, sample_weight=weights), (expected * weights).mean())
    assert_close(CLASSES[name](reduction="sum")(y_true, y_pred), expected.sum())


def test_class_default_names():
    assert losses.MeanSquaredError().name == "mean_squared_error"
    assert losses.Huber().name == "huber_loss"
    assert losses.CategoricalCrossentropy().name == "categorical_crossentropy"
    assert losses.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"
    assert losses.KLDivergence().name == "kl_divergence"
    assert losses.LogCosh().name == "log_cosh"
    assert losses.MeanSquaredError(name="m").name == "m"


def test_custom_loss_subclass(rng):
    class Cubed(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.abs(ops.subtract(y_pred, y_true)) ** 3, axis=-1)

    y_true = rng.normal(size=(4, 2)).astype("float32")
    y_pred = rng.normal(size=(4, 2)).astype("float32")
    loss = Cubed(reduction="sum")
    assert loss.name.startswith("cubed")
    assert_close(loss(y_true, y_pred), (np.abs(y_pred - y_true) ** 3).mean(-1).sum())
    with pytest.raises(NotImplementedError):
        losses.Loss()(y_true, y_pred)


def test_loss_function_wrapper(rng):
    y_true = rng.normal(size=(4, 3)).astype("float32")
    y_pred = rng.normal(size=(4, 3)).astype("float32")
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.5)
    e = np.abs(y_pred - y_true).astype("float64")
    assert_close(wrapper(y_true, y_pred),
                 np.where(e <= 0.5, 0.5 * e ** 2, 0.5 * e - 0.125).mean(-1).mean())
    # Rank-1 targets against (batch, 1) predictions are expanded, not broadcast.
    t, p = rng.normal(size=4).astype("float32"), rng.normal(size=(4, 1)).astype("float32")
    assert_close(losses.LossFunctionWrapper(losses.mse)(t, p), ((t - p[:, 0]) ** 2).mean())
    clone = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert clone.fn is losses.huber and clone.name == "h"
    assert_close(clone(y_true, y_pred), wrapper(y_true, y_pred))


# --------------------------------------------------------- get / serialize


@pytest.mark.parametrize("name, cls", [
    ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
    ("SparseCategoricalCrossentropy", losses.SparseCategoricalCrossentropy),
    ("BinaryCrossentropy", losses.BinaryCrossentropy),
    ("MeanSquaredError", losses.MeanSquaredError),
    ("Huber", losses.Huber),
    ("KLDivergence", losses.KLDivergence),
])
def test_get_class_names(name, cls):
    assert type(losses.get(name)) is cls


def test_get_functions_configs_callables():
    for name in ("categorical_crossentropy", "sparse_categorical_crossentropy",
                 "binary_crossentropy", "hinge", "squared_hinge", "categorical_hinge",
                 "poisson", "cosine_similarity", "huber", "log_cosh", "kl_divergence"):
        assert losses.get(name) is getattr(losses, name)
    loss = losses.get({"class_name": "CategoricalCrossentropy",
                       "config": {"from_logits": True, "label_smoothing": 0.1}})
    assert isinstance(loss, losses.CategoricalCrossentropy)
    assert loss.from_logits and loss.label_smoothing == 0.1
    instance = losses.Huber(delta=3.0)
    assert losses.get(instance) is instance
    assert isinstance(losses.get(losses.Poisson), losses.Poisson)

    def my_loss(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    assert losses.get(my_loss) is my_loss
    assert losses.get(None) is None


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 'foo'") as info:
        losses.get("foo")
    assert "categorical_crossentropy" in str(info.value) and "mse" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(42)
    with pytest.raises(ValueError, match="'Nope'"):
        losses.get({"class_name": "Nope", "config": {}})


@pytest.mark.parametrize("loss", [
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2, reduction="sum"),
    losses.SparseCategoricalCrossentropy(ignore_class=0, name="scce"),
    losses.BinaryCrossentropy(label_smoothing=0.1, axis=-1),
    losses.Huber(delta=2.5),
    losses.CosineSimilarity(axis=0),
    losses.MeanSquaredError(reduction="none"),
])
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    clone = losses.deserialize(config)
    assert type(clone) is type(loss)
    assert clone.get_config() == loss.get_config()
    assert type(loss).from_config(loss.get_config()).get_config() == loss.get_config()


def test_serialize_functions():
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.deserialize("mean_squared_error") is losses.mean_squared_error
    assert losses.deserialize({"class_name": "function", "config": "mae"}) is losses.mean_absolute_error


def test_losses_run_inside_a_compiled_step(rng):
    # Hinge decides the label convention with a tensor condition, ignore_class
    # masks by value: neither may branch in Python on tensor values.
    y_true = (rng.random((4, 3)) > 0.5).astype("float32")
    logits = rng.normal(size=(4, 3)).astype("float32")
    labels = np.array([0, 2, -1, 1])
    hinge = losses.Hinge()
    scce = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)

    def fn(data):
        t, p, lab = data
        return {"hinge": hinge(t, p), "scce": scce(lab, p)}

    step = kfacade.backend.adapter.compile_function(fn, [], jit_compile=False)
    logs = step((y_true, logits, labels))
    assert_close(logs["hinge"], np.maximum(1 - (2 * y_true - 1) * logits, 0).mean())
    valid = labels != -1
    assert_close(logs["scce"], np_scce(labels[valid], logits[valid].astype("float64"), True).sum() / 3)


# ------------------------------------------- focal cross-entropies, Dice, Tversky
def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                    label_smoothing=0.0):
    """Lin et al.'s focal loss as Keras 3 documents it: BCE times (1 - p_t) ** gamma."""
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    p = np_sigmoid(p) if from_logits else p
    clipped = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(clipped) + (1 - t) * np.log(1 - clipped))
    p_t = t * p + (1 - t) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (t * alpha + (1 - t) * (1 - alpha)) * focal
    return focal.mean(-1)


def np_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    p = np_softmax(p) if from_logits else p / p.sum(-1, keepdims=True)
    p = np.clip(p, EPS, 1 - EPS)
    return (alpha * (1 - p) ** gamma * -t * np.log(p)).sum(-1)


@pytest.mark.parametrize("kwargs", [{}, dict(apply_class_balancing=True, alpha=0.4, gamma=1.5,
                                             from_logits=True, label_smoothing=0.1)])
def test_binary_focal_crossentropy(rng, kwargs):
    t = (rng.random((6, 5)) > 0.5).astype("float32")
    p = (rng.normal(size=(6, 5)) if kwargs else rng.random((6, 5))).astype("float32")
    expected = np_binary_focal(t.astype("float64"), p.astype("float64"), **kwargs)
    assert_close(losses.binary_focal_crossentropy(t, p, **kwargs), expected)
    loss = losses.BinaryFocalCrossentropy(**kwargs)
    assert loss.name == "binary_focal_crossentropy"
    assert_close(loss(t, p), expected.mean())
    assert losses.BinaryFocalCrossentropy.from_config(loss.get_config()).get_config() == \
        loss.get_config()


@pytest.mark.parametrize("kwargs", [{}, dict(alpha=0.5, gamma=1.0, from_logits=True,
                                             label_smoothing=0.2)])
def test_categorical_focal_crossentropy(rng, kwargs):
    t = np.eye(5, dtype="float32")[rng.integers(0, 5, 6)]
    p = (rng.normal(size=(6, 5)) if kwargs else rng.random((6, 5)) + 0.1).astype("float32")
    expected = np_categorical_focal(t.astype("float64"), p.astype("float64"), **kwargs)
    assert_close(losses.categorical_focal_crossentropy(t, p, **kwargs), expected)
    loss = losses.CategoricalFocalCrossentropy(**kwargs)
    assert loss.name == "categorical_focal_crossentropy"
    assert_close(loss(t, p, sample_weight=np.arange(6.0)), (expected * np.arange(6.0)).mean())


def test_dice_and_tversky_over_the_batch_or_an_axis(rng):
    t = (rng.random((4, 6)) > 0.5).astype("float32")
    p = rng.random((4, 6)).astype("float32")
    t64, p64 = t.astype("float64"), p.astype("float64")

    def np_dice(axis):
        return 1 - 2 * (t64 * p64).sum(axis) / (t64.sum(axis) + p64.sum(axis) + EPS)

    def np_tversky(alpha, beta, axis):  # Keras 3's: alpha on the missed positives
        tp = (t64 * p64).sum(axis)
        return 1 - tp / (tp + alpha * (t64 * (1 - p64)).sum(axis)
                         + beta * ((1 - t64) * p64).sum(axis) + EPS)

    assert_close(losses.Dice()(t, p), np_dice(None))
    assert_close(losses.Dice(axis=-1)(t, p), np_dice(-1).mean())
    assert_close(losses.dice(t, p, axis=1), np_dice(1))
    assert_close(losses.Tversky(alpha=0.3, beta=0.7)(t, p), np_tversky(0.3, 0.7, None))
    assert_close(losses.Tversky(axis=1)(t, p), np_tversky(0.5, 0.5, 1).mean())
    assert_close(losses.tversky(t, p, 0.2, 0.8, axis=1), np_tversky(0.2, 0.8, 1))
    for cls, name in ((losses.Dice, "dice"), (losses.Tversky, "tversky")):
        loss = cls(axis=1)
        assert loss.name == name and cls.from_config(loss.get_config()).get_config() == \
            loss.get_config()
        assert losses.get(name) is getattr(losses, name)  # the function, as for every name


def test_categorical_generalized_cross_entropy(rng):
    p = rng.random((5, 4)).astype("float32") + 0.05
    p /= p.sum(axis=1, keepdims=True)
    labels = np.array([0, 3, 1, 1, 2])
    expected = (1 - p[np.arange(5), labels].astype("float64") ** 0.7) / 0.7
    assert_close(losses.categorical_generalized_cross_entropy(labels, p, 0.7), expected)
    loss = losses.CategoricalGeneralizedCrossEntropy(q=0.7)
    assert loss.name == "categorical_generalized_cross_entropy"
    assert_close(loss(labels, p), expected.mean())
    assert_close(loss(labels, p, sample_weight=np.arange(5.0)), (expected * np.arange(5.0)).mean())
    assert losses.CategoricalGeneralizedCrossEntropy.from_config(loss.get_config()).get_config() == \
        loss.get_config()
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)
