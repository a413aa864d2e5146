"""Keras 2's training method names that Keras 3 removed: ``fit_generator``,
``evaluate_generator``, ``predict_generator``; ``Model.reset_states``;
``Sequential.predict_proba``/``predict_classes``.

They only forward to ``fit``/``evaluate``/``predict`` (which take generators
and Sequences themselves). ``kfacade/__init__.py`` adds them to the trainer
with ``add_to`` (and the models with ``add_model_methods``), so the trainer
and models themselves hold no Keras 2 names.
"""
import warnings


class Keras2TrainingMethods:
    """The Keras 2 generator methods, added to ``kfacade.trainers.trainer.Trainer``."""

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1,
                      class_weight=None, max_queue_size=10, workers=1, use_multiprocessing=False,
                      shuffle=True, initial_epoch=0):
        """Keras 2's name for ``fit`` on a generator or Sequence."""
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data,
                        validation_steps=validation_steps, validation_freq=validation_freq,
                        class_weight=class_weight, max_queue_size=max_queue_size, workers=workers,
                        use_multiprocessing=use_multiprocessing, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                           workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's name for ``evaluate`` on a generator or Sequence."""
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose,
                             max_queue_size=max_queue_size, workers=workers,
                             use_multiprocessing=use_multiprocessing)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10,
                          workers=1, use_multiprocessing=False, verbose=0):
        """Keras 2's name for ``predict`` on a generator or Sequence."""
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose,
                            max_queue_size=max_queue_size, workers=workers,
                            use_multiprocessing=use_multiprocessing)


def add_to(trainer_class):
    """Adds the Keras 2 generator methods to `trainer_class` (the base of every model)."""
    for name in ("fit_generator", "evaluate_generator", "predict_generator"):
        setattr(trainer_class, name, getattr(Keras2TrainingMethods, name))


class Keras2ModelMethods:
    """Keras 2's ``Model.reset_states`` (Keras 3 kept it on the layers only)."""

    def reset_states(self):
        """Resets the states of every stateful layer, nested models' included."""
        for layer in self.layers:
            if hasattr(layer, "layers") and hasattr(layer, "reset_states"):
                layer.reset_states()  # a nested model
            elif getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()


class Keras2SequentialMethods:
    """Keras 2's ``Sequential.predict_proba`` and ``predict_classes`` (removed in TF 2.6)."""

    def predict_proba(self, x, batch_size=32, verbose=0):
        """The model's outputs, which are class probabilities (``predict``)."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer might "
                          "not normalize predictions into probabilities (like softmax or "
                          "sigmoid would).", stacklevel=2)
        return preds

    def predict_classes(self, x, batch_size=32, verbose=0):
        """Class indices: the argmax of each prediction, or ``> 0.5`` (as int32,
        shape ``(n, 1)``) for a single sigmoid output."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")


def add_model_methods(model_class, sequential_class):
    """Adds ``reset_states`` to `model_class` and ``predict_proba``/``predict_classes``
    to `sequential_class`, as Keras 2 had them."""
    model_class.reset_states = Keras2ModelMethods.reset_states
    for name in ("predict_proba", "predict_classes"):
        setattr(sequential_class, name, getattr(Keras2SequentialMethods, name))
