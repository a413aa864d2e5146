"""Keras 2's ``keras.wrappers.scikit_learn``: KerasClassifier and KerasRegressor
follow scikit-learn's estimator API (clone, cross_val_score, GridSearchCV)."""
import numpy as np
import pytest

pytest.importorskip("sklearn", reason="scikit-learn is not installed")

from sklearn.base import clone, is_classifier, is_regressor  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402

import kfacade as keras  # noqa: E402
from kfacade.wrappers.scikit_learn import KerasClassifier, KerasRegressor  # noqa: E402


def _classifier(hidden=16, loss="sparse_categorical_crossentropy", classes=3):
    model = keras.Sequential([
        keras.layers.Dense(hidden, activation="relu", input_dim=4),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(0.05), loss, metrics=["accuracy"])
    return model


def _binary(hidden=8):
    model = keras.Sequential([keras.layers.Dense(hidden, activation="relu", input_dim=4),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(0.05), "binary_crossentropy", metrics=["acc"])
    return model


def _regressor(hidden=8):
    model = keras.Sequential([keras.layers.Dense(hidden, activation="relu", input_dim=4),
                              keras.layers.Dense(1)])
    model.compile(keras.optimizers.Adam(0.05), "mse")
    return model


@pytest.fixture
def data(rng):
    x = rng.standard_normal((120, 4)).astype("float32")
    index = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)
    return x, np.array(["low", "mid", "top"])[index]


def test_classifier_labels_probabilities_and_score(data):
    x, y = data
    keras.utils.set_random_seed(0)
    clf = KerasClassifier(_classifier, hidden=16, epochs=30, batch_size=32, verbose=0)
    assert is_classifier(clf) and not is_regressor(clf)
    history = clf.fit(x, y)
    assert len(history.history["loss"]) == 30
    assert list(clf.classes_) == ["low", "mid", "top"] and clf.n_classes_ == 3
    predicted = clf.predict(x)
    assert set(predicted) <= {"low", "mid", "top"}
    probs = clf.predict_proba(x)
    assert probs.shape == (120, 3) and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert np.array_equal(predicted, clf.classes_[probs.argmax(1)])
    accuracy = clf.score(x, y)
    assert accuracy == pytest.approx(np.mean(predicted == y), abs=1e-6)
    assert accuracy > 0.8


def test_categorical_loss_gets_one_hot_targets(data):
    x, y = data
    clf = KerasClassifier(_classifier, loss="categorical_crossentropy", epochs=2, verbose=0)
    clf.fit(x, y)  # labels become one-hot for the categorical loss
    assert 0.0 <= clf.score(x, y) <= 1.0


def test_binary_classifier_has_two_probability_columns(data):
    x, y = data
    labels = (y == "top").astype(int)
    clf = KerasClassifier(_binary, epochs=3, verbose=0)
    clf.fit(x, labels)
    probs = clf.predict_proba(x[:5])
    assert probs.shape == (5, 2) and np.allclose(probs.sum(1), 1)
    assert np.array_equal(clf.predict(x[:5]), (probs[:, 1] > 0.5).astype(int))
    assert 0.0 <= clf.score(x, labels) <= 1.0  # the "acc" metric


def test_score_needs_an_accuracy_metric(data):
    x, y = data

    def no_metric():
        model = _classifier()
        model.compile("adam", "sparse_categorical_crossentropy")
        return model

    clf = KerasClassifier(no_metric, epochs=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        clf.score(x, y)


def test_regressor_predict_and_score(rng):
    x = rng.standard_normal((100, 4)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], "float32")
    keras.utils.set_random_seed(1)
    reg = KerasRegressor(_regressor, hidden=16, epochs=40, batch_size=20, verbose=0)
    assert is_regressor(reg)
    reg.fit(x, y)
    predicted = reg.predict(x)
    assert predicted.shape == (100,)
    score = reg.score(x, y)
    assert score == pytest.approx(-np.mean((predicted - y) ** 2), rel=1e-3)
    assert score > -0.5


def test_params_clone_and_validation():
    clf = KerasClassifier(_classifier, hidden=4, epochs=2, verbose=0)
    params = clf.get_params()
    assert params == {"build_fn": _classifier, "hidden": 4, "epochs": 2, "verbose": 0}
    copy = clone(clf)
    assert copy is not clf and copy.get_params() == params
    assert clf.set_params(hidden=8) is clf and clf.sk_params["hidden"] == 8
    assert clf.filter_sk_params(_classifier) == {"hidden": 8}
    with pytest.raises(ValueError, match="not a legal parameter"):
        KerasClassifier(_classifier, hiden=4)
    with pytest.raises(ValueError, match="not a legal parameter"):
        clf.set_params(nonsense=1)


def test_cross_val_score(data):
    x, y = data
    keras.utils.set_random_seed(2)
    clf = KerasClassifier(_classifier, epochs=3, batch_size=40, verbose=0)
    scores = cross_val_score(clf, x, y, cv=2)
    assert scores.shape == (2,) and np.all((scores >= 0) & (scores <= 1))


def test_grid_search(data):
    x, y = data
    keras.utils.set_random_seed(3)
    clf = KerasClassifier(_classifier, epochs=3, batch_size=40, verbose=0)
    split = [(np.arange(0, 80), np.arange(80, 120))]  # one split: three fits in all
    search = GridSearchCV(clf, {"hidden": [2, 16]}, cv=split).fit(x, y)
    assert search.best_params_["hidden"] in (2, 16)
    assert search.best_estimator_.model is not None  # Keras 2 programs read the model there
    assert search.best_estimator_.sk_params["hidden"] == search.best_params_["hidden"]
