"""The losses a ``Distiller`` adds: how a student's outputs should match a teacher's.

``LogitsDistillation`` compares the final outputs after dividing both by a
temperature; ``FeatureDistillation`` compares the outputs of two named
layers (or the final outputs). Each takes a loss, or a nested structure of
losses (``None`` skips an output) matching the outputs' structure, and
returns a scalar: the sum over outputs of each loss's mean.
"""
from kfacade import losses as losses_module
from kfacade import ops, tree
from kfacade.saving.serialization_lib import deserialize_keras_object, serialize_keras_object


def _loss_from_identifier(identifier):
    """A loss name resolved to Keras's function or class instance; anything
    else (a ``Loss``, a callable, None) unchanged."""
    if isinstance(identifier, str):
        return losses_module.get(identifier)
    return identifier


def _resolve_losses(loss, message):
    """`loss` with every name resolved; `message` raised when all are None."""
    resolved = tree.map_structure(_loss_from_identifier, loss)
    if all(item is None for item in tree.flatten(resolved)):
        raise ValueError(message)
    return resolved


def _summed(values):
    """The sum of the scalars in `values` (a skipped output adds nothing)."""
    values = [value for value in values if value is not None]
    total = values[0]
    for value in values[1:]:
        total = ops.add(total, value)
    return total


class DistillationLoss:
    """Base class of the distillation losses.

    A subclass implements ``compute_loss(teacher_outputs, student_outputs)``
    returning a scalar; it may refine ``validate_outputs`` (called on each
    step's outputs) and ``validate_model_compatibility`` (called once when
    the ``Distiller`` is built).
    """

    keras_module = "keras.distillation"

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The scalar loss between the teacher's and the student's outputs.

        Args:
            teacher_outputs: the teacher's outputs (a tensor or a nested
                structure of tensors).
            student_outputs: the student's outputs, in the same structure.
            **kwargs: extra arguments a custom loss may take.
        """
        raise NotImplementedError("Subclasses must implement compute_loss")

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Raises ValueError when the two outputs differ in structure."""
        tree.assert_same_structure(teacher_outputs, student_outputs)

    def validate_model_compatibility(self, teacher, student):
        """Raises ValueError when this loss cannot apply to these models (none here)."""


class FeatureDistillation(DistillationLoss):
    """Matches intermediate features (or final outputs) of teacher and student.

    Args:
        loss: the loss between teacher and student features: a name
            ("mse", "cosine_similarity", ...), a ``Loss``, or a nested
            structure of them matching the features, ``None`` skipping one.
            At least one must be set. Defaults to "mse".
        teacher_layer_name: the teacher layer whose output is compared;
            None for the teacher's final output.
        student_layer_name: the student layer whose output is compared;
            None for the student's final output.

    Named layers need functional or Sequential models (their outputs are
    read through a model built over the same inputs).

    Example:
        >>> loss = FeatureDistillation(loss="mse", teacher_layer_name="dense_1",
        ...                            student_layer_name="dense_1")
    """

    keras_module = "keras.distillation"

    def __init__(self, loss="mse", teacher_layer_name=None, student_layer_name=None):
        self.teacher_layer_name = teacher_layer_name
        self.student_layer_name = student_layer_name
        self.loss = _resolve_losses(
            loss, "The `loss` argument in `FeatureDistillation` must contain at least one "
                  "non-`None` value.")

    def validate_model_compatibility(self, teacher, student):
        """Checks that named layers exist, in models that have symbolic inputs.

        Raises:
            ValueError: a layer name given for a subclassed model, or a layer
                name the model does not have.
        """
        if self.teacher_layer_name is not None or self.student_layer_name is not None:
            subclassed = [role for role, model in (("teacher", teacher), ("student", student))
                          if getattr(model, "inputs", None) is None]
            if subclassed:
                raise ValueError(
                    f"FeatureDistillation with specific layer names requires Functional or "
                    f"Sequential models. The {' and '.join(subclassed)} model(s) appear to be "
                    f"subclassed (no symbolic inputs/outputs). Either use Functional/Sequential "
                    f"models, or use FeatureDistillation without layer names (to distill final "
                    f"outputs only), or use LogitsDistillation instead.")
        for role, model, layer_name in (("teacher", teacher, self.teacher_layer_name),
                                        ("student", student, self.student_layer_name)):
            if layer_name is not None:
                try:
                    model.get_layer(name=layer_name)
                except ValueError as error:
                    raise ValueError(f"In {role} model: {error}") from None

    def validate_outputs(self, teacher_outputs, student_outputs):
        """Also checks that the loss structure matches the features' structure."""
        super().validate_outputs(teacher_outputs, student_outputs)
        try:
            tree.assert_same_structure(self.loss, teacher_outputs)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"Loss structure mismatch. Loss structure: {_structure(self.loss)}, "
                f"Output structure: {_structure(teacher_outputs)}. Error: {error}") from None

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The sum over features of the mean loss (teacher features as targets)."""

        def apply(loss_fn, teacher_features, student_features):
            if loss_fn is None:
                return None
            return ops.mean(loss_fn(teacher_features, student_features))

        return _summed(tree.flatten(
            tree.map_structure(apply, self.loss, teacher_outputs, student_outputs)))

    def get_config(self):
        return {
            "loss": serialize_keras_object(self.loss),
            "teacher_layer_name": self.teacher_layer_name,
            "student_layer_name": self.student_layer_name,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = deserialize_keras_object(config["loss"])
        return cls(**config)


class LogitsDistillation(DistillationLoss):
    """Matches the student's final outputs to the teacher's, softened by a temperature.

    Both outputs are divided by `temperature` and compared with `loss`.
    A ``kfacade.losses.KLDivergence`` instance compares the softmax
    probabilities of the two and is scaled by ``temperature ** 2`` (so that
    its gradients keep their size as the temperature changes, as in Hinton
    et al.); any other loss, the default's function ``kl_divergence``
    included (Keras 3.15 resolves the name to the function, not the
    class), receives the scaled logits themselves.

    Args:
        temperature: a positive number; higher gives softer distributions.
            Defaults to 3.0.
        loss: a name, a ``Loss``, or a nested structure of them matching the
            outputs (``None`` skips an output). Defaults to "kl_divergence".

    Example:
        >>> LogitsDistillation(temperature=4.0,
        ...                    loss=kfacade.losses.KLDivergence())
    """

    keras_module = "keras.distillation"

    def __init__(self, temperature=3.0, loss="kl_divergence"):
        self.temperature = temperature
        self.loss = _resolve_losses(loss, "At least one loss must be non-`None`.")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise ValueError(f"temperature must be a number, got {type(temperature)}")
        if temperature <= 0.0:
            raise ValueError("temperature must be positive.")

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        """The sum over outputs of the mean loss between the scaled outputs."""
        temperature = self.temperature

        def apply(loss_fn, teacher_logits, student_logits):
            if loss_fn is None:
                return None
            teacher_logits = ops.divide(teacher_logits, temperature)
            student_logits = ops.divide(student_logits, temperature)
            if isinstance(loss_fn, losses_module.KLDivergence):
                value = ops.mean(loss_fn(ops.softmax(teacher_logits, axis=-1),
                                         ops.softmax(student_logits, axis=-1)))
                return ops.multiply(value, temperature ** 2)
            return ops.mean(loss_fn(teacher_logits, student_logits))

        return _summed(tree.flatten(
            tree.map_structure(apply, self.loss, teacher_outputs, student_outputs)))

    def get_config(self):
        return {"temperature": self.temperature, "loss": serialize_keras_object(self.loss)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["loss"] = deserialize_keras_object(config["loss"])
        return cls(**config)


def _structure(structure):
    """`structure` with every leaf shown as ``*`` (for error messages)."""
    return tree.map_structure(lambda _: "*", structure)
