"""``Distiller``: trains a student model on its own loss plus distillation
losses against a frozen teacher.

It changes only ``compute_loss`` (and ``compile``, which keeps the
student's loss aside): the trainer's one ``train_step`` differentiates it,
and each backend's compiled step (``jax.jit``, ``tf.function``, torch)
runs it unchanged. The teacher runs inside the step in inference mode;
frozen, its weights are state the step reads, never gradients it applies.
"""
import warnings

from kfacade import losses as losses_module
from kfacade import metrics as metrics_module
from kfacade import ops, tree
from kfacade.distillation.distillation_loss import _loss_from_identifier
from kfacade.models.model import Model
from kfacade.models.sequential import Sequential
from kfacade.saving import keras_zip
from kfacade.saving.h5_model import _serialize_nested
from kfacade.saving.serialization_lib import deserialize_keras_object, serialize_keras_object

_FINAL_OUTPUT = "final_output"


class Distiller(Model):
    """Knowledge distillation: a student learns from labels and from a teacher.

    The training loss is ``student_loss_weight * student_loss +
    (1 - student_loss_weight) * sum_i(weight_i * distillation_loss_i)``,
    where the student loss is the one given to ``compile`` and each
    distillation loss compares teacher and student outputs (or features).
    Calling the distiller, ``predict`` and ``evaluate`` run the student.
    The logs hold ``student_loss``, ``distillation_loss`` and
    ``total_loss`` beside ``loss`` and the compiled metrics.

    Args:
        teacher: a trained, built ``kfacade.Model``; frozen (``trainable``
            set to False) by the distiller.
        student: the ``kfacade.Model`` to train.
        distillation_losses: a ``DistillationLoss`` (``LogitsDistillation``,
            ``FeatureDistillation`` or a subclass), or a list of them.
        distillation_loss_weights: one weight per distillation loss (a
            list as long as `distillation_losses`); None weighs each 1.0.
        student_loss_weight: the student loss's share, in [0, 1]. Defaults to 0.5.
        name: the model's name. Defaults to "distiller".
        **kwargs: passed to ``Model``.

    Example:
        >>> distiller = Distiller(teacher, student,
        ...                       LogitsDistillation(temperature=3.0))
        >>> distiller.compile(optimizer="adam",
        ...                   loss="sparse_categorical_crossentropy")
        >>> distiller.fit(x_train, y_train, epochs=2)
        >>> trained = distiller.student
    """

    keras_module = "keras.distillation"

    def __init__(self, teacher, student, distillation_losses, distillation_loss_weights=None,
                 student_loss_weight=0.5, name="distiller", **kwargs):
        super().__init__(name=name, **kwargs)
        _check_models(teacher, student)
        self.teacher = teacher
        self.student = student
        if isinstance(student_loss_weight, bool) or \
                not isinstance(student_loss_weight, (int, float)):
            raise ValueError(
                f"student_loss_weight must be a number, got {type(student_loss_weight)}")
        if not 0.0 <= student_loss_weight <= 1.0:
            raise ValueError(
                f"student_loss_weight must be between 0.0 and 1.0, got {student_loss_weight}")
        self.student_loss_weight = student_loss_weight
        if distillation_losses is None:
            raise ValueError(
                "'distillation_losses' cannot be `None`. Provide a distillation loss (e.g., "
                "LogitsDistillation or FeatureDistillation) or a list of distillation losses.")
        if isinstance(distillation_losses, (list, tuple)):
            self.distillation_losses = list(distillation_losses)
            if distillation_loss_weights is None:
                distillation_loss_weights = [1.0] * len(self.distillation_losses)
            elif len(distillation_loss_weights) != len(self.distillation_losses):
                raise ValueError(
                    f"Number of distillation_loss_weights ({len(distillation_loss_weights)}) "
                    f"must match number of distillation_losses ({len(self.distillation_losses)})")
            self.distillation_loss_weights = list(distillation_loss_weights)
        else:
            # As Keras: a single loss always weighs 1.0.
            self.distillation_losses = [distillation_losses]
            self.distillation_loss_weights = [1.0]
        for distillation_loss in self.distillation_losses:
            distillation_loss.validate_model_compatibility(teacher, student)
        self._teacher_feature_extractor = _feature_extractor(
            teacher, _layer_names(self.distillation_losses, "teacher_layer_name"))
        self._student_feature_extractor = _feature_extractor(
            student, _layer_names(self.distillation_losses, "student_layer_name"))
        self.teacher.trainable = False
        if self._teacher_feature_extractor is not None:
            # It holds the teacher's layers: frozen with it, or the
            # distiller's trainable weights would include the teacher's.
            self._teacher_feature_extractor.trainable = False
        self.student_loss_tracker = metrics_module.Mean(name="student_loss")
        self.distillation_loss_tracker = metrics_module.Mean(name="distillation_loss")
        self.total_loss_tracker = metrics_module.Mean(name="total_loss")

    @property
    def metrics(self):
        """The compiled metrics, then the student, distillation and total loss trackers."""
        return super().metrics + [self.student_loss_tracker, self.distillation_loss_tracker,
                                  self.total_loss_tracker]

    def compile(self, optimizer="adam", loss=None, metrics=None, **kwargs):
        """Configures training; `loss` is the student's supervised loss.

        Args:
            optimizer: the optimizer of the student's weights.
            loss: the student loss: a name, a ``Loss``, or a structure of
                them matching the student's outputs. Required.
            metrics: a list or tuple of metrics on the student's outputs.
            **kwargs: passed to ``Model.compile``.

        Raises:
            ValueError: no `loss`, or `metrics` that is not a list or tuple.
        """
        if loss is None:
            raise ValueError("'loss' cannot be `None`.")
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise ValueError(f"metrics must be a list or tuple, got {type(metrics)}")
        self._student_loss_identifier = loss  # as given, for get_compile_config
        self._student_loss = tree.map_structure(_loss_from_identifier, loss)
        # The trainer's own compiled loss stays empty: ``compute_loss`` below
        # combines the student loss with the distillation losses.
        super().compile(optimizer=optimizer, loss=None, metrics=metrics, **kwargs)

    def get_compile_config(self):
        """Keras 3's ``compile_config`` with the student loss as its ``loss``
        (what ``compile`` takes back), or None when not compiled. Keras 3
        saves no loss for a Distiller, so a file it writes loads uncompiled."""
        config = keras_zip.compile_config(self)
        if config is not None:
            config["loss"] = _serialize_nested(self._student_loss_identifier,
                                               losses_module.serialize)
        return config

    def compile_from_config(self, config):
        """Compiles as ``get_compile_config`` saved it; a config without a
        student loss (a Distiller Keras 3 saved) leaves it uncompiled, with a
        warning, as Keras 3 does."""
        if config.get("loss") is None:
            warnings.warn(
                "`compile()` was not called as part of model loading: the saved compile config "
                "has no student loss (Keras 3 saves none for a Distiller). Call `compile()` "
                "manually after loading.", stacklevel=2)
            return
        keras_zip.compile_from_config(self, config)

    def call(self, inputs, training=None, **kwargs):
        """The student's outputs."""
        return self.student(inputs, training=training, **kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The weighted sum of the student loss and the distillation losses.

        `sample_weight` is not applied (as in Keras). Updates the
        ``student_loss``, ``distillation_loss`` and ``total_loss`` trackers.

        Raises:
            ValueError: a distillation loss that returns a non-scalar, or
                outputs whose structure does not fit a loss.
        """
        if y_pred is None:
            y_pred = self(x, training=training)
        self._build_compiled_on_first_use(y, y_pred)
        self._last_per_output_losses = []
        student_loss = 0.0
        if self.student_loss_weight > 0.0 and y is not None:
            values = tree.flatten(tree.map_structure(
                lambda loss_fn, target, prediction: loss_fn(target, prediction),
                self._student_loss, y, y_pred))
            student_loss = values[0]
            for value in values[1:]:
                student_loss = ops.add(student_loss, value)
            if len(getattr(student_loss, "shape", ())) > 0:  # a function's per-sample values
                student_loss = ops.mean(student_loss)
        distillation_loss = 0.0
        if self.student_loss_weight < 1.0:
            distillation_loss = self._distillation_loss(x, y_pred, training)
        total_loss = ops.add(
            ops.multiply(self.student_loss_weight, student_loss),
            ops.multiply(1.0 - self.student_loss_weight, distillation_loss))
        for tracker, value in ((self.student_loss_tracker, student_loss),
                               (self.distillation_loss_tracker, distillation_loss),
                               (self.total_loss_tracker, total_loss)):
            tracker.update_state(ops.stop_gradient(ops.convert_to_tensor(value, "float32")))
        return total_loss

    def _distillation_loss(self, x, y_pred, training):
        """The weighted sum of the distillation losses on one batch."""
        # One pass of each model gives every feature the losses ask for.
        if self._teacher_feature_extractor is not None:
            teacher_features = self._teacher_feature_extractor(x, training=False)
        else:
            teacher_features = {_FINAL_OUTPUT: self.teacher(x, training=False)}
        student_features = {_FINAL_OUTPUT: y_pred}
        if self._student_feature_extractor is not None:
            student_features = self._student_feature_extractor(x, training=training)
        total = 0.0
        for loss, weight in zip(self.distillation_losses, self.distillation_loss_weights):
            if getattr(loss, "teacher_layer_name", None) is not None:
                teacher_out = teacher_features[loss.teacher_layer_name]
                student_out = student_features[loss.student_layer_name or _FINAL_OUTPUT]
            else:
                teacher_out, student_out = teacher_features[_FINAL_OUTPUT], y_pred
            loss.validate_outputs(teacher_out, student_out)
            value = loss.compute_loss(teacher_out, student_out)
            if len(getattr(value, "shape", ())) > 0:
                raise ValueError(
                    f"Distillation loss {type(loss).__name__} returned a non-scalar loss with "
                    f"shape {tuple(value.shape)}. The compute_loss method must return a "
                    f"scalar tensor.")
            total = ops.add(total, ops.multiply(weight, value))
        return total

    def get_config(self):
        config = super().get_config()
        config.update({
            "teacher": serialize_keras_object(self.teacher),
            "student": serialize_keras_object(self.student),
            "distillation_losses": [serialize_keras_object(loss)
                                    for loss in self.distillation_losses],
            "distillation_loss_weights": self.distillation_loss_weights,
            "student_loss_weight": self.student_loss_weight,
        })
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("teacher", "student"):
            config[key] = deserialize_keras_object(config[key], custom_objects)
        config["distillation_losses"] = [deserialize_keras_object(loss, custom_objects)
                                         for loss in config["distillation_losses"]]
        return cls(**config)


def _check_models(teacher, student):
    """Both are built kfacade models whose symbolic inputs and outputs agree
    in shape and dtype (checked where both have them)."""
    for role, model in (("Teacher", teacher), ("Student", student)):
        if not isinstance(model, Model):
            raise ValueError(f"{role} must be a keras.Model, got {type(model)}")
    if not teacher.built:
        # Keras 3.15 builds it inside the first step, which fails under
        # jax.jit; and an unbuilt teacher has no trained weights to teach.
        raise ValueError(
            f"The teacher model {teacher.name!r} is not built, so it has no trained weights. "
            "Build it and load or train its weights (call it on a batch, or "
            "`teacher.build(input_shape)`) before passing it to the Distiller.")
    for kind in ("inputs", "outputs"):
        teacher_tensors = getattr(teacher, kind, None)
        student_tensors = getattr(student, kind, None)
        if teacher_tensors is None or student_tensors is None:
            continue  # a subclassed model: nothing symbolic to compare
        context = kind[:-1]
        tree.map_structure(lambda t, s: _check_shapes(t.shape, s.shape, context),
                           teacher_tensors, student_tensors)
        tree.map_structure(lambda t, s: _check_dtypes(t.dtype, s.dtype, context),
                           teacher_tensors, student_tensors)


def _check_shapes(teacher_shape, student_shape, context):
    if len(teacher_shape) != len(student_shape):
        raise ValueError(
            f"Teacher and student {context} shapes have different dimensions. "
            f"Teacher: {teacher_shape}, Student: {student_shape}.")
    for a, b in zip(teacher_shape, student_shape):
        if a is not None and b is not None and a != b:
            raise ValueError(
                f"Teacher and student {context} shapes are incompatible. Teacher: "
                f"{teacher_shape}, Student: {student_shape}. All dimensions must match.")


def _check_dtypes(teacher_dtype, student_dtype, context):
    if teacher_dtype != student_dtype:
        raise ValueError(f"Teacher and student {context} dtypes must match. "
                         f"Teacher: {teacher_dtype}, Student: {student_dtype}.")


def _layer_names(distillation_losses, attribute):
    """The distinct layer names the losses' `attribute` names, in order."""
    names = []
    for loss in distillation_losses:
        name = getattr(loss, attribute, None)
        if name and name not in names:
            names.append(name)
    return names


def _feature_extractor(model, layer_names):
    """A model over `model`'s inputs returning ``{"final_output": ..., name:
    layer output}`` for `layer_names`, or None when there are none."""
    if not layer_names:
        return None
    if getattr(model, "inputs", None) is None:
        raise ValueError(f"Cannot create feature extractor for {model.name}. "
                         f"The model has no symbolic inputs attribute.")
    final = model.layers[-1].output if isinstance(model, Sequential) else model.output
    outputs = {_FINAL_OUTPUT: final}
    for name in layer_names:
        outputs[name] = model.get_layer(name=name).output
    return Model(inputs=model.inputs, outputs=outputs,
                 name=f"{model.name}_multi_feature_extractor")
