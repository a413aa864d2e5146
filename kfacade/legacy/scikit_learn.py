"""Keras 2's ``keras.wrappers.scikit_learn``: a model as a scikit-learn estimator.

Served as ``kfacade.wrappers.scikit_learn`` (``module_paths.py`` imports it on
first use, since it imports scikit-learn). ``KerasClassifier`` and
``KerasRegressor`` take ``build_fn`` (a function returning a compiled
model) and ``sk_params``: each parameter goes to whichever of ``build_fn``,
``fit``, ``predict`` and ``evaluate`` accepts it, as in Keras 2. They derive
from scikit-learn's ``BaseEstimator`` and mixins, so ``clone``,
``cross_val_score`` and ``GridSearchCV`` treat them as classifiers and
regressors.

Example:
    >>> def build(hidden=16):
    ...     model = keras.Sequential([keras.layers.Dense(hidden, activation="relu"),
    ...                               keras.layers.Dense(3, activation="softmax")])
    ...     model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ...     return model
    >>> clf = KerasClassifier(build, hidden=32, epochs=5, verbose=0)
    >>> cross_val_score(clf, x, y, cv=3)
"""
import inspect
import types

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from kfacade.models import Model
from kfacade.utils import to_categorical

__all__ = ["BaseWrapper", "KerasClassifier", "KerasRegressor"]


def _accepts(fn, name):
    """True if `fn` takes an argument called `name` (a ``**kwargs`` does not count)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    parameter = parameters.get(name)
    return parameter is not None and parameter.kind not in (
        inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def _loss_name(model):
    loss = getattr(model, "loss", None) or getattr(model, "_loss_identifier", None)
    return getattr(loss, "__name__", loss)


class BaseWrapper(BaseEstimator):
    """The common part of ``KerasClassifier`` and ``KerasRegressor``.

    Args:
        build_fn: a function (or callable object) returning a compiled
            model; None uses the subclass's ``__call__``.
        **sk_params: parameters of ``build_fn``, ``fit``, ``predict`` and
            ``evaluate`` (``epochs``, ``batch_size``, ``verbose``, ...).

    Raises:
        ValueError: a parameter that none of those functions takes.
    """

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def _build_target(self):
        if self.build_fn is None:
            return self.__call__
        if isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn
        return self.build_fn.__call__

    def check_params(self, params):
        """Raises ValueError for a parameter no function of the wrapper takes."""
        legal = [Model.fit, Model.predict, Model.evaluate, self._build_target()]
        for name in params:
            if not any(_accepts(fn, name) for fn in legal):
                raise ValueError(
                    f"{name} is not a legal parameter: it is not an argument of build_fn, "
                    "fit, predict or evaluate."
                )

    def get_params(self, deep=True):
        """``sk_params`` and ``build_fn`` (the objects themselves, as ``clone`` requires)."""
        params = dict(self.sk_params)
        params["build_fn"] = self.build_fn
        return params

    def set_params(self, **params):
        """Updates ``sk_params`` (and ``build_fn``); returns the wrapper."""
        if "build_fn" in params:
            self.build_fn = params.pop("build_fn")
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The ``sk_params`` that `fn` takes, updated with `override`."""
        result = {name: value for name, value in self.sk_params.items() if _accepts(fn, name)}
        result.update(override or {})
        return result

    def fit(self, x, y, **kwargs):
        """Builds a new model with ``build_fn`` and trains it; returns its History.

        ``kwargs`` go to the model's ``fit`` and override ``sk_params``.
        """
        build = self._build_target()
        self.model = build(**self.filter_sk_params(build))
        if _loss_name(self.model) == "categorical_crossentropy" and len(np.shape(y)) != 2:
            y = to_categorical(y)
        fit_args = self.filter_sk_params(Model.fit)
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A scikit-learn classifier over a model from ``build_fn`` (see ``BaseWrapper``).

    Labels may be any sortable values (``classes_`` keeps them); the model
    sees their indices, one-hot when its loss is categorical cross-entropy.
    """

    def fit(self, x, y, sample_weight=None, **kwargs):
        """Trains on `x` and labels `y` ((n,), (n, 1), or one-hot (n, classes))."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError(
                f"Invalid shape for y: {y.shape}; expected (n,), (n, 1) or one-hot (n, classes)."
            )
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict_proba(self, x, **kwargs):
        """Class probabilities, (n, classes); a single sigmoid output gives two columns."""
        kwargs = self.filter_sk_params(Model.predict, kwargs)
        probs = np.asarray(self.model.predict(x, **kwargs))
        if probs.ndim == 2 and probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def predict(self, x, **kwargs):
        """The predicted labels, taken from ``classes_``."""
        kwargs = self.filter_sk_params(Model.predict, kwargs)
        probs = np.asarray(self.model.predict(x, **kwargs))
        if probs.ndim == 2 and probs.shape[1] > 1:
            indices = probs.argmax(axis=-1)
        else:
            indices = (probs > 0.5).astype("int32").reshape(len(probs))
        return self.classes_[indices]

    def score(self, x, y, **kwargs):
        """The model's accuracy on `x`, `y` (its "accuracy"/"acc" metric).

        Raises:
            ValueError: the model was compiled without an accuracy metric.
        """
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Model.evaluate, kwargs)
        if _loss_name(self.model) == "categorical_crossentropy" and len(y.shape) != 2:
            y = to_categorical(y, num_classes=self.n_classes_)
        outputs = self.model.evaluate(x, y, **kwargs)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ("accuracy", "acc"):
                return float(output)
        raise ValueError(
            "The model is not configured to compute accuracy. You should pass "
            f'`metrics=["accuracy"]` to the `model.compile()` method. Its metrics: '
            f"{self.model.metrics_names}"
        )


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A scikit-learn regressor over a model from ``build_fn`` (see ``BaseWrapper``)."""

    def predict(self, x, **kwargs):
        """The model's predictions, with axes of size 1 squeezed."""
        kwargs = self.filter_sk_params(Model.predict, kwargs)
        return np.squeeze(np.asarray(self.model.predict(x, **kwargs)))

    def score(self, x, y, **kwargs):
        """Minus the model's loss on `x`, `y` (greater is better, as scikit-learn expects)."""
        kwargs = self.filter_sk_params(Model.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        if isinstance(loss, list):
            return -float(loss[0])
        return -float(loss)
