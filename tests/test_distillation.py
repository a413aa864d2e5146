"""kfacade.distillation: the losses against NumPy, a Distiller's training
loss against its hand-computed combination, and its config and errors."""
import numpy as np
import pytest

import kfacade as keras
from kfacade import distillation
from kfacade.saving import serialization_lib
from helpers import assert_close

EPSILON = 1e-7  # Keras's clipping epsilon in its probabilistic losses


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _kl_divergence(y_true, y_pred):
    """Keras's kl_divergence: both clipped to [epsilon, 1], summed over the last axis."""
    y_true, y_pred = np.clip(y_true, EPSILON, 1), np.clip(y_pred, EPSILON, 1)
    return np.sum(y_true * np.log(y_true / y_pred), axis=-1)


def _categorical_crossentropy(y_true, y_pred):
    y_pred = y_pred / y_pred.sum(-1, keepdims=True)
    return -np.sum(y_true * np.log(np.clip(y_pred, EPSILON, 1 - EPSILON)), axis=-1)


def _dense(x, kernel, bias, relu=False):
    y = x @ kernel + bias
    return np.maximum(y, 0) if relu else y


def _model(hidden, name):
    """inputs (5) -> "hid" (relu) -> "feat" (6) -> "logits" (4)."""
    inputs = keras.Input((5,))
    x = keras.layers.Dense(hidden, activation="relu", name="hid")(inputs)
    x = keras.layers.Dense(6, name="feat")(x)
    return keras.Model(inputs, keras.layers.Dense(4, name="logits")(x), name=name)


def _forward(weights, x):
    """(feat, logits) of `_model` in NumPy."""
    hidden = _dense(x, weights[0], weights[1], relu=True)
    feat = _dense(hidden, weights[2], weights[3])
    return feat, _dense(feat, weights[4], weights[5])


def test_logits_distillation_matches_numpy():
    rng = np.random.RandomState(0)
    teacher, student = rng.randn(6, 5).astype("float32"), rng.randn(6, 5).astype("float32")
    t = 2.5
    # The default's name resolves to the kl_divergence function: it sees the scaled logits.
    default = distillation.LogitsDistillation(temperature=t)
    assert_close(default.compute_loss(teacher, student),
                 np.mean(_kl_divergence(teacher / t, student / t)))
    # A KLDivergence instance compares the softened distributions, times T^2.
    kl = distillation.LogitsDistillation(temperature=t, loss=keras.losses.KLDivergence())
    assert_close(kl.compute_loss(teacher, student),
                 np.mean(_kl_divergence(_softmax(teacher / t), _softmax(student / t))) * t ** 2)
    # One loss per output; None skips an output.
    multi = distillation.LogitsDistillation(temperature=2.0, loss=["categorical_crossentropy", None])
    assert_close(multi.compute_loss([teacher, student], [student, teacher]),
                 np.mean(_categorical_crossentropy(teacher / 2.0, student / 2.0)))


def test_feature_distillation_matches_numpy():
    rng = np.random.RandomState(1)
    a, b = rng.randn(4, 3).astype("float32"), rng.randn(4, 3).astype("float32")
    assert_close(distillation.FeatureDistillation().compute_loss(a, b), np.mean((a - b) ** 2))
    by_name = distillation.FeatureDistillation(loss={"x": "mae", "y": "mse"})
    assert_close(by_name.compute_loss({"x": a, "y": b}, {"x": b, "y": a}),
                 np.mean(np.abs(a - b)) + np.mean((a - b) ** 2))
    with pytest.raises(ValueError, match="Loss structure mismatch"):
        by_name.validate_outputs(a, b)


def test_distiller_first_step_loss_trains_student_and_keeps_teacher():
    """One fit step: the logged losses are the hand-computed combination of
    the student loss, logits distillation and named-layer feature
    distillation; the student's weights move and the teacher's do not."""
    rng = np.random.RandomState(0)
    x = rng.rand(8, 5).astype("float32")
    y = rng.randint(0, 4, (8,)).astype("int32")
    teacher, student = _model(8, "teacher"), _model(3, "student")
    teacher_before, student_before = teacher.get_weights(), student.get_weights()
    distiller = distillation.Distiller(
        teacher, student,
        [distillation.LogitsDistillation(temperature=2.0, loss=keras.losses.KLDivergence()),
         distillation.FeatureDistillation(teacher_layer_name="feat", student_layer_name="feat")],
        distillation_loss_weights=[1.0, 0.3], student_loss_weight=0.4)
    assert not teacher.trainable
    assert len(distiller.trainable_weights) == len(student.weights)
    distiller.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])

    teacher_feat, teacher_logits = _forward(teacher_before, x)
    student_feat, student_logits = _forward(student_before, x)
    log_probs = student_logits - np.log(np.exp(student_logits).sum(-1, keepdims=True))
    student_loss = -np.mean(log_probs[np.arange(8), y])
    logits_term = np.mean(_kl_divergence(_softmax(teacher_logits / 2.0),
                                         _softmax(student_logits / 2.0))) * 4.0
    feature_term = np.mean((teacher_feat - student_feat) ** 2)
    distillation_loss = 1.0 * logits_term + 0.3 * feature_term
    expected = 0.4 * student_loss + 0.6 * distillation_loss

    history = distiller.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0).history
    assert list(history) == ["loss", "accuracy", "student_loss", "distillation_loss", "total_loss"]
    for key, value in (("loss", expected), ("total_loss", expected),
                       ("student_loss", student_loss), ("distillation_loss", distillation_loss)):
        assert_close(history[key][0], value, rtol=1e-4, err_msg=key)
    for before, after in zip(teacher_before, teacher.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert any(not np.allclose(b, a) for b, a in zip(student_before, student.get_weights()))
    assert_close(distiller.predict(x, verbose=0), student.predict(x, verbose=0))
    logs = distiller.evaluate(x, y, verbose=0, return_dict=True)
    assert_close(logs["loss"], logs["total_loss"])


def test_config_round_trip():
    rng = np.random.RandomState(2)
    teacher, student = _model(8, "teacher"), _model(3, "student")
    losses = [distillation.LogitsDistillation(temperature=4.0, loss=["kl_divergence"]),
              distillation.FeatureDistillation(loss="mae", teacher_layer_name="hid",
                                               student_layer_name="feat")]
    # "hid" (8) and "feat" (6) differ in width: built, but never trained here.
    distiller = distillation.Distiller(teacher, student, losses, [0.7, 0.2],
                                       student_loss_weight=0.25, name="kd")
    config = distiller.get_config()
    assert config["distillation_losses"][0]["module"] == "keras.distillation"
    restored = distillation.Distiller.from_config(config)
    assert restored.name == "kd" and restored.student_loss_weight == 0.25
    assert restored.distillation_loss_weights == [0.7, 0.2]
    first, second = restored.distillation_losses
    assert isinstance(first, distillation.LogitsDistillation) and first.temperature == 4.0
    assert first.loss == [keras.losses.kl_divergence]
    assert (second.teacher_layer_name, second.student_layer_name) == ("hid", "feat")
    assert second.loss is keras.losses.mean_absolute_error
    x = rng.rand(3, 5).astype("float32")
    assert restored(x).shape == (3, 4) and not restored.teacher.trainable
    # A loss alone, through the generic serializer.
    loss = serialization_lib.deserialize_keras_object(
        serialization_lib.serialize_keras_object(losses[0]))
    assert isinstance(loss, distillation.LogitsDistillation) and loss.temperature == 4.0


def test_errors():
    teacher, student = _model(8, "teacher"), _model(3, "student")
    logits = distillation.LogitsDistillation()
    with pytest.raises(ValueError, match=r"distillation_loss_weights \(1\) must match .* \(2\)"):
        distillation.Distiller(teacher, student, [logits, logits], distillation_loss_weights=[1.0])
    with pytest.raises(ValueError, match="In teacher model: No such layer: nope"):
        distillation.Distiller(teacher, student,
                               distillation.FeatureDistillation(teacher_layer_name="nope"))
    with pytest.raises(ValueError, match="In student model: No such layer: nope"):
        distillation.Distiller(teacher, student,
                               distillation.FeatureDistillation(student_layer_name="nope"))

    class Unbuilt(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(4)

        def call(self, inputs):
            return self.dense(inputs)

    with pytest.raises(ValueError, match="teacher model .* is not built"):
        distillation.Distiller(Unbuilt(), student, logits)
    with pytest.raises(ValueError, match="requires Functional or Sequential models"):
        unbuilt_student = Unbuilt()
        distillation.Distiller(teacher, unbuilt_student,
                               distillation.FeatureDistillation(teacher_layer_name="feat"))
    with pytest.raises(ValueError, match="Teacher must be a keras.Model"):
        distillation.Distiller("teacher", student, logits)
    with pytest.raises(ValueError, match="between 0.0 and 1.0, got 2"):
        distillation.Distiller(teacher, student, logits, student_loss_weight=2)
    with pytest.raises(ValueError, match="'distillation_losses' cannot be `None`"):
        distillation.Distiller(teacher, student, None)
    with pytest.raises(ValueError, match="temperature must be positive"):
        distillation.LogitsDistillation(temperature=0)
    with pytest.raises(ValueError, match="At least one loss must be non-`None`"):
        distillation.LogitsDistillation(loss=None)
    with pytest.raises(ValueError, match="at least one non-`None` value"):
        distillation.FeatureDistillation(loss=[None])
    distiller = distillation.Distiller(teacher, student, logits)
    with pytest.raises(ValueError, match="'loss' cannot be `None`"):
        distiller.compile()
    with pytest.raises(ValueError, match="metrics must be a list or tuple"):
        distiller.compile(loss="mse", metrics="mae")


def test_save_and_load_keras_file_and_json(tmp_path):
    """A compiled Distiller through ``.keras`` comes back with the teacher's and
    student's weights, the same predictions, and its compile state: its first
    loaded step logs the loss the original computes; ``to_json`` round-trips."""
    rng = np.random.RandomState(3)
    x = rng.rand(6, 5).astype("float32")
    y = rng.randint(0, 4, (6,)).astype("int32")
    teacher, student = _model(8, "teacher"), _model(3, "student")
    distiller = distillation.Distiller(
        teacher, student,
        [distillation.LogitsDistillation(temperature=2.0),
         distillation.FeatureDistillation(teacher_layer_name="feat", student_layer_name="feat")],
        distillation_loss_weights=[1.0, 0.5], student_loss_weight=0.3)
    distiller.compile(optimizer=keras.optimizers.SGD(0.1),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    path = str(tmp_path / "distiller.keras")
    distiller.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, distillation.Distiller) and not loaded.teacher.trainable
    assert loaded.distillation_loss_weights == [1.0, 0.5] and loaded.student_loss_weight == 0.3
    for original, restored in ((teacher, loaded.teacher), (student, loaded.student)):
        for before, after in zip(original.get_weights(), restored.get_weights()):
            np.testing.assert_array_equal(before, after)
    assert_close(loaded.predict(x, verbose=0), distiller.predict(x, verbose=0))
    expected = distiller.compute_loss(x, y, distiller(x))
    history = loaded.fit(x, y, batch_size=6, epochs=1, shuffle=False, verbose=0).history
    assert_close(history["loss"][0], expected, rtol=1e-5)
    assert isinstance(loaded.optimizer, keras.optimizers.SGD)

    from_json = keras.models.model_from_json(distiller.to_json())
    assert isinstance(from_json, distillation.Distiller)
    assert [layer.name for layer in from_json.student.layers] == \
        [layer.name for layer in student.layers]
    from_json.set_weights(distiller.get_weights())
    assert_close(from_json.predict(x, verbose=0), distiller.predict(x, verbose=0))
