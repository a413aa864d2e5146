"""kfacade.metrics: update/result/reset sequences against NumPy references."""
import re

import numpy as np
import pytest

import kfacade
from kfacade import metrics, ops
from helpers import assert_close

EPS = 1e-7


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


def values_of(metric):
    return [v.numpy().copy() for v in metric.variables]


# ------------------------------------------------------------ Mean and Sum


def test_mean_sequence_weights_and_reset(rng):
    m = metrics.Mean()
    assert m.name == "mean" and [v.shape for v in m.variables] == [(), ()]
    assert all(not v.trainable for v in m.variables)
    a, b, c = rng.normal(size=4), rng.normal(size=(3, 2)), rng.normal(size=5)
    wb, wc = rng.random(3), rng.random(5)
    m.update_state(a)
    assert_close(m.result(), a.mean())
    m.update_state(b, sample_weight=wb)  # (3, 2) values: mean per sample first
    m.update_state(c, sample_weight=wc)
    total = a.sum() + (b.mean(1) * wb).sum() + (c * wc).sum()
    assert_close(m.result(), total / (4 + wb.sum() + wc.sum()))
    m.reset_state()
    assert_close(m.result(), 0.0)  # no samples: 0, not NaN
    assert [float(v) for v in values_of(m)] == [0.0, 0.0]
    assert_close(m([1.0, 3.0]), 2.0)  # __call__ = update_state + result


def test_mean_elementwise_weights(rng):
    values, weights = rng.normal(size=(3, 4)), rng.random((3, 4))
    m = metrics.Mean()
    m.update_state(values, sample_weight=weights)
    # Keras 3: per-sample mean of weighted values over per-sample mean weights.
    assert_close(m.result(), (values * weights).mean(1).sum() / weights.mean(1).sum())


def test_sum_sequence_and_reset(rng):
    m = metrics.Sum()
    a, b = rng.normal(size=(4, 2)), rng.normal(size=3)
    w = rng.random(3)
    m.update_state(a)
    m.update_state(b, sample_weight=w)
    assert_close(m.result(), a.sum() + (b * w).sum())
    m.reset_state()
    assert_close(m.result(), 0.0)
    m.update_state(7.0)
    assert_close(m.result(), 7.0)


def test_mean_metric_wrapper(rng):
    def max_abs_error(y_true, y_pred, power=1.0):
        return ops.max(ops.abs(ops.subtract(y_true, y_pred)) ** power, axis=-1)

    m = metrics.MeanMetricWrapper(max_abs_error, name="mae_max", power=2.0)
    assert m.name == "mae_max"
    batches = [(rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.random(4)) for _ in range(3)]
    num, den = 0.0, 0.0
    for t, p, w in batches:
        m.update_state(t.astype("float32"), p.astype("float32"), sample_weight=w)
        num += ((np.abs(t - p) ** 2).max(-1) * w).sum()
        den += w.sum()
    assert_close(m.result(), num / den)
    m.reset_state()
    t, p, _ = batches[0]
    m.update_state(t, p)
    assert_close(m.result(), (np.abs(t - p) ** 2).max(-1).mean())


def test_mean_metric_wrapper_with_ignore_class():
    # The sparse cross-entropy's ignored entries weigh 0 in the mean.
    m = metrics.MeanMetricWrapper(metrics.sparse_categorical_crossentropy, name="scce",
                                  ignore_class=-1, from_logits=True)
    labels = np.array([0, -1, 2])
    logits = np.array([[1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [0.0, 0.0, 2.0]], "float32")
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    m.update_state(labels, logits)
    assert_close(m.result(), -(log_p[0, 0] + log_p[2, 2]) / 2)


# --------------------------------------------------------------- accuracy


def np_binary_accuracy(t, p, threshold=0.5):
    return (t == (p > threshold)).astype("float64")


def test_accuracy_functions(rng):
    t = (rng.random((6, 1)) > 0.5).astype("float32")
    p = rng.random((6, 1)).astype("float32")
    assert_close(metrics.binary_accuracy(t, p), np_binary_accuracy(t, p))
    assert_close(metrics.binary_accuracy(t[:, 0], p, threshold=0.3), np_binary_accuracy(t, p, 0.3))
    probs = rng.random((6, 4)).astype("float32")
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4, dtype="float32")[labels]
    hits = (probs.argmax(-1) == labels).astype("float64")
    assert_close(metrics.categorical_accuracy(onehot, probs), hits)
    assert_close(metrics.sparse_categorical_accuracy(labels, probs), hits)
    assert_close(metrics.sparse_categorical_accuracy(labels[:, None], probs), hits)
    top2 = np.array([lab in np.argsort(-row)[:2] for lab, row in zip(labels, probs)], "float64")
    assert_close(metrics.top_k_categorical_accuracy(onehot, probs, k=2), top2)
    assert_close(metrics.sparse_top_k_categorical_accuracy(labels, probs, k=2), top2)
    assert_close(metrics.accuracy(np.array([1, 2, 3]), np.array([1, 0, 3])), [1.0, 0.0, 1.0])


def test_top_k_ties_count_for_the_target():
    # Keras's in_top_k: rank = 1 + number of strictly larger predictions.
    probs = np.array([[0.3, 0.3, 0.3, 0.1], [0.1, 0.2, 0.3, 0.4]], "float32")
    assert_close(metrics.sparse_top_k_categorical_accuracy(np.array([2, 0]), probs, k=1), [1.0, 0.0])
    assert_close(metrics.sparse_top_k_categorical_accuracy(np.array([3, 1]), probs, k=3), [0.0, 1.0])


def test_sequence_accuracies(rng):
    probs = rng.random((2, 5, 3)).astype("float32")
    labels = rng.integers(0, 3, (2, 5))
    hits = (probs.argmax(-1) == labels).astype("float64")
    assert_close(metrics.sparse_categorical_accuracy(labels, probs), hits)
    assert_close(metrics.sparse_top_k_categorical_accuracy(labels, probs, k=1), hits)
    assert_close(metrics.categorical_accuracy(np.eye(3)[labels], probs), hits)


@pytest.mark.parametrize("cls, make", [
    (metrics.BinaryAccuracy,
     lambda r: ((r.random((5, 1)) > 0.5).astype("float32"), r.random((5, 1)).astype("float32"))),
    (metrics.CategoricalAccuracy,
     lambda r: (np.eye(3, dtype="float32")[r.integers(0, 3, 5)], r.random((5, 3)).astype("float32"))),
    (metrics.SparseCategoricalAccuracy,
     lambda r: (r.integers(0, 3, (5, 1)), r.random((5, 3)).astype("float32"))),
    (metrics.TopKCategoricalAccuracy,
     lambda r: (np.eye(6, dtype="float32")[r.integers(0, 6, 5)], r.random((5, 6)).astype("float32"))),
    (metrics.SparseTopKCategoricalAccuracy,
     lambda r: (r.integers(0, 6, 5), r.random((5, 6)).astype("float32"))),
    (metrics.Accuracy,
     lambda r: (r.integers(0, 2, 5), r.integers(0, 2, 5))),
])
def test_accuracy_classes_over_batches(rng, cls, make):
    reference = {
        metrics.BinaryAccuracy: lambda t, p: np_binary_accuracy(t, p)[:, 0],
        metrics.CategoricalAccuracy: lambda t, p: (t.argmax(-1) == p.argmax(-1)) * 1.0,
        metrics.SparseCategoricalAccuracy: lambda t, p: (t[:, 0] == p.argmax(-1)) * 1.0,
        metrics.TopKCategoricalAccuracy: lambda t, p: np.array(
            [np.sum(row > row[lab]) < 5 for lab, row in zip(t.argmax(-1), p)]) * 1.0,
        metrics.SparseTopKCategoricalAccuracy: lambda t, p: np.array(
            [np.sum(row > row[lab]) < 5 for lab, row in zip(t, p)]) * 1.0,
        metrics.Accuracy: lambda t, p: (t == p) * 1.0,
    }[cls]
    m = cls()
    num = den = 0.0
    for i in range(3):
        t, p = make(rng)
        w = rng.random(5) if i == 1 else None
        m.update_state(t, p, sample_weight=w)
        hits = reference(t, p)
        num += (hits * (1.0 if w is None else w)).sum()
        den += 5 if w is None else w.sum()
        assert_close(m.result(), num / den)
    m.reset_state()
    assert_close(m.result(), 0.0)


def test_regression_metrics(rng):
    mse, mae = metrics.MeanSquaredError(), metrics.MeanAbsoluteError()
    assert (mse.name, mae.name) == ("mean_squared_error", "mean_absolute_error")
    batches = [(rng.normal(size=(4, 2)), rng.normal(size=(4, 2))) for _ in range(2)]
    w = rng.random(4)
    mse.update_state(*batches[0], sample_weight=w)
    mae.update_state(*batches[0], sample_weight=w)
    mse.update_state(*batches[1])
    mae.update_state(*batches[1])
    (t0, p0), (t1, p1) = batches
    assert_close(mse.result(), ((((t0 - p0) ** 2).mean(1) * w).sum() + ((t1 - p1) ** 2).mean(1).sum())
                 / (w.sum() + 4))
    assert_close(mae.result(), (((np.abs(t0 - p0)).mean(1) * w).sum() + np.abs(t1 - p1).mean(1).sum())
                 / (w.sum() + 4))


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _np_cosine(t, p):
    return (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)


#: (metric, its name, (y_true, y_pred) of a batch, per-sample NumPy value), each
#: formula written from Keras's documentation, independently of kfacade's losses.
_LOSS_METRIC_CASES = [
    (lambda: metrics.MeanAbsolutePercentageError(), "mean_absolute_percentage_error",
     lambda r: (r.uniform(1, 2, (4, 3)), r.uniform(0, 3, (4, 3))),
     lambda t, p: 100 * np.abs((t - p) / t).mean(-1)),
    (lambda: metrics.MeanSquaredLogarithmicError(), "mean_squared_logarithmic_error",
     lambda r: (r.uniform(0, 2, (4, 3)), r.uniform(0, 2, (4, 3))),
     lambda t, p: ((np.log1p(t) - np.log1p(p)) ** 2).mean(-1)),
    (lambda: metrics.LogCoshError(), "logcosh",
     lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3))),
     lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    (lambda: metrics.CosineSimilarity(), "cosine_similarity",
     lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3))), _np_cosine),
    (lambda: metrics.BinaryCrossentropy(from_logits=True), "binary_crossentropy",
     lambda r: (r.integers(0, 2, (4, 3)).astype("float64"), r.normal(size=(4, 3))),
     lambda t, p: -(t * np.log(_np_sigmoid(p)) + (1 - t) * np.log(1 - _np_sigmoid(p))).mean(-1)),
    (lambda: metrics.CategoricalCrossentropy(), "categorical_crossentropy",
     lambda r: (np.eye(3)[r.integers(0, 3, 4)], _np_softmax(r.normal(size=(4, 3)))),
     lambda t, p: -(t * np.log(p)).sum(-1)),
    (lambda: metrics.SparseCategoricalCrossentropy(from_logits=True),
     "sparse_categorical_crossentropy",
     lambda r: (r.integers(0, 3, 4), r.normal(size=(4, 3))),
     lambda t, p: -np.log(_np_softmax(p)[np.arange(len(t)), t])),
    (lambda: metrics.KLDivergence(), "kl_divergence",
     lambda r: (_np_softmax(r.normal(size=(4, 3))), _np_softmax(r.normal(size=(4, 3)))),
     lambda t, p: (t * np.log(t / p)).sum(-1)),
    (lambda: metrics.Poisson(), "poisson",
     lambda r: (r.uniform(0, 2, (4, 3)), r.uniform(0.5, 2, (4, 3))),
     lambda t, p: (p - t * np.log(p + 1e-7)).mean(-1)),
    (lambda: metrics.Hinge(), "hinge",
     lambda r: (r.choice([-1.0, 1.0], (4, 3)), r.normal(size=(4, 3))),
     lambda t, p: np.maximum(1 - t * p, 0).mean(-1)),
    (lambda: metrics.SquaredHinge(), "squared_hinge",
     lambda r: (r.choice([-1.0, 1.0], (4, 3)), r.normal(size=(4, 3))),
     lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1)),
    (lambda: metrics.CategoricalHinge(), "categorical_hinge",
     lambda r: (np.eye(3)[r.integers(0, 3, 4)], r.normal(size=(4, 3))),
     lambda t, p: np.maximum(0, 1 + ((1 - t) * p).max(-1) - (t * p).sum(-1))),
    (lambda: metrics.PearsonCorrelation(), "pearson_correlation",
     lambda r: (r.normal(size=(4, 6)), r.normal(size=(4, 6))),
     lambda t, p: np.array([np.corrcoef(a, b)[0, 1] for a, b in zip(t, p)])),
    (lambda: metrics.ConcordanceCorrelation(), "concordance_correlation",
     lambda r: (r.normal(size=(4, 6)), r.normal(size=(4, 6))),
     # Keras 3.15's formula: its covariance centres y_true on the mean of y_pred.
     lambda t, p: (2 * (t - p.mean(-1, keepdims=True)) * (p - p.mean(-1, keepdims=True))
                   / (t.var(-1, keepdims=True) + p.var(-1, keepdims=True)
                      + (t.mean(-1, keepdims=True) - p.mean(-1, keepdims=True)) ** 2
                      + 1e-7)).mean(-1)),
    (lambda: metrics.RootMeanSquaredError(), "root_mean_squared_error",
     lambda r: (r.normal(size=(4, 3)), r.normal(size=(4, 3))),
     lambda t, p: ((t - p) ** 2).mean(-1)),  # the root is taken of the mean, below
]


@pytest.mark.parametrize("make, name, data, per_sample", _LOSS_METRIC_CASES,
                         ids=[case[1] for case in _LOSS_METRIC_CASES])
def test_loss_metrics_are_weighted_means_over_batches(make, name, data, per_sample, rng):
    metric = make()
    assert metric.name == name
    (t0, p0), (t1, p1) = data(rng), data(rng)
    w = rng.random(4)
    metric.update_state(t0, p0, sample_weight=w)
    metric.update_state(t1, p1)
    expected = ((per_sample(t0, p0) * w).sum() + per_sample(t1, p1).sum()) / (w.sum() + 4)
    if name == "root_mean_squared_error":
        expected = np.sqrt(expected)
    assert_close(metric.result(), expected, rtol=1e-5, atol=1e-5)
    clone = type(metric).from_config(metric.get_config())
    assert clone.get_config() == metric.get_config()
    assert type(metrics.get(type(metric).__name__)) is type(metric)


# ------------------------------------------------------- precision, recall


def np_counts(y_true, y_pred, thresholds, weights=None):
    """(tp, fp, tn, fn) per threshold, prediction > threshold counting as positive."""
    t = (np.asarray(y_true) != 0).reshape(-1)
    p = np.asarray(y_pred, "float64").reshape(-1)
    w = np.ones_like(p) if weights is None else np.broadcast_to(weights, np.shape(y_pred)).reshape(-1)
    out = []
    for th in thresholds:
        pos = p > th
        out.append([(w * (t & pos)).sum(), (w * (~t & pos)).sum(),
                    (w * (~t & ~pos)).sum(), (w * (t & ~pos)).sum()])
    return np.array(out).T


def test_precision_recall_default_threshold_over_batches(rng):
    precision, recall = metrics.Precision(), metrics.Recall()
    # Default names are the snake-cased class name, made unique as Keras does.
    assert re.fullmatch(r"precision(_\d+)?", precision.name)
    assert re.fullmatch(r"recall(_\d+)?", recall.name)
    counts = 0
    for i in range(3):
        t = (rng.random(8) > 0.5).astype("float32")
        p = rng.random(8).astype("float32")
        w = rng.random(8) if i == 2 else None
        precision.update_state(t, p, sample_weight=w)
        recall.update_state(t, p, sample_weight=w)
        counts = counts + np_counts(t, p, [0.5], w)
        tp, fp, _, fn = counts[:, 0]
        assert_close(precision.result(), tp / (tp + fp))
        assert_close(recall.result(), tp / (tp + fn))
    precision.reset_state()
    assert_close(precision.result(), 0.0)
    assert_close(values_of(precision)[0], [0.0])


def test_precision_recall_threshold_lists(rng):
    t = (rng.random((6, 2)) > 0.5).astype("float32")
    p = rng.random((6, 2)).astype("float32")
    for thresholds in ([0.2, 0.45, 0.8], [0.0, 0.5, 1.0]):  # uneven, even (bucket path)
        precision = metrics.Precision(thresholds=thresholds)
        recall = metrics.Recall(thresholds=thresholds)
        precision.update_state(t, p)
        recall.update_state(t, p)
        tp, fp, _, fn = np_counts(t, p, thresholds)
        assert_close(precision.result(), np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0))
        assert_close(recall.result(), np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), 0))


def test_precision_recall_top_k_and_class_id(rng):
    t = (rng.random((5, 4)) > 0.5).astype("float32")
    p = rng.random((5, 4)).astype("float32")
    top2 = np.zeros_like(p, bool)
    np.put_along_axis(top2, np.argsort(-p, axis=-1)[:, :2], True, axis=-1)
    tp = (top2 & (t == 1)).sum()
    m = metrics.Precision(top_k=2)
    m.update_state(t, p)
    assert_close(m.result(), tp / top2.sum())
    r = metrics.Recall(top_k=2)
    r.update_state(t, p)
    assert_close(r.result(), tp / t.sum())
    c = metrics.Recall(class_id=2, thresholds=0.4)
    c.update_state(t, p)
    tp2, _, _, fn2 = np_counts(t[:, 2], p[:, 2], [0.4])[:, 0]
    assert_close(c.result(), tp2 / (tp2 + fn2))
    with pytest.raises(ValueError, match="Threshold values must be in"):
        metrics.Precision(thresholds=[0.5, 1.5])


def test_confusion_counts(rng):
    t = (rng.random(7) > 0.5).astype("float32")
    p = rng.random(7).astype("float32")
    w = rng.random(7)
    expected = np_counts(t, p, [0.3, 0.6], w)
    for cls, row in ((metrics.TruePositives, 0), (metrics.FalsePositives, 1),
                     (metrics.TrueNegatives, 2), (metrics.FalseNegatives, 3)):
        m = cls(thresholds=[0.3, 0.6])
        m.update_state(t, p, sample_weight=w)
        assert_close(m.result(), expected[row])


# -------------------------------------------------------------------- AUC


def np_auc(batches, num_thresholds=200, curve="ROC", summation="interpolation",
           multi_label=False):
    """NumPy version of Keras's thresholded AUC (counts, then a Riemann sum)."""
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    thresholds = np.array([-EPS] + inner + [1 + EPS])
    n = num_thresholds
    total = 0
    for y_true, y_pred, w in batches:
        p = np.clip(np.asarray(y_pred, "float64"), 0, 1)
        if multi_label:
            total = total + np.stack([np_counts(y_true[:, j], p[:, j], thresholds,
                                                None if w is None else w)
                                      for j in range(p.shape[1])], axis=-1)
        else:
            ww = None if w is None else np.broadcast_to(np.reshape(w, (-1,) + (1,) * (p.ndim - 1)), p.shape)
            total = total + np_counts(y_true, p, thresholds, ww)
    tp, fp, tn, fn = total

    def div(a, b):
        return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)

    if curve == "PR" and summation == "interpolation":
        dtp = tp[:-1] - tp[1:]
        pos = tp + fp
        dp = pos[:-1] - pos[1:]
        slope = div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * pos[1:]
        ratio = np.where((pos[:-1] > 0) & (pos[1:] > 0), div(pos[:-1], np.maximum(pos[1:], 0)), 1.0)
        terms = div(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    else:
        recall = div(tp, tp + fn)
        if curve == "ROC":
            x, y = div(fp, fp + tn), recall
        else:
            x, y = recall, div(tp, tp + fp)
        heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                   "majoring": np.maximum(y[:-1], y[1:])}[summation]
        terms = (x[:-1] - x[1:]) * heights
    return terms.sum(0).mean() if multi_label else terms.sum()


def auc_batches(rng, shape=(10,), count=3, weighted=(1,)):
    out = []
    for i in range(count):
        t = (rng.random(shape) > 0.5).astype("float32")
        p = rng.random(shape).astype("float32")
        out.append((t, p, rng.random(shape[0]).astype("float32") if i in weighted else None))
    return out


@pytest.mark.parametrize("curve, summation", [
    ("ROC", "interpolation"), ("ROC", "minoring"), ("ROC", "majoring"),
    ("PR", "interpolation"), ("PR", "majoring"),
])
def test_auc_matches_keras_algorithm(rng, curve, summation):
    batches = auc_batches(rng)
    m = metrics.AUC(num_thresholds=20, curve=curve, summation_method=summation)
    for i, (t, p, w) in enumerate(batches):
        m.update_state(t, p, sample_weight=w)
        assert_close(m.result(), np_auc(batches[: i + 1], 20, curve, summation))
    m.reset_state()
    assert_close(m.result(), 0.0)
    assert all(np.all(v == 0) for v in values_of(m))


def test_auc_default_thresholds_and_2d_inputs(rng):
    batches = auc_batches(rng, shape=(6, 3), count=2)
    m = metrics.AUC()
    assert re.fullmatch(r"auc(_\d+)?", m.name) and len(m.thresholds) == 200
    for t, p, w in batches:
        m.update_state(t, p, sample_weight=w)
    assert_close(m.result(), np_auc(batches))


def test_auc_multi_label(rng):
    batches = auc_batches(rng, shape=(8, 3), count=2, weighted=())
    m = metrics.AUC(num_thresholds=15, multi_label=True, num_labels=3)
    assert [v.shape for v in m.variables] == [(15, 3)] * 4
    for t, p, w in batches:
        m.update_state(t, p)
    assert_close(m.result(), np_auc(batches, 15, multi_label=True))
    lazy = metrics.AUC(num_thresholds=15, multi_label=True)
    assert lazy.variables == []
    for t, p, w in batches:
        lazy.update_state(t, p)
    assert_close(lazy.result(), m.result())


def test_auc_from_logits_and_known_value(rng):
    m = metrics.AUC(num_thresholds=3)  # Keras's documented example
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert_close(m.result(), 0.75)
    logits = rng.normal(size=12).astype("float32")
    t = (rng.random(12) > 0.5).astype("float32")
    m = metrics.AUC(num_thresholds=50, from_logits=True)
    m.update_state(t, logits)
    assert_close(m.result(), np_auc([(t, 1 / (1 + np.exp(-logits.astype("float64"))), None)], 50))


def test_auc_argument_errors():
    with pytest.raises(ValueError, match="Invalid AUC curve"):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)


# -------------------------------------------------------------- stateless


@pytest.mark.parametrize("make", [
    lambda: metrics.Mean(), lambda: metrics.SparseCategoricalAccuracy(),
    lambda: metrics.Precision(thresholds=[0.3, 0.7]), lambda: metrics.AUC(num_thresholds=10),
])
def test_stateless_update_leaves_variables_unchanged(rng, make):
    m = make()
    if isinstance(m, metrics.Mean) and not isinstance(m, metrics.MeanMetricWrapper):
        args = [(rng.normal(size=4),), (rng.normal(size=4),)]
    elif isinstance(m, metrics.SparseCategoricalAccuracy):
        args = [(rng.integers(0, 3, 4), rng.random((4, 3))) for _ in range(2)]
    else:
        args = [((rng.random(6) > 0.5) * 1.0, rng.random(6)) for _ in range(2)]
    m.update_state(*args[0])
    before = values_of(m)
    state = [v.value for v in m.variables]
    new_state = m.stateless_update_state(state, *args[1])
    for value, old in zip(values_of(m), before):
        np.testing.assert_array_equal(value, old)
    stateless_result = m.stateless_result(new_state)
    m.update_state(*args[1])  # the stateful update gives the same state and result
    for value, new in zip(values_of(m), new_state):
        assert_close(new, value)
    assert_close(stateless_result, m.result())
    reset = m.stateless_reset_state()
    assert all(np.all(to_np(v) == 0) for v in reset)
    with pytest.raises(ValueError, match="1:1"):
        m.stateless_update_state(state[:-1], *args[1])


def test_metrics_update_inside_a_compiled_step(rng):
    tracked = [metrics.Mean(), metrics.BinaryAccuracy(), metrics.AUC(num_thresholds=8),
               metrics.Recall(), metrics.SparseTopKCategoricalAccuracy(k=2)]
    eager = [metrics.Mean(), metrics.BinaryAccuracy(), metrics.AUC(num_thresholds=8),
             metrics.Recall(), metrics.SparseTopKCategoricalAccuracy(k=2)]
    variables = [v for m in tracked for v in m.variables]

    def update(ms, data):
        t, p, labels, probs, w = data
        ms[0].update_state(p, sample_weight=w)
        for m in ms[1:4]:
            m.update_state(t, p, sample_weight=w)
        ms[4].update_state(labels, probs)
        return {m.name: m.result() for m in ms}

    step = kfacade.backend.adapter.compile_function(lambda d: update(tracked, d), variables, False)
    for _ in range(2):
        data = ((rng.random(6) > 0.5).astype("float32"), rng.random(6).astype("float32"),
                rng.integers(0, 4, 6), rng.random((6, 4)).astype("float32"),
                rng.random(6).astype("float32"))
        logs = step(data)
        expected = update(eager, data)
    for m, e in zip(tracked, eager):
        assert_close(m.result(), e.result())
        assert_close(logs[m.name], e.result())


# ------------------------------------------------------------ custom metric


def test_custom_metric_keras2_style():
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_weight(name="count", initializer="ones")  # Keras 2 order

        def update_state(self, values):
            self.count.assign_add(ops.sum(ops.cast(ops.greater(values, 0), self.dtype)))

        def result(self):
            return self.count.value

    m = CountPositives()
    assert m.variables[0].path == "count_positives/count"
    m.update_state(np.array([1.0, -2.0, 3.0]))
    m.update_state(np.array([0.5]))
    assert_close(m.result(), 1.0 + 3.0)
    m.reset_state()  # back to the initializer's value
    assert_close(m.result(), 1.0)


def test_sub_metric_state_is_included():
    class Twice(metrics.Metric):
        def __init__(self):
            super().__init__(name="twice")
            self.inner = metrics.Sum()

        def update_state(self, values):
            self.inner.update_state(values)

        def result(self):
            return ops.multiply(self.inner.result(), 2.0)

    m = Twice()
    assert m.variables == m.inner.variables
    m.update_state(np.array([1.0, 2.0]))
    assert_close(m.result(), 6.0)
    m.reset_state()
    assert_close(m.result(), 0.0)


# ---------------------------------------------------------- get / configs


@pytest.mark.parametrize("name, cls", [
    ("binary_accuracy", metrics.BinaryAccuracy),
    ("categorical_accuracy", metrics.CategoricalAccuracy),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("mse", metrics.MeanSquaredError), ("mean_squared_error", metrics.MeanSquaredError),
    ("mae", metrics.MeanAbsoluteError), ("mean_absolute_error", metrics.MeanAbsoluteError),
    ("precision", metrics.Precision), ("recall", metrics.Recall), ("auc", metrics.AUC),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
])
def test_get_names(name, cls):
    m = metrics.get(name)
    assert type(m) is cls and m.name == name


def test_get_other_identifiers():
    assert metrics.get("accuracy") == "accuracy" and metrics.get("acc") == "acc"
    assert type(metrics.get("AUC")) is metrics.AUC
    assert type(metrics.get("BinaryAccuracy")) is metrics.BinaryAccuracy
    instance = metrics.Recall()
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Precision)) is metrics.Precision
    wrapped = metrics.get("binary_crossentropy")
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "binary_crossentropy"

    def my_metric(y_true, y_pred):
        return ops.mean(ops.abs(ops.subtract(y_true, y_pred)), axis=-1)

    m = metrics.get(my_metric)
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "my_metric"
    m.update_state(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]]))
    assert_close(m.result(), 1.5)
    m = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.7, "name": "b"}})
    assert isinstance(m, metrics.BinaryAccuracy) and m.threshold == 0.7 and m.name == "b"
    assert metrics.get(None) is None


def test_get_unknown_name_lists_known_names():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 'foo'") as info:
        metrics.get("foo")
    assert "binary_accuracy" in str(info.value) and "auc" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get(3)


@pytest.mark.parametrize("metric", [
    metrics.Mean(name="m"), metrics.BinaryAccuracy(threshold=0.3),
    metrics.TopKCategoricalAccuracy(k=3), metrics.Precision(thresholds=[0.2, 0.6], class_id=1),
    metrics.Recall(top_k=2), metrics.AUC(num_thresholds=50, curve="PR", multi_label=True, num_labels=2),
    metrics.AUC(thresholds=[0.2, 0.5]), metrics.MeanMetricWrapper(metrics.mse, name="w"),
])
def test_config_round_trip(metric):
    config = metrics.serialize(metric)
    clone = metrics.deserialize(config)
    assert type(clone) is type(metric)
    assert clone.get_config() == metric.get_config()
    assert [v.shape for v in clone.variables] == [v.shape for v in metric.variables]


@pytest.mark.parametrize("loss, y_true_shape, y_pred_shape, expected", [
    ("binary_crossentropy", (8, 3), (8, 3), metrics.BinaryAccuracy),  # multi-label sigmoid
    (None, (8, 1), (8, 1), metrics.BinaryAccuracy),
    ("mse", (8,), (8, 1), metrics.BinaryAccuracy),
    ("sparse_categorical_crossentropy", (8, 5), (8, 5), metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", (8,), (8, 5), metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", (8, 1), (8, 5), metrics.SparseCategoricalAccuracy),
    ("categorical_crossentropy", (8, 5), (8, 5), metrics.CategoricalAccuracy),
    ("categorical_crossentropy", None, (8, 5), metrics.CategoricalAccuracy),
    ("sparse_categorical_crossentropy", None, (8, 5), metrics.SparseCategoricalAccuracy),
])
def test_resolve_accuracy(loss, y_true_shape, y_pred_shape, expected):
    m = metrics.resolve_accuracy(loss, y_true_shape, y_pred_shape)
    assert type(m) is expected and m.name == "accuracy"


def test_resolve_accuracy_loss_objects_and_acc_name():
    from kfacade import losses

    for loss in (losses.BinaryCrossentropy(from_logits=True), losses.binary_crossentropy,
                 losses.LossFunctionWrapper(losses.binary_crossentropy), "BinaryCrossentropy"):
        assert type(metrics.resolve_accuracy(loss, (4, 3), (4, 3))) is metrics.BinaryAccuracy
    for loss in (losses.SparseCategoricalCrossentropy(), losses.sparse_categorical_crossentropy):
        assert type(metrics.resolve_accuracy(loss, (4, 3), (4, 3))) is metrics.SparseCategoricalAccuracy
    assert metrics.resolve_accuracy("mse", (4, 3), (4, 3), name="acc").name == "acc"


# ------------------------------------------------------------ F-beta scores
def np_fbeta(batches, average, beta, threshold):
    """Keras 3's F-beta: thresholded (or each row's top) predictions, weighted counts."""
    tp = fp = fn = support = 0.0
    for y_true, y_pred, weight in batches:
        if threshold is None:
            decided = (y_pred >= y_pred.max(-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            decided = y_pred > threshold
        decided = decided.astype("float64")
        w = np.ones((len(y_true), 1)) if weight is None else weight[:, None]
        axis = None if average == "micro" else 0
        tp = tp + (w * decided * y_true).sum(axis)
        fp = fp + (w * decided * (1 - y_true)).sum(axis)
        fn = fn + (w * (1 - decided) * y_true).sum(axis)
        support = support + (w * y_true).sum(axis)
    eps = 1e-7
    precision, recall = tp / (tp + fp + eps), tp / (tp + fn + eps)
    score = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + eps)
    if average == "weighted":
        return (score * support / (support.sum() + eps)).sum()
    return score.mean() if average is not None else score


@pytest.mark.parametrize("average, beta, threshold", [
    (None, 1.0, None), ("micro", 1.0, None), ("macro", 0.5, 0.5), ("weighted", 2.0, 0.3)])
def test_fbeta_score_matches_keras_definition(rng, average, beta, threshold):
    batches = [(np.eye(4)[rng.integers(0, 4, 6)], rng.random((6, 4)), rng.random(6)),
               ((rng.random((5, 4)) > 0.5).astype("float64"), rng.random((5, 4)), None)]
    metric = (metrics.F1Score(average=average, threshold=threshold) if beta == 1.0 else
              metrics.FBetaScore(average=average, beta=beta, threshold=threshold))
    for y_true, y_pred, weight in batches:
        metric.update_state(y_true, y_pred, sample_weight=weight)
    assert_close(metric.result(), np_fbeta(batches, average, beta, threshold), atol=1e-6)
    assert type(metric).from_config(metric.get_config()).get_config() == metric.get_config()
    metric.reset_state()
    assert_close(metric.result(), np.zeros(4) if average is None else 0.0)


def test_f1_score_in_compile_is_built_from_the_output_shape(rng):
    """Its state's size comes from the model's output, before the compiled step."""
    x = rng.normal(size=(16, 3)).astype("float32")
    y = np.eye(4, dtype="float32")[rng.integers(0, 4, 16)]
    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(4, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=[metrics.F1Score(average="macro")])
    model.fit(x, y, batch_size=8, verbose=0)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = np_fbeta([(y, model.predict(x, verbose=0), None)], "macro", 1.0, None)
    assert_close(result["f1_score"], expected, atol=1e-5)


def test_fbeta_score_argument_errors():
    with pytest.raises(ValueError, match="average"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match="beta"):
        metrics.FBetaScore(beta=1)
    with pytest.raises(ValueError, match="threshold"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.F1Score().update_state(np.ones((2, 3, 4)), np.ones((2, 3, 4)))


# ---------------------------------------------------------------- R2Score
def np_r2(batches, class_aggregation, num_regressors):
    """sklearn-style R2 per column over every batch's (weighted) values."""
    t = np.concatenate([b[0] for b in batches])
    p = np.concatenate([b[1] for b in batches])
    w = np.concatenate([np.ones(len(b[0])) if b[2] is None else b[2] for b in batches])[:, None]
    mean = (w * t).sum(0) / w.sum()
    total = (w * (t - mean) ** 2).sum(0)
    raw = 1 - (w * (t - p) ** 2).sum(0) / total
    if class_aggregation == "uniform_average":
        score = raw.mean()
    elif class_aggregation == "variance_weighted_average":
        score = (total * raw).sum() / total.sum()
    else:
        score = raw
    n = t.size
    if num_regressors and num_regressors < n - 1:
        score = 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
    return score


@pytest.mark.parametrize("class_aggregation, num_regressors", [
    ("uniform_average", 0), (None, 0), ("variance_weighted_average", 0),
    ("uniform_average", 3), ("uniform_average", 40)])  # 40 >= n - 1: the plain score
def test_r2_score_matches_its_definition_over_weighted_batches(rng, class_aggregation,
                                                                num_regressors):
    t0, t1 = rng.normal(size=(6, 3)), rng.normal(size=(5, 3))
    batches = [(t0, t0 * 0.7 + rng.normal(size=(6, 3)) * 0.4, rng.random(6)),
               (t1, t1 + rng.normal(size=(5, 3)) * 0.2, None)]
    metric = metrics.R2Score(class_aggregation=class_aggregation, num_regressors=num_regressors)
    for y_true, y_pred, weight in batches:
        metric.update_state(y_true, y_pred, sample_weight=weight)
    assert_close(metric.result(), np_r2(batches, class_aggregation, num_regressors), atol=1e-5)
    assert metrics.R2Score.from_config(metric.get_config()).get_config() == metric.get_config()


def test_r2_score_in_compile_and_its_errors(rng):
    x = rng.normal(size=(16, 3)).astype("float32")
    y = rng.normal(size=(16, 2)).astype("float32")
    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(2)])
    model.compile("sgd", "mse", metrics=[metrics.R2Score()])
    model.fit(x, y, batch_size=8, verbose=0)
    result = model.evaluate(x, y, verbose=0, return_dict=True)
    expected = np_r2([(y, model.predict(x, verbose=0), None)], "uniform_average", 0)
    assert_close(result["r2_score"], expected, atol=1e-5)
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="mean")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="2D inputs"):
        metrics.R2Score().update_state(np.ones(4), np.ones(4))
