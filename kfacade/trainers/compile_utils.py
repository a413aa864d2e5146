"""What ``compile`` was given, resolved against the model's outputs.

``CompileLoss`` maps one loss, a list or a dict of losses onto the outputs
(with ``loss_weights``); ``CompileMetrics`` does the same for metrics and
resolves "accuracy" from the loss and shapes as Keras does. Both are
resolved on the first batch, before any weight changes, and validate the
targets' shapes against the outputs there.
"""
import numpy as np

from kfacade import losses as losses_module
from kfacade import metrics as metrics_module
from kfacade import ops
from kfacade.engine import tree


def _per_output(value, output_names, what):
    """`value` spread over the outputs: one per output, by position or by name."""
    n = len(output_names)
    if isinstance(value, dict):
        unknown = [k for k in value if k not in output_names]
        if unknown:
            raise ValueError(
                f"Unknown entries in {what} dictionary: {unknown}. Only expected the "
                f"following keys: {output_names}"
            )
        return [value.get(name) for name in output_names]
    if isinstance(value, (list, tuple)) and n > 1:
        if len(value) != n:
            raise ValueError(
                f"When passing a list as {what}, it should have one entry per model "
                f"output. The model has {n} outputs, but you passed {what}={value!r}"
            )
        return list(value)
    return [value] * n


def _shape(x):
    return tuple(x.shape)


SPARSE_CATEGORICAL = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


def check_target_shape(loss_name, y_true_shape, y_pred_shape, output_name):
    """Raises a ValueError when targets cannot fit the output for this loss."""
    if y_pred_shape is None or y_true_shape is None:
        return
    if loss_name in SPARSE_CATEGORICAL:
        if len(y_true_shape) == len(y_pred_shape) and y_true_shape[-1] not in (1, None):
            raise ValueError(
                f"Output {output_name!r}: sparse_categorical_crossentropy expects integer "
                f"labels of shape {y_pred_shape[:-1]} or {y_pred_shape[:-1] + (1,)}, but "
                f"received targets of shape {y_true_shape} for outputs of shape "
                f"{y_pred_shape}. Use categorical_crossentropy for one-hot targets."
            )
        return
    if len(y_true_shape) == len(y_pred_shape):
        a, b = y_true_shape[-1], y_pred_shape[-1]
        if a is not None and b is not None and a != b and a != 1 and b != 1:
            raise ValueError(
                f"Output {output_name!r}: targets of shape {y_true_shape} do not match "
                f"outputs of shape {y_pred_shape} for loss {loss_name!r} (expected "
                f"{b} classes/values per sample, received {a})."
            )
    elif loss_name in ("categorical_crossentropy", "CategoricalCrossentropy") and y_pred_shape[-1] != 1:
        raise ValueError(
            f"Output {output_name!r}: categorical_crossentropy expects one-hot targets of "
            f"shape {y_pred_shape}, received {y_true_shape}. Use "
            f"sparse_categorical_crossentropy for integer labels, or "
            f"kfacade.utils.to_categorical."
        )


def _as_loss_object(identifier):
    """A ``Loss`` for `identifier`; plain functions are wrapped to take sample weights."""
    losses = losses_module
    fn = losses.get(identifier)
    if isinstance(fn, losses.Loss):
        return fn
    return losses.LossFunctionWrapper(fn, name=getattr(fn, "__name__", None))


def _name_of(identifier):
    if isinstance(identifier, str):
        return identifier
    return getattr(identifier, "name", None) or getattr(identifier, "__name__", type(identifier).__name__)


class CompileLoss:
    """The total loss of a (possibly multi-output) model.

    Args:
        loss: a loss identifier, or a list/dict with one per output.
        loss_weights: None, a list or a dict of scalar weights per output.
    """

    def __init__(self, loss, loss_weights=None):
        self.loss = loss
        self.loss_weights = loss_weights
        # Resolve names now, so that an unknown loss fails in compile().
        for identifier in tree.flatten(loss) if isinstance(loss, (list, tuple, dict)) else [loss]:
            if identifier is not None:
                losses_module.get(identifier)
        self.built = False

    def build(self, output_names, y_true, y_pred_shapes):
        """Maps losses to outputs and checks the targets' shapes against them."""
        self.output_names = list(output_names)
        identifiers = _per_output(self.loss, self.output_names, "loss")
        weights = _per_output(self.loss_weights, self.output_names, "loss_weights") \
            if self.loss_weights is not None else [1.0] * len(self.output_names)
        self.identifiers = identifiers
        self.fns = [_as_loss_object(i) if i is not None else None for i in identifiers]
        self.weights = [1.0 if w is None else float(w) for w in weights]
        y_true_flat = self.flatten_targets(y_true)
        for name, identifier, yt, pred_shape in zip(self.output_names, identifiers, y_true_flat, y_pred_shapes):
            if identifier is not None and yt is not None:
                check_target_shape(_name_of(identifier), _shape(yt), pred_shape, name)
        self.built = True

    def flatten_targets(self, y_true):
        if isinstance(y_true, dict):
            missing = [n for n in self.output_names if n not in y_true and self.fns_needed(n)]
            if missing:
                raise ValueError(
                    f"Missing targets for outputs {missing}; targets given for {list(y_true)}."
                )
            return [y_true.get(n) for n in self.output_names]
        flat = tree.flatten(y_true) if isinstance(y_true, (list, tuple)) else [y_true]
        if len(flat) != len(self.output_names):
            raise ValueError(
                f"The model has {len(self.output_names)} outputs {self.output_names} but "
                f"received {len(flat)} target arrays."
            )
        return flat

    def check_targets(self, y_true, y_pred_shapes, check_shapes=True):
        """Validates a batch's targets before any step: shapes against the
        outputs' (`y_pred_shapes`: ``{output name: shape}``), and sparse
        categorical labels within ``[0, classes)``.

        Raises:
            ValueError: naming the output, the loss and the received values.
        """
        for name, identifier, yt in zip(self.output_names, self.identifiers, self.flatten_targets(y_true)):
            if identifier is None or yt is None:
                continue
            loss_name, pred_shape = _name_of(identifier), y_pred_shapes.get(name)
            if check_shapes:
                check_target_shape(loss_name, _shape(yt), pred_shape, name)
            if loss_name in SPARSE_CATEGORICAL and isinstance(yt, np.ndarray) and yt.size and pred_shape:
                classes = pred_shape[-1]
                if classes is not None and (yt.max() >= classes or yt.min() < 0):
                    raise ValueError(
                        f"Output {name!r}: labels must be integers in [0, {classes}) for "
                        f"sparse_categorical_crossentropy; received labels from {yt.min()} "
                        f"to {yt.max()}."
                    )

    def fns_needed(self, name):
        return self.fns[self.output_names.index(name)] is not None if hasattr(self, "fns") else True

    def __call__(self, y_true, y_pred, sample_weight=None):
        """(total, per-output losses) for native targets and predictions."""
        y_true_flat = self.flatten_targets(y_true)
        y_pred_flat = tree.flatten(y_pred)
        per_output = []
        total = None
        for fn, weight, yt, yp in zip(self.fns, self.weights, y_true_flat, y_pred_flat):
            if fn is None or yt is None:
                per_output.append(None)
                continue
            value = fn(yt, yp, sample_weight=sample_weight)
            per_output.append(value)
            weighted = value if weight == 1.0 else ops.multiply(value, weight)
            total = weighted if total is None else ops.add(total, weighted)
        if total is None:
            raise ValueError("No loss to compute: every output's loss is None.")
        return total, per_output


class CompileMetrics:
    """The metrics of each output, created on the first batch."""

    def __init__(self, metrics, weighted_metrics=None):
        self.metrics_spec = metrics
        self.weighted_spec = weighted_metrics
        for identifier in self._all_identifiers():
            if not (isinstance(identifier, str) and identifier in ("accuracy", "acc")):
                metrics_module.get(identifier)
        self.built = False
        self.metrics = []  # flat list of metric objects, creation order
        self._per_output = []  # [(output index, metric, weighted)]

    def _all_identifiers(self):
        found = []
        for spec in (self.metrics_spec, self.weighted_spec):
            if spec is None:
                continue
            found.extend(tree.flatten(spec) if isinstance(spec, (list, tuple, dict)) else [spec])
        return found

    def build(self, output_names, loss_identifiers, y_true_flat, y_pred_shapes):
        multi = len(output_names) > 1
        for weighted, spec in ((False, self.metrics_spec), (True, self.weighted_spec)):
            if spec is None:
                continue
            if isinstance(spec, dict):
                per_output = [spec.get(name) for name in output_names]
            elif multi and isinstance(spec, (list, tuple)) and len(spec) == len(output_names) and \
                    all(isinstance(s, (list, tuple)) or s is None for s in spec):
                per_output = list(spec)
            else:
                per_output = [spec] * len(output_names)
            for index, identifiers in enumerate(per_output):
                if identifiers is None:
                    continue
                if not isinstance(identifiers, (list, tuple)):
                    identifiers = [identifiers]
                for identifier in identifiers:
                    metric = self._make(identifier, loss_identifiers[index],
                                        y_true_flat[index], y_pred_shapes[index])
                    if multi:
                        metric.name = f"{output_names[index]}_{metric.name}"
                    if weighted and not multi and self.metrics_spec is not None:
                        metric.name = f"weighted_{metric.name}"
                    self.metrics.append(metric)
                    self._per_output.append((index, metric, weighted))
        self.built = True

    def _make(self, identifier, loss_identifier, y_true, y_pred_shape):
        if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
            metric = metrics_module.resolve_accuracy(
                loss_identifier, None if y_true is None else _shape(y_true), y_pred_shape)
            metric.name = identifier
            return metric
        metric = metrics_module.get(identifier)
        # A metric whose state's size depends on the outputs (FBetaScore's
        # classes) makes it now, outside the compiled step.
        build = getattr(metric, "build_for_shapes", None)
        if build is not None:
            build(None if y_true is None else _shape(y_true), tuple(y_pred_shape))
        return metric

    def update_state(self, y_true_flat, y_pred_flat, sample_weight=None):
        for index, metric, weighted in self._per_output:
            yt = y_true_flat[index]
            if yt is None:
                continue
            metric.update_state(yt, y_pred_flat[index], sample_weight=sample_weight if weighted else None)

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]
