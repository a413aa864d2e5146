"""The rate-at-rate metrics (SensitivityAtSpecificity, ...) and the IoU metrics
against NumPy references written from their definitions: thresholded counts
for the first, a confusion matrix built with ``np.add.at`` for the second.
Values marked "Keras" are what Keras 3.15.1 gives for the same calls."""
import warnings

import numpy as np
import pytest

import kfacade
from kfacade import metrics
from helpers import assert_close

EPS = 1e-7


def values_of(metric):
    return [np.asarray(v.numpy()) for v in metric.variables]


# ------------------------------------------------ rate at rate: references


def np_thresholds(num_thresholds):
    if num_thresholds == 1:
        return np.array([0.5])
    return np.array([0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
                    + [1.0])


def np_counts(y_true, y_pred, thresholds, weights=None):
    """(tp, fp, tn, fn) per threshold; a prediction above a threshold is positive there."""
    positive = np.asarray(y_true).reshape(-1) != 0
    scores = np.asarray(y_pred, "float64").reshape(-1)
    w = np.ones_like(scores) if weights is None else np.asarray(weights, "float64").reshape(-1)
    out = []
    for threshold in thresholds:
        predicted = scores > threshold
        out.append([(w * (positive & predicted)).sum(), (w * (~positive & predicted)).sum(),
                    (w * (~positive & ~predicted)).sum(), (w * (positive & ~predicted)).sum()])
    return np.array(out).T


def _ratio(a, b):
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def np_rate_at_rate(cls, value, counts):
    tp, fp, tn, fn = counts
    rates = {"sensitivity": _ratio(tp, tp + fn), "specificity": _ratio(tn, tn + fp),
             "precision": _ratio(tp, tp + fp)}
    rates["recall"] = rates["sensitivity"]
    constrained, maximized = {
        metrics.SensitivityAtSpecificity: ("specificity", "sensitivity"),
        metrics.SpecificityAtSensitivity: ("sensitivity", "specificity"),
        metrics.PrecisionAtRecall: ("recall", "precision"),
        metrics.RecallAtPrecision: ("precision", "recall"),
    }[cls]
    feasible = rates[constrained] >= value
    return max(rates[maximized][feasible].max(initial=0.0), 0.0)


RATE_CLASSES = [metrics.SensitivityAtSpecificity, metrics.SpecificityAtSensitivity,
                metrics.PrecisionAtRecall, metrics.RecallAtPrecision]


# ------------------------------------------------------ rate at rate: tests


@pytest.mark.parametrize("cls", RATE_CLASSES)
@pytest.mark.parametrize("num_thresholds", [7, 1])  # evenly spaced (bucket path); 0.5 only
def test_rate_at_rate_over_weighted_batches_and_reset(rng, cls, num_thresholds):
    value = 0.6
    metric = cls(value, num_thresholds=num_thresholds)
    assert metric.thresholds == pytest.approx(list(np_thresholds(num_thresholds)))
    thresholds = np_thresholds(num_thresholds)
    counts = 0
    for i in range(3):
        y_true = (rng.random(10) > 0.5).astype("float32")
        y_pred = rng.random(10).astype("float32")
        weights = rng.random(10).astype("float32") if i == 1 else None
        metric.update_state(y_true, y_pred, sample_weight=weights)
        counts = counts + np_counts(y_true, y_pred, thresholds, weights)
        assert_close(metric.result(), np_rate_at_rate(cls, value, counts))
    for variable, expected in zip(metric.variables, counts):
        assert_close(variable, expected, atol=1e-5)
    metric.reset_state()
    assert all(np.all(v == 0) for v in values_of(metric))
    assert_close(metric.result(), 0.0)


@pytest.mark.parametrize("cls", RATE_CLASSES)
def test_rate_at_rate_class_id(rng, cls):
    y_true = (rng.random((10, 3)) > 0.5).astype("float32")
    y_pred = rng.random((10, 3)).astype("float32")
    weights = rng.random(10).astype("float32")  # one per sample
    metric = cls(0.4, num_thresholds=7, class_id=1)
    metric.update_state(y_true, y_pred, sample_weight=weights)
    counts = np_counts(y_true[:, 1], y_pred[:, 1], np_thresholds(7), weights)
    assert_close(metric.result(), np_rate_at_rate(cls, 0.4, counts))


@pytest.mark.parametrize("cls, value, y_true, y_pred, weights, expected", [
    # Keras's docstring examples (the values Keras 3.15.1 gives).
    (metrics.SensitivityAtSpecificity, 0.5, [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], None, 0.5),
    (metrics.SensitivityAtSpecificity, 0.5, [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
     [1, 1, 2, 2, 1], 1 / 3),
    (metrics.SpecificityAtSensitivity, 0.5, [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8], None, 2 / 3),
    (metrics.PrecisionAtRecall, 0.5, [0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8],
     [2, 2, 2, 1, 1], 1 / 3),
    (metrics.RecallAtPrecision, 0.8, [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], None, 0.5),
    (metrics.RecallAtPrecision, 0.8, [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 1.0),
    (metrics.RecallAtPrecision, 1.0, [1, 1, 0, 0], [0.0, 0.0, 0.0, 0.0], None, 0.0),  # unreachable
])
def test_rate_at_rate_known_values(cls, value, y_true, y_pred, weights, expected):
    metric = cls(value)
    metric.update_state(y_true, y_pred, sample_weight=weights)
    assert_close(metric.result(), expected)


def test_rate_at_rate_config_names_and_errors():
    metric = metrics.SensitivityAtSpecificity(0.3, num_thresholds=50, class_id=2, name="s")
    assert metric.get_config() == {"name": "s", "dtype": "float32", "class_id": 2,
                                   "num_thresholds": 50, "specificity": 0.3}
    for cls, key in zip(RATE_CLASSES, ("specificity", "sensitivity", "recall", "precision")):
        metric = cls(0.25, num_thresholds=9)
        assert metric.name.startswith(kfacade.layers.layer.to_snake_case(cls.__name__))
        assert getattr(metric, key) == 0.25 and metric.get_config()[key] == 0.25
        clone = metrics.deserialize(metrics.serialize(metric))
        assert type(clone) is cls and clone.get_config() == metric.get_config()
        assert [v.shape for v in clone.variables] == [(9,)] * 4
        with pytest.raises(ValueError, match=rf"Argument `{key}` must be in the range \[0, 1\]\. "
                                             rf"Received: {key}=1.5"):
            cls(1.5)
        with pytest.raises(ValueError, match=rf"Received: {key}=-0.1"):
            cls(-0.1)
        with pytest.raises(ValueError, match=r"Argument `num_thresholds` must be an integer > 0\. "
                                             r"Received: num_thresholds=0"):
            cls(0.5, num_thresholds=0)
    with pytest.raises(ValueError, match="class_id"):
        metrics.PrecisionAtRecall(0.5, class_id=0).update_state([0, 1], [0.2, 0.8])
    # Class ids against per-class scores: Keras fails deep inside; counting would be nonsense.
    with pytest.raises(ValueError, match=r"y_true must have one column per class.*\(10,\)"):
        metrics.RecallAtPrecision(0.5, class_id=1).update_state(
            np.arange(10) % 3, np.zeros((10, 3), "float32"))


def test_rate_at_rate_and_binary_iou_in_compiled_fit(rng):
    x = rng.normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([1.0, -0.5, 0.3]) + 0.3 * rng.normal(size=32) > 0).astype("float32")[:, None]
    model = kfacade.Sequential([kfacade.Input((3,)), kfacade.layers.Dense(1, activation="sigmoid")])
    family = [cls(0.6, num_thresholds=21, name=cls.__name__) for cls in RATE_CLASSES]
    binary_iou = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.4, name="binary_iou")
    model.compile("sgd", "binary_crossentropy", metrics=family + [binary_iou])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    scores = model.predict(x, batch_size=8, verbose=0)
    counts = np_counts(y, scores, np_thresholds(21))
    for cls in RATE_CLASSES:
        assert_close(logs[cls.__name__], np_rate_at_rate(cls, 0.6, counts), atol=1e-5)
    predicted = (scores >= 0.4).astype(int).reshape(-1)
    assert_close(logs["binary_iou"], np_iou(np_confusion(y.reshape(-1), predicted, 2), [0, 1]),
                 atol=1e-5)


# -------------------------------------------------------- IoU: references


def np_confusion(labels, predictions, num_classes, weights=None, ignore_class=None):
    """Weights summed at (label, prediction); out-of-range or ignored labels not counted."""
    labels = np.asarray(labels).reshape(-1).astype(int)
    predictions = np.asarray(predictions).reshape(-1).astype(int)
    weights = np.ones(labels.shape) if weights is None else np.asarray(weights, "float64")
    weights = weights.reshape(-1)
    keep = (labels >= 0) & (labels < num_classes) & (predictions >= 0) & (predictions < num_classes)
    if ignore_class is not None:
        keep &= labels != ignore_class
    matrix = np.zeros((num_classes, num_classes))
    np.add.at(matrix, (labels[keep], predictions[keep]), weights[keep])
    return matrix


def np_iou(matrix, target_class_ids):
    """Mean of tp / (tp + fp + fn) over the target classes that occurred (Keras's epsilons)."""
    tp = np.diag(matrix)
    union = matrix.sum(0) + matrix.sum(1) - tp
    ids = list(target_class_ids)
    present = union[ids] > 1e-9
    iou = np.where(present, tp[ids] / (union[ids] + EPS), 0.0)
    return iou.sum() / (present.sum() + EPS)


# -------------------------------------------------------------- IoU: tests


IOU_CASES = {
    "iou": (lambda dtype: metrics.IoU(4, [1, 3], dtype=dtype), [1, 3], "sparse"),
    "iou_ignore": (lambda dtype: metrics.IoU(4, [0, 2], ignore_class=1, dtype=dtype),
                   [0, 2], "sparse"),
    "mean_iou": (lambda dtype: metrics.MeanIoU(4, dtype=dtype), range(4), "sparse"),
    "mean_iou_dense_pred": (lambda dtype: metrics.MeanIoU(4, sparse_y_pred=False, dtype=dtype),
                            range(4), "dense_pred"),
    "one_hot_iou": (lambda dtype: metrics.OneHotIoU(4, [0, 2], dtype=dtype), [0, 2], "one_hot"),
    "one_hot_mean_iou": (lambda dtype: metrics.OneHotMeanIoU(4, ignore_class=3, dtype=dtype),
                         range(4), "one_hot"),
}


def iou_batch(rng, encoding):
    """(y_true, y_pred, label ids, predicted ids) of 12 samples over 4 classes."""
    labels, predicted = rng.integers(0, 4, 12), rng.integers(0, 4, 12)
    scores = rng.random((12, 4)).astype("float32")
    scores[np.arange(12), predicted] += 1.0  # the argmax is `predicted`
    if encoding == "sparse":
        return labels, predicted, labels, predicted
    if encoding == "dense_pred":
        return labels, scores, labels, predicted
    return np.eye(4, dtype="float32")[labels], scores, labels, predicted


@pytest.mark.parametrize("case", list(IOU_CASES))
def test_iou_metrics_over_weighted_batches_and_reset(rng, case):
    make, target_class_ids, encoding = IOU_CASES[case]
    metric = make("float32")
    ignore_class = metric.ignore_class
    assert [v.shape for v in metric.variables] == [(4, 4)]
    matrix = np.zeros((4, 4))
    for i in range(3):
        y_true, y_pred, labels, predicted = iou_batch(rng, encoding)
        weights = rng.random(12).astype("float32") if i != 0 else None
        metric.update_state(y_true, y_pred, sample_weight=weights)
        matrix += np_confusion(labels, predicted, 4, weights, ignore_class)
        assert_close(metric.variables[0], matrix, atol=1e-5)
        assert_close(metric.result(), np_iou(matrix, target_class_ids))
    metric.reset_state()
    assert np.all(values_of(metric)[0] == 0)
    assert_close(metric.result(), 0.0)  # no class occurred


@pytest.mark.parametrize("case", ["iou", "one_hot_mean_iou"])
def test_iou_default_int_state_counts(rng, case):
    make, target_class_ids, encoding = IOU_CASES[case]
    metric = make(None)
    assert metric.dtype == "int32" and metric.variables[0].dtype == "int32"
    y_true, y_pred, labels, predicted = iou_batch(rng, encoding)
    metric.update_state(y_true, y_pred, sample_weight=np.arange(12) % 3)  # int weights
    matrix = np_confusion(labels, predicted, 4, np.arange(12) % 3, metric.ignore_class)
    np.testing.assert_array_equal(values_of(metric)[0], matrix)
    assert_close(metric.result(), np_iou(matrix, target_class_ids))


def test_iou_out_of_range_ids_ignore_class_and_truncated_weights():
    # Keras: labels or predictions outside [0, num_classes) and ignored labels are not counted.
    metric = metrics.MeanIoU(4, ignore_class=-1)
    metric.update_state([0, -1, 2, 5], [0, 1, 2, 2])  # label -1 ignored, label 5 out of range
    metric.update_state([2, 1, 1, 0], [2, 7, -1, 4])  # predictions 7, -1 and 4 out of range
    np.testing.assert_array_equal(values_of(metric)[0], np.diag([1, 0, 2, 0]))
    assert_close(metric.result(), 2 / (2 + EPS) * (1 / (1 + EPS)))  # Keras: 0.9999999
    metric = metrics.MeanIoU(4, ignore_class=1, dtype="float32")
    metric.update_state([0, 1, 1, 2], [0, 0, 2, 2])
    np.testing.assert_array_equal(values_of(metric)[0], np.diag([1.0, 0, 1, 0]))
    # The default int32 state truncates fractional weights (Keras: 0.0, with a warning).
    metric = metrics.MeanIoU(2)
    with pytest.warns(UserWarning, match="truncated to integers"):
        metric.update_state([0, 0, 1, 1], [0, 1, 0, 1],
                            sample_weight=np.array([0.3, 0.3, 0.3, 1.5]))
    np.testing.assert_array_equal(values_of(metric)[0], [[0, 0], [0, 1]])


def test_iou_known_values():
    # Keras's docstring examples, with the float state that their weights need.
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    assert_close(m.result(), 1 / 3)
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    assert_close(m.result(), 0.17361112)
    m = metrics.BinaryIoU(target_class_ids=[1], threshold=0.5)
    m.update_state([0, 1, 1, 0], [0.2, 0.5, 0.49, 0.1])  # >= threshold is class 1
    assert_close(m.result(), 1 / 2)
    y_true = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    y_pred = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    m = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    m.update_state(y_true, y_pred, sample_weight=[0.1, 0.2, 0.3, 0.4])
    assert_close(m.result(), 0.07142857)
    m = metrics.OneHotMeanIoU(num_classes=3, dtype="float32")
    m.update_state(y_true, y_pred, sample_weight=[0.1, 0.2, 0.3, 0.4])
    assert_close(m.result(), 0.04761905)


def test_iou_segmentation_maps_with_per_sample_weights(rng):
    # (batch, h, w) ids with one weight per sample (Keras accepts only per-pixel weights).
    labels, predicted = rng.integers(0, 4, (2, 3, 2)), rng.integers(0, 4, (2, 3, 2))
    weights = np.array([2.0, 0.5], "float32")
    metric = metrics.MeanIoU(4, dtype="float32")
    metric.update_state(labels, predicted, sample_weight=weights)
    pixel_weights = np.broadcast_to(weights[:, None, None], labels.shape)
    assert_close(metric.variables[0], np_confusion(labels, predicted, 4, pixel_weights))
    scores = np.moveaxis(np.eye(4, dtype="float32")[predicted], -1, 1)  # channels first
    metric = metrics.OneHotMeanIoU(4, axis=1, dtype="float32")
    metric.update_state(np.moveaxis(np.eye(4)[labels], -1, 1), scores, sample_weight=pixel_weights)
    assert_close(metric.variables[0], np_confusion(labels, predicted, 4, pixel_weights))


def test_iou_metrics_in_compiled_fit(rng):
    x = rng.normal(size=(32, 5)).astype("float32")
    labels = np.argmax(x[:, :4] + 0.5 * rng.normal(size=(32, 4)), axis=-1)
    y = np.eye(4, dtype="float32")[labels]
    model = kfacade.Sequential([kfacade.Input((5,)), kfacade.layers.Dense(4, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=[  # int32 state inside the step
        metrics.OneHotIoU(4, [1, 2], name="one_hot_iou"),
        metrics.OneHotMeanIoU(4, ignore_class=0, name="one_hot_mean_iou"),
        metrics.MeanIoU(4, sparse_y_true=False, sparse_y_pred=False, name="mean_iou"),
    ])
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    predicted = model.predict(x, batch_size=8, verbose=0).argmax(-1)
    matrix = np_confusion(labels, predicted, 4)
    assert_close(logs["one_hot_iou"], np_iou(matrix, [1, 2]), atol=1e-5)
    assert_close(logs["mean_iou"], np_iou(matrix, range(4)), atol=1e-5)
    assert_close(logs["one_hot_mean_iou"],
                 np_iou(np_confusion(labels, predicted, 4, ignore_class=0), range(4)), atol=1e-5)


@pytest.mark.parametrize("metric, config", [
    (metrics.IoU(3, (1, 2), name="a"),
     {"name": "a", "dtype": "int32", "num_classes": 3, "target_class_ids": [1, 2],
      "ignore_class": None, "sparse_y_true": True, "sparse_y_pred": True, "axis": -1}),
    (metrics.BinaryIoU(name="b"),
     {"name": "b", "dtype": "int32", "target_class_ids": [0, 1], "threshold": 0.5}),
    (metrics.MeanIoU(3, ignore_class=0, dtype="float32", name="c"),
     {"name": "c", "dtype": "float32", "num_classes": 3, "ignore_class": 0,
      "sparse_y_true": True, "sparse_y_pred": True, "axis": -1}),
    (metrics.OneHotIoU(4, [1], name="d"),
     {"name": "d", "dtype": "int32", "num_classes": 4, "target_class_ids": [1],
      "ignore_class": None, "sparse_y_pred": False, "axis": -1}),
    (metrics.OneHotMeanIoU(2, axis=1, name="e"),
     {"name": "e", "dtype": "int32", "num_classes": 2, "ignore_class": None,
      "sparse_y_pred": False, "axis": 1}),
])
def test_iou_configs_match_keras_and_round_trip(metric, config):
    assert metric.get_config() == config
    clone = metrics.deserialize(metrics.serialize(metric))
    assert type(clone) is type(metric) and clone.get_config() == config
    assert [v.shape for v in clone.variables] == [v.shape for v in metric.variables]


def test_iou_names_lookup_and_errors():
    names = [metrics.IoU(2, [0]).name, metrics.BinaryIoU().name, metrics.MeanIoU(2).name,
             metrics.OneHotIoU(2, [0]).name, metrics.OneHotMeanIoU(2).name]
    for name, stem in zip(names, ("io_u", "binary_io_u", "mean_io_u", "one_hot_io_u",
                                  "one_hot_mean_io_u")):
        assert name == stem or name.startswith(stem + "_")
    assert type(metrics.get("BinaryIoU")) is metrics.BinaryIoU
    config = {"class_name": "MeanIoU", "config": {"num_classes": 3}}
    assert type(metrics.get(config)) is metrics.MeanIoU
    with pytest.raises(TypeError, match="num_classes"):  # as in Keras: no default class count
        metrics.get("MeanIoU")
    with pytest.raises(ValueError, match=r"Target class id 3 is out of range, which is \[0, 3\)\."):
        metrics.IoU(3, [0, 3])
    with pytest.raises(ValueError, match=r"Target class id 2 is out of range, which is \[0, 2\)\."):
        metrics.BinaryIoU(target_class_ids=[2])
    with pytest.raises(ValueError, match="target_class_ids"):
        metrics.IoU(3, [])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # int weights on the int state: no warning
        metrics.IoU(4, [0]).update_state([0, 1, 2, 3], [0, 1, 3, 3],
                                         sample_weight=np.array([1, 2, 0, 1]))
