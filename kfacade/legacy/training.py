"""Keras 2's training method names that Keras 3 removed: ``fit_generator``,
``evaluate_generator``, ``predict_generator``.

They only forward to ``fit``/``evaluate``/``predict`` (which take generators
and Sequences themselves). ``kfacade/__init__.py`` adds them to the trainer
with ``add_to``, so the trainer itself holds no Keras 2 names.
"""


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
