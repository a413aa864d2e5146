"""Trainer: compile, fit, evaluate, predict — one loop for every backend.

The steps (``train_step``, ``test_step``, ``predict_step``) are written
once, statefully, with ``kfacade.ops``; each backend adapter's
``compile_function`` turns a step into its native compiled form
(``tf.function``, ``jax.jit`` over a pure function of the state, or torch's
eager/``torch.compile``d call), and ``value_and_grad`` supplies the
gradient. The loop keeps logs as device tensors and converts them to
numbers only where something reads them (the progress bar at its redraw
rate, a callback with a batch hook, the end of an epoch).
"""
import functools
import warnings

import numpy as np

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import max_epochs
from kfacade.backend.state import StatelessScope, in_compiled_step_trace
from kfacade import distribution as distribution_module
from kfacade.engine import tree
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.operation import run_on_dummies
from kfacade import metrics as metrics_module
from kfacade import random as random_module
from kfacade import optimizers
from kfacade.callbacks.callback_list import CallbackList, logs_to_float
from kfacade.trainers import data_adapters
from kfacade.trainers.compile_utils import CompileLoss, CompileMetrics


def _shape_of(x):
    return tuple(_B.shape(x)) if _B.is_tensor(x) else tuple(np.shape(x))


def _dtype_of(x):
    if _B.is_tensor(x):
        return _B.dtype(x)
    dtype = np.asarray(x).dtype if not hasattr(x, "dtype") else x.dtype
    name = getattr(dtype, "name", str(dtype))
    return "float32" if name == "float64" else name


def _spec_like(x, batch_size=None):
    """A KerasTensor with `x`'s shape and dtype; the batch axis is `batch_size`
    (None: unknown)."""
    shape = _shape_of(x)
    return KerasTensor((batch_size,) + shape[1:], _dtype_of(x))


class Trainer:
    """The training and inference API mixed into ``Model``."""

    def __init__(self):
        self.compiled = False
        self.stop_training = False
        self.optimizer = None
        self.history = None
        self.run_eagerly = False
        self.jit_compile = False
        self.steps_per_execution = 1
        self._reset_functions()

    def _reset_functions(self):
        self.train_function = None
        self.test_function = None
        self.predict_function = None
        self._step_trainable_variables = None
        self._step_regularized_weights = None

    # ------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", **kwargs):
        """Configures the model for training.

        Args:
            optimizer: name or ``kfacade.optimizers.Optimizer``.
            loss: name, function, ``Loss``, or a list/dict of them per output.
            loss_weights: scalar weights per output (list or dict).
            metrics: names, functions or ``Metric``s (list, or list/dict per output).
                "accuracy"/"acc" resolves to binary, categorical or sparse
                categorical accuracy from the loss and shapes.
            weighted_metrics: metrics that receive ``sample_weight``.
            run_eagerly: run the steps op by op (debuggable) instead of compiled.
            steps_per_execution: how many batches one call of the compiled
                step runs (fewer Python round trips for small models); batch
                callbacks then run once per call, with the last step's index.
            jit_compile: True for XLA (TensorFlow) / ``torch.compile`` (torch);
                "auto" lets each backend take its fastest form: JAX always
                compiles with ``jax.jit``; TensorFlow uses XLA when it has a
                GPU, else a plain ``tf.function`` graph (XLA measured 4x
                slower on CPU for the MNIST MLP); torch runs eagerly, as in
                Keras 3.

        Raises:
            ValueError: an unknown optimizer, loss or metric name.
        """
        for legacy in ("sample_weight_mode", "target_tensors", "distribute"):
            kwargs.pop(legacy, None)
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {sorted(kwargs)}")
        self.optimizer = optimizers.get(optimizer)
        if self.dtype_policy.name == "mixed_float16" and \
                not isinstance(self.optimizer, optimizers.LossScaleOptimizer):
            # As Keras 3: float16 gradients underflow without loss scaling.
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer)
        self._compile_loss = CompileLoss(loss, loss_weights) if loss is not None else None
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._output_loss_trackers = None
        self._pred_shapes_by_name = None
        self.run_eagerly = bool(run_eagerly)
        if jit_compile not in (True, False, "auto"):
            raise ValueError(
                f"`jit_compile` must be True, False or 'auto'. Received: {jit_compile!r}"
            )
        self.jit_compile = jit_compile
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) \
                or steps_per_execution < 1:
            raise ValueError(
                f"`steps_per_execution` must be a positive integer. Received: "
                f"steps_per_execution={steps_per_execution!r}"
            )
        self.steps_per_execution = steps_per_execution
        self._loss_identifier = loss
        self.compiled = True
        self.stop_training = False
        self._reset_functions()

    @property
    def metrics(self):
        """The loss tracker and every compiled metric (Keras's ``model.metrics``)."""
        if not self.compiled:
            return []
        result = [self._loss_tracker]
        if self._output_loss_trackers:
            result.extend(self._output_loss_trackers)
        result.extend(self._compile_metrics.metrics)
        return result

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Resets the state of every metric."""
        for metric in self.metrics:
            metric.reset_state()

    def _output_names(self):
        names = getattr(self, "output_names", None)
        if names:
            return list(names)
        return None

    # ------------------------------------------------------- first batch
    def _fixed_batch_size(self):
        """The batch size the model's inputs fix (Keras 2's ``batch_input_shape``,
        as stateful RNNs need), or None when it is free."""
        inputs = tree.flatten(getattr(self, "inputs", None) or [])
        sizes = {t.shape[0] for t in inputs if isinstance(t, KerasTensor) and t.shape}
        sizes.discard(None)
        return sizes.pop() if len(sizes) == 1 else None

    def _symbolic_build(self, x, y=None):
        """Builds the model, losses, metrics and optimizer from one batch's shapes.

        Runs the model on placeholder values under a stateless scope, so that
        no weight or statistic changes, and validates targets against outputs.
        """
        batch_size = self._fixed_batch_size()
        x_spec = tree.map_structure(lambda a: _spec_like(a, batch_size), x)
        outputs = run_on_dummies(lambda inputs: self(inputs, training=False), (x_spec,), {})
        self._build_compiled(y, [o.shape for o in tree.flatten(outputs)])
        if self.compiled and self.optimizer is not None and not getattr(self.optimizer, "built", False):
            self.optimizer.build(self.trainable_variables)

    def _build_compiled(self, y, pred_shapes):
        """Names the outputs and builds the compiled loss and metrics for
        targets `y` and outputs of `pred_shapes` (checking one against the other)."""
        names = self._output_names()
        if not names or len(names) != len(pred_shapes):
            names = ["output"] if len(pred_shapes) == 1 else [
                f"output_{i + 1}" for i in range(len(pred_shapes))]
        self._trainer_output_names = names
        self._pred_shapes_by_name = dict(zip(names, pred_shapes))
        if not self.compiled:
            return
        if y is not None and self._compile_loss is not None and not self._compile_loss.built:
            self._compile_loss.build(names, y, pred_shapes)
            if len(names) > 1:
                self._output_loss_trackers = [
                    metrics_module.Mean(name=f"{n}_loss") for n, fn in zip(names, self._compile_loss.fns)
                    if fn is not None
                ]
        if y is not None and not self._compile_metrics.built:
            y_flat = self._compile_loss.flatten_targets(y) if self._compile_loss else tree.flatten(y)
            loss_ids = self._compile_loss.identifiers if self._compile_loss else [None] * len(names)
            self._compile_metrics.build(names, loss_ids, y_flat, pred_shapes)

    def _compiled_unbuilt(self):
        """Compiled, with the loss or metrics still waiting for a first batch."""
        return self.compiled and ((self._compile_loss is not None and not self._compile_loss.built)
                                  or not self._compile_metrics.built)

    def _build_compiled_on_first_use(self, y, y_pred):
        """Builds the compiled loss and metrics from a batch's real outputs
        where a step runs before ``fit``/``evaluate``/``train_on_batch`` built
        them (a custom loop calling ``train_step``, ``compute_loss`` or
        ``compute_metrics`` itself), as Keras builds them on first use."""
        if y is not None and self._compiled_unbuilt():
            shapes = [tuple(o.shape) for o in tree.flatten(y_pred)]
            self._build_compiled(y, [(None,) + s[1:] if s else s for s in shapes])

    # ------------------------------------------------------------- steps
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus the layers' losses (regularization, add_loss).

        With no compiled loss (``compile(loss=None)``) or no targets, the
        layers' losses alone, as in Keras (a VAE's ``add_loss``).
        """
        total, per_output = None, []
        self._build_compiled_on_first_use(y, y_pred)
        if self._compile_loss is not None and y is not None:
            total, per_output = self._compile_loss(y, y_pred, sample_weight)
        self._last_per_output_losses = per_output
        regularized = self._step_regularized_weights
        if regularized is None:
            regularized = self._regularized_weights()
        extra = self._activity_losses() + [reg(v.value) for v, reg in regularized]
        if extra:
            total = _sum(extra) if total is None else _B.add(total, _sum(extra))
        if total is None:
            raise ValueError(
                "No loss to compute. Provide a `loss` argument in `compile()` (and targets "
                "to `fit`), or add losses with `add_loss` in a layer's `call`."
            )
        return total

    def _update_loss_trackers(self, loss, batch_size):
        if batch_size == 0:
            # A replica's empty share of a batch smaller than the replica
            # count: its mean loss is 0/0, and NaN times a weight of 0 is NaN.
            return
        self._loss_tracker.update_state(loss, sample_weight=batch_size)
        if self._output_loss_trackers:
            values = [v for v in self._last_per_output_losses if v is not None]
            for tracker, value in zip(self._output_loss_trackers, values):
                tracker.update_state(value, sample_weight=batch_size)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics; returns the logs dict (tensors)."""
        self._build_compiled_on_first_use(y, y_pred)
        self._update_compiled_metrics(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _update_compiled_metrics(self, y, y_pred, sample_weight):
        if y is not None:
            y_flat = self._compile_loss.flatten_targets(y) if self._compile_loss else tree.flatten(y)
            self._compile_metrics.update_state(y_flat, tree.flatten(y_pred), sample_weight)

    def get_metrics_result(self):
        """Each metric's result; in a replicated step, over every replica's samples.

        A replica adapter's step counts its own share of the batch in its
        metric states (aggregation "sum"); the results read their sums.
        """
        metrics = self.metrics
        if _B.cross_replica_sum([]) is None:
            return {m.name: m.result() for m in metrics}
        summed = [v for m in metrics for v in m.variables if v.aggregation == "sum"]
        with StatelessScope(zip(summed, _B.cross_replica_sum([v.value for v in summed]))):
            return {m.name: m.result() for m in metrics}

    def train_step(self, data):
        """One optimisation step on a batch; returns the logs (native tensors)."""
        return self._train_step(data, results=True)

    def _train_step(self, data, results):
        """``train_step``; without `results` it updates the metrics but
        returns None instead of their results (see ``_results_deferrable``)."""
        x, y, sample_weight = data
        # Fixed when the step is made (as in Keras: recompile after changing
        # `trainable`); walking the layer tree every step would cost time.
        trainable = self._step_trainable_variables or self.trainable_variables

        def loss_fn():
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
            # Per-output losses leave through aux: under JAX, values kept on
            # `self` inside the differentiated function would be leaked tracers.
            # The optimizer may scale the differentiated loss (float16).
            return self.optimizer.scale_loss(loss), (y_pred, self._last_per_output_losses, loss)

        (_, (y_pred, self._last_per_output_losses, loss)), grads = _B.value_and_grad(
            loss_fn, trainable)
        grads = _combine_replica_gradients(grads, _batch_size(x))
        with _B.no_grad():
            self.optimizer.apply(grads, trainable)
            self._update_loss_trackers(loss, _batch_size(x))
            logs = None
            if results:
                logs = self.compute_metrics(x, y, y_pred, sample_weight)
            else:
                self._update_compiled_metrics(y, y_pred, sample_weight)
        return logs

    def _forgetting_traced_losses(self, step):
        """`step` followed, where it is traced into a graph (``jax.jit``,
        ``tf.function``), by dropping the ``add_loss`` values its call left on
        the layers: they are graph values (JAX tracers, symbolic TF tensors)
        that any later use of ``model.losses`` would fail on. Wraps every
        step, an overridden ``train_step`` too; an eager step's losses stay."""

        @functools.wraps(step)  # keeps its name: an adapter may tell a predict step by it
        def step_then_forget(data):
            logs = step(data)
            if in_compiled_step_trace() and self._activity_losses():
                self._clear_losses()
            return logs

        return step_then_forget

    def _results_deferrable(self, train_function):
        """Whether `fit` may run steps that skip the metric results.

        Only where `train_function` runs this class's own ``train_step`` as
        Python every step (the torch CPU step, ``run_eagerly``): building the
        results costs kernels each step (torch: about 15 us of the tiny
        model's 450), and when no callback reads a batch's logs `fit` needs
        them once per epoch, computed then from the same metric states. A
        compiled step keeps its results (its Python runs once, at tracing),
        and an overridden ``train_step``/``compute_metrics`` runs as written.
        """
        return (getattr(train_function, "__func__", None) is Trainer.train_step
                and getattr(train_function, "__self__", None) is self
                and type(self).compute_metrics is Trainer.compute_metrics)

    def test_step(self, data):
        """Loss and metrics on a batch in inference mode."""
        x, y, sample_weight = data
        with _B.no_grad():
            y_pred = self(x, training=False)
            # An overridden compute_loss (a Distiller's) always runs, as in Keras.
            if (self._compile_loss is not None and y is not None) or self._activity_losses() \
                    or type(self).compute_loss is not Trainer.compute_loss:
                loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
                self._update_loss_trackers(loss, _batch_size(x))
            logs = self.compute_metrics(x, y, y_pred, sample_weight)
        return logs

    def predict_step(self, data):
        """The model's outputs for a batch in inference mode."""
        x, _, _ = data
        with _B.no_grad():
            outputs = self(x, training=False)
        return outputs

    def _state_variables(self, include_optimizer):
        state = list(self.trainable_variables) + list(self.non_trainable_variables)
        if include_optimizer and self.optimizer is not None:
            state += list(self.optimizer.variables)
        if self.compiled:
            state += [v for m in self.metrics for v in m.variables]
        # Random ops called with seed=None inside the step draw from it.
        state.append(random_module.step_seed_generator().state)
        seen, unique = set(), []
        for v in state:
            if id(v) not in seen:
                seen.add(id(v))
                unique.append(v)
        return unique

    def _active_distribution(self):
        """The model's own distribution (``multi_gpu_model``), else the global one."""
        return getattr(self, "_distribution", None) or distribution_module.distribution()

    def _make_function(self, step, include_optimizer):
        dist = self._active_distribution()
        if dist is not None:
            # Every variable the step touches is laid out on the mesh first;
            # the step then runs on the framework's distributed engine
            # (run_eagerly does not apply: the engine is the compiled step).
            state = self._state_variables(include_optimizer=True)
            distribution_module.distribute_variables(state, dist)
            return _B.compile_distributed_function(
                self._forgetting_traced_losses(step), self._state_variables(include_optimizer),
                self.jit_compile,
                dist.device_mesh.backend_mesh, dist.batch_dim_name)
        if self.run_eagerly:
            return step
        wrapped = self._forgetting_traced_losses(step)
        compiled = _B.compile_function(wrapped, self._state_variables(include_optimizer),
                                       self.jit_compile)
        # An adapter that runs the step as it is (torch on a CPU) traces
        # nothing: the step itself then, with no call added.
        return step if compiled is wrapped else compiled

    def _step_function(self, name, new, force):
        """The step function kept as attribute `name`, made by `new()` when
        there is none (or `force`). Asked for while the compiled loss and
        metrics still wait for a batch (before any ``fit``/``evaluate``), it is
        made on its first call: that batch is checked and builds them outside
        the compiled step, whose variables are fixed when it is made."""
        if getattr(self, name) is not None and not force:
            return getattr(self, name)
        if not self._compiled_unbuilt():
            setattr(self, name, new())
            return getattr(self, name)
        made = []

        def first_batch_then_step(data):
            if not made:
                batch = data if self.steps_per_execution == 1 else data[0]
                self._first_batch_checks(batch[0], batch[1])
                made.append(new())
                setattr(self, name, made[0])
            return made[0](data)

        setattr(self, name, first_batch_then_step)
        return first_batch_then_step

    def make_train_function(self, force=False):
        """The compiled train step; with ``steps_per_execution`` N > 1 it takes
        a tuple of up to N batches and returns the last step's logs."""
        return self._step_function("train_function", self._new_train_function, force)

    def _new_train_function(self):
        self._step_trainable_variables = list(self.trainable_variables)
        self._step_regularized_weights = self._regularized_weights()
        return self._make_function(
            _last_of_steps(self.train_step) if self.steps_per_execution > 1 else self.train_step,
            include_optimizer=True)

    def make_test_function(self, force=False):
        """As ``make_train_function``, for the test step."""
        return self._step_function("test_function", self._new_test_function, force)

    def _new_test_function(self):
        return self._make_function(
            _last_of_steps(self.test_step) if self.steps_per_execution > 1 else self.test_step,
            include_optimizer=False)

    def make_predict_function(self, force=False):
        """The compiled predict step; with ``steps_per_execution`` > 1 it returns
        a tuple with each batch's outputs."""
        if self.predict_function is None or force:
            self.predict_function = self._make_function(
                _each_of_steps(self.predict_step) if self.steps_per_execution > 1
                else self.predict_step,
                include_optimizer=False)
        return self.predict_function

    def _executions(self, batches):
        """(first step, last step, data) per call of a step function: one batch,
        or with ``steps_per_execution`` N > 1 a tuple of up to N batches."""
        n = self.steps_per_execution
        if n == 1:
            for step, batch in enumerate(batches):
                yield step, step, batch
            return
        group, first = [], 0
        for step, batch in enumerate(batches):
            group.append(batch)
            if len(group) == n:
                yield first, step, tuple(group)
                group, first = [], step + 1
        if group:
            yield first, first + len(group) - 1, tuple(group)

    def _one_call(self, data):
        """A single batch as the step functions take it."""
        return data if self.steps_per_execution == 1 else (data,)

    def _assert_compiled(self, method):
        if not self.compiled:
            raise RuntimeError(
                f"You must compile your model before {method}. Call "
                f"`model.compile(optimizer, loss)`."
            )

    # --------------------------------------------------------------- fit
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False, **kwargs):
        """Trains the model; returns a ``History`` (see Keras's ``Model.fit``).

        Raises:
            ValueError: mismatched data lengths, targets that do not fit the
                outputs or the loss, `validation_split` with a generator — all
                before any weight changes.
        """

        if "nb_epoch" in kwargs:
            epochs = kwargs.pop("nb_epoch")
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `fit()`: {sorted(kwargs)}")
        self._assert_compiled("training")
        if max_epochs() and max_epochs() < epochs:
            warnings.warn(f"Limiting epochs to {max_epochs()}", stacklevel=2)
            epochs = max_epochs()
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = data_adapters.split_validation(
                x, y, sample_weight, validation_split)
        batches = data_adapters.make_batches(
            x, y, sample_weight, batch_size=batch_size, shuffle=shuffle,
            steps_per_epoch=steps_per_epoch, class_weight=class_weight, workers=workers,
            use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size,
            rng=_shared_rng() if shuffle else None)
        val_batches = None
        if validation_data is not None:
            val_batches = self._validation_batches(validation_data, validation_batch_size or batch_size,
                                                   validation_steps)
        if isinstance(batches, data_adapters.ArrayBatches):
            self._first_batch_checks(batches.x, batches.y)
        verbose = _resolve_verbose(verbose)
        callbacks = CallbackList(callbacks, add_history=True, add_progbar=verbose != 0, model=self,
                                 verbose=verbose, epochs=epochs, steps=batches.num_batches)
        self.stop_training = False
        train_function = None
        deferrable = False
        self._shuffle_seed = self._resume_point = None
        callbacks.on_train_begin()
        # Which batch hooks any callback listens to is fixed from here on:
        # a step skips the calls, and the logs, that nobody reads.
        batch_begin = callbacks.reads_batch_logs("on_train_batch_begin")
        batch_end = callbacks.reads_batch_logs("on_train_batch_end")
        training_logs = {}
        # BackupAndRestore: where a resumed run continues, and the seed of
        # each epoch's shuffle (the order must not depend on when it restarted).
        resume_epoch, resume_step = self._resume_point or (initial_epoch, 0)
        initial_epoch = max(initial_epoch, resume_epoch)
        for epoch in range(initial_epoch, epochs):
            skip = resume_step if epoch == resume_epoch else 0
            if not skip:  # a run resumed mid-epoch keeps the restored metric states
                self.reset_metrics()
            if self._shuffle_seed is not None and isinstance(batches, data_adapters.ArrayBatches):
                batches.rng = np.random.RandomState((self._shuffle_seed + epoch) % 2 ** 32)
            callbacks.on_epoch_begin(epoch)
            logs = None
            deferred = False
            for step, last_step, data in self._executions(batches):
                if step < skip:
                    continue
                if train_function is None:
                    if not isinstance(batches, data_adapters.ArrayBatches):
                        batch = data if self.steps_per_execution == 1 else data[0]
                        self._first_batch_checks(batch[0], batch[1])
                    train_function = self.make_train_function()
                    deferrable = self._results_deferrable(train_function) and not batch_end
                if batch_begin:
                    callbacks.on_train_batch_begin(step)
                deferred = deferrable
                logs = self._train_step(data, results=False) if deferred else train_function(data)
                if batch_end:
                    callbacks.on_train_batch_end(last_step, logs)
                if self.stop_training:
                    break
            # Steps that deferred their results, or a run resumed after the
            # epoch's last step (its restored states): the results now.
            if logs is None and (deferred or skip):
                logs = self.get_metrics_result()
            if logs is None:
                raise ValueError(
                    "Unexpected result of `train_function` (empty logs): the data yielded no "
                    "batch. Check that your data is not empty and `steps_per_epoch` is positive."
                )
            epoch_logs = self._ordered(self._logs_to_float(logs))
            if val_batches is not None and _should_validate(epoch, validation_freq):
                # The callbacks see the validation as an evaluation (as in
                # Keras): on_test_begin/end and the test batch hooks.
                val_logs = self._evaluate_batches(val_batches, callbacks=callbacks)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        if self.optimizer is not None and self.optimizer.built and epochs > initial_epoch:
            # With `use_ema`, the variables take their moving averages.
            self.optimizer.finalize_variable_values(self.trainable_weights)
        callbacks.on_train_end(training_logs)
        return self.history

    def _first_batch_checks(self, x, y):
        """Shapes, targets and labels checked, and everything built, before step one.

        The first call runs the model symbolically; later calls (another
        ``fit`` on the same compiled model) reuse the output shapes it found.
        """
        first_build = getattr(self, "_pred_shapes_by_name", None) is None or not self._compile_metrics.built
        if first_build:  # building checks the shapes
            x_head = tree.map_structure(lambda a: None if a is None else a[:2], x)
            y_head = tree.map_structure(lambda a: None if a is None else a[:2], y) if y is not None else None
            self._symbolic_build(x_head, y_head)
        if y is not None and self._compile_loss is not None and self._compile_loss.built:
            self._compile_loss.check_targets(y, self._pred_shapes_by_name, check_shapes=not first_build)

    def _validation_batches(self, validation_data, batch_size, steps):
        if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3) and \
                data_adapters.is_array_data(validation_data[0]):
            vx, vy, vsw = data_adapters.unpack_batch(tuple(validation_data))
            return data_adapters.make_batches(vx, vy, vsw, batch_size=batch_size, shuffle=False,
                                              steps_per_epoch=steps)
        return data_adapters.make_batches(validation_data, steps_per_epoch=steps)

    def _ordered(self, logs):
        """Logs in ``metrics`` order (a compiled JAX step returns keys sorted)."""
        order = {name: i for i, name in enumerate(self.metrics_names)}
        return dict(sorted(logs.items(), key=lambda item: order.get(item[0], len(order))))

    def _logs_to_float(self, logs):

        return logs_to_float(logs)

    # ---------------------------------------------------------- evaluate
    def _evaluate_batches(self, batches, callbacks):
        self.reset_metrics()
        test_function = None
        logs = None
        if callbacks is not None:
            callbacks.on_test_begin()
        for step, last_step, data in self._executions(batches):
            if test_function is None:
                if not self._compile_metrics.built or (self._compile_loss and not self._compile_loss.built):
                    batch = data if self.steps_per_execution == 1 else data[0]
                    self._first_batch_checks(batch[0], batch[1])
                test_function = self.make_test_function()
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            logs = test_function(data)
            if callbacks is not None:
                callbacks.on_test_batch_end(last_step, logs)
        if logs is None:
            raise ValueError("The evaluation data yielded no batch.")
        logs = self._ordered(self._logs_to_float(logs))
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, max_queue_size=10, workers=1,
                 use_multiprocessing=False, **kwargs):
        """The loss (and metrics) on the data: a float, ``[loss, *metrics]``, or a dict."""

        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `evaluate()`: {sorted(kwargs)}")
        self._assert_compiled("evaluating")
        batches = data_adapters.make_batches(
            x, y, sample_weight, batch_size=batch_size, shuffle=False, steps_per_epoch=steps,
            workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        if isinstance(batches, data_adapters.ArrayBatches):
            self._first_batch_checks(batches.x, batches.y)
        verbose = _resolve_verbose(verbose)
        callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                     epochs=1, steps=batches.num_batches)
        logs = self._evaluate_batches(batches, callback_list)
        return self._format_result(logs, return_dict)

    def _format_result(self, logs, return_dict):
        if return_dict:
            return dict(logs)
        values = [logs[m.name] for m in self.metrics if m.name in logs]
        return values[0] if len(values) == 1 else values

    # ----------------------------------------------------------- predict
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        """The model's outputs for `x` in inference mode, as NumPy arrays."""

        batches = data_adapters.make_batches(
            x, batch_size=batch_size, shuffle=False, steps_per_epoch=steps, workers=workers,
            use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)
        verbose = _resolve_verbose(verbose)
        callback_list = CallbackList(callbacks, add_progbar=verbose != 0, model=self, verbose=verbose,
                                     epochs=1, steps=batches.num_batches)
        callback_list.on_predict_begin()
        predict_function = None
        outputs = []
        for step, last_step, data in self._executions(batches):
            if predict_function is None:
                if not self.built:
                    self._symbolic_build((data if self.steps_per_execution == 1 else data[0])[0])
                predict_function = self.make_predict_function()
            callback_list.on_predict_batch_begin(step)
            result = predict_function(data)
            # Kept on the device until the end: no host sync per batch, so
            # asynchronous backends keep their pipeline full.
            if self.steps_per_execution == 1:
                outputs.append(result)
            else:
                outputs.extend(result)
                result = result[-1]
            callback_list.on_predict_batch_end(last_step, {"outputs": result})
        callback_list.on_predict_end()
        if not outputs:
            raise ValueError("The prediction data yielded no batch.")
        outputs = [tree.map_structure(_B.convert_to_numpy, result) for result in outputs]
        leaves = [tree.flatten(o) for o in outputs]
        joined = [np.concatenate(parts, axis=0) for parts in zip(*leaves)]
        return tree.pack_sequence_as(outputs[0], joined)

    # ------------------------------------------------------ batch methods
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One training step on one batch; returns the loss (and metrics)."""
        self._assert_compiled("training")
        if class_weight is not None:
            cw = data_adapters.class_weights_to_sample_weights(y, class_weight)
            sample_weight = cw if sample_weight is None else np.asarray(sample_weight) * cw
        data_adapters.check_cardinality(x, y, sample_weight)
        if self.train_function is None:
            self._first_batch_checks(x, y)
        if reset_metrics:
            self.reset_metrics()
        logs = self.make_train_function()(self._one_call((x, y, sample_weight)))
        return self._format_result(self._logs_to_float(logs), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """Loss (and metrics) on one batch."""
        self._assert_compiled("evaluating")
        data_adapters.check_cardinality(x, y, sample_weight)
        if self.test_function is None:
            self._first_batch_checks(x, y)
        if reset_metrics:
            self.reset_metrics()
        logs = self.make_test_function()(self._one_call((x, y, sample_weight)))
        return self._format_result(self._logs_to_float(logs), return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy."""
        if not self.built:
            self._symbolic_build(x)
        result = self.make_predict_function()(self._one_call((x, None, None)))
        if self.steps_per_execution > 1:
            result = result[0]
        return tree.map_structure(_B.convert_to_numpy, result)


def _last_of_steps(step):
    """A function running `step` on each batch of a tuple; the last logs."""
    def steps(batches):
        logs = None
        for data in batches:
            logs = step(data)
        return logs

    return steps


def _each_of_steps(step):
    """A function running `step` on each batch of a tuple; every result."""
    def steps(batches):
        return tuple(step(data) for data in batches)

    return steps


def _sum(values):
    total = values[0]
    for value in values[1:]:
        total = _B.add(total, value)
    return total


def _batch_size(x):
    first = tree.flatten(x)[0]
    return _shape_of(first)[0]


def _resolve_verbose(verbose):
    """Keras's "auto" is 1; processes other than 0 print no progress."""
    if not distribution_module.is_chief():
        return 0
    if verbose == "auto":
        return 1
    return int(verbose)


def _shared_rng():
    """The shuffling generator: NumPy's global one, or in a job of several
    processes one seeded by process 0, so every process draws the same batches."""
    if distribution_module.num_processes() == 1:
        return None
    seed = np.random.randint(2 ** 31) if distribution_module.is_chief() else 0
    return np.random.RandomState(int(_B.process_sum(np.array([seed], "int64"))[0]))


def _combine_replica_gradients(grads, batch_size):
    """In a replicated step: the gradient of the whole batch from each replica's.

    Each replica's loss is a mean over its own share, so the whole batch's
    gradient is the replicas' gradients averaged with their sample counts as
    weights (shares may differ by one sample). Elsewhere: `grads` unchanged.
    """
    if _B.cross_replica_sum([]) is None:
        return grads
    count = float(batch_size)
    summed = _B.cross_replica_sum([_B.multiply(g, count) for g in grads]
                                  + [_B.convert_to_tensor(count, "float32")])
    total = summed[-1]
    return [_B.cast(_B.divide(s, _B.cast(total, _B.dtype(s))), _B.dtype(s)) for s in summed[:-1]]


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq
