"""The optimizer base class: state in Variables, one ``apply`` per step.

Every piece of an optimizer's state is a ``kfacade.Variable`` created at
build time (``iterations``, the learning rate, the slots) and changed only
with ``assign``. The same ``apply`` therefore runs eagerly, inside
``tf.function``, and inside ``jax.jit`` under a ``StatelessScope`` (where
the assignments are recorded, not applied). ``variables`` lists that state
in a fixed order for the compiled steps.

Built-in optimizers split an update in two: ``_step_scalars`` computes the
per-step scalars (bias corrections, ...) once per ``apply``, and
``_update_variable`` updates one variable. A Keras-style subclass that
overrides ``update_step(gradient, variable, learning_rate)`` instead is
called once per variable, as in Keras.
"""
import inspect
import numbers
import re
import warnings

from kfacade import initializers, ops
from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade.backend.state import UpdateRule
from kfacade.optimizers import schedules
from kfacade.variables import Variable, active_stateless_scope

#: The adapter's optional fused update (contract.OPTIONAL_HOOKS), looked up
#: once: one adapter serves the whole process. None when it has none.
_fused_optimizer_update = getattr(_B, "fused_optimizer_update", None)

#: The keyword arguments Keras 2 optimizers took beyond Keras 3's.
_KERAS2_KWARGS = ("lr", "decay")
#: Keys of Keras 2.11+ optimizer configs that have no meaning here.
_IGNORED_CONFIG_KEYS = ("jit_compile", "is_legacy_optimizer")


class DefaultLearningRate(float):
    """A class's default `learning_rate` (prints as the float): lets the base
    class tell "not given" from an explicit value when Keras 2's `lr` is used."""


def _to_snake_case(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _is_float(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Optimizer:
    """Base class of the optimizers.

    Args:
        learning_rate: a float, a ``LearningRateSchedule``, or a callable
            taking the step count (or nothing) and returning the rate.
        weight_decay: if set, decoupled weight decay: before each update
            ``v -= v * weight_decay * learning_rate``.
        clipnorm: if set, each gradient is rescaled to an L2 norm of at most this.
        clipvalue: if set, each gradient is clipped to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so that
            their global L2 norm is at most this.
        use_ema: keep an exponential moving average (EMA) of each trainable
            variable ("Polyak averaging"); ``fit`` ends by writing the averages
            into the variables (``finalize_variable_values``), and the
            ``SwapEMAWeights`` callback evaluates with them.
        ema_momentum: the average's momentum when `use_ema`:
            ``average = ema_momentum * average + (1 - ema_momentum) * variable``
            after each step (the first step copies the variable).
        ema_overwrite_frequency: when `use_ema`, every this many steps the
            variables are overwritten with their averages (None: never).
        loss_scale_factor: if set, gradients are divided by it
            (``scale_loss`` multiplies the loss by it).
        gradient_accumulation_steps: if set (an int >= 2), the variables are
            updated every this many steps, with the mean of the gradients of
            those steps; ``iterations`` then counts the updates. Schedules,
            bias corrections and EMA follow the updates.
        name: the optimizer's name, the prefix of its variables' paths.
        **kwargs: Keras 2's ``lr`` (alias of `learning_rate`) and ``decay``
            (time-based decay: the step uses
            ``learning_rate / (1 + decay * iterations)``).

    Raises:
        ValueError: more than one of `clipnorm`, `clipvalue`, `global_clipnorm`.
        TypeError: an unknown keyword argument, or both `lr` and `learning_rate`.

    Example:
        >>> optimizer = kfacade.optimizers.SGD(learning_rate=0.1)
        >>> optimizer.apply([grad], [variable])  # variable -= 0.1 * grad
    """

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        unknown = [key for key in kwargs if key not in _KERAS2_KWARGS]
        if unknown:
            raise TypeError(
                f"Unexpected keyword argument passed to optimizer: {unknown[0]!r}. "
                f"Allowed kwargs are {list(_KERAS2_KWARGS)} besides the named arguments "
                f"of {type(self).__name__}."
            )
        if "lr" in kwargs:
            if not isinstance(learning_rate, DefaultLearningRate):
                raise TypeError(
                    f"{type(self).__name__} received both `lr` (Keras 2's name) and "
                    f"`learning_rate`. Received: lr={kwargs['lr']!r}, "
                    f"learning_rate={learning_rate!r}; pass only `learning_rate`."
                )
            learning_rate = kwargs["lr"]
        self.decay = float(kwargs.get("decay") or 0.0)
        if self.decay < 0:
            raise ValueError(f"Argument `decay` must be >= 0. Received: decay={self.decay}")
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    f"`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                    not isinstance(ema_overwrite_frequency, int)
                    or isinstance(ema_overwrite_frequency, bool) or ema_overwrite_frequency < 1):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        if gradient_accumulation_steps and (
                not isinstance(gradient_accumulation_steps, int)
                or isinstance(gradient_accumulation_steps, bool)
                or gradient_accumulation_steps < 2):
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if sum(arg is not None for arg in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.name = name if name is not None else _to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._trainable_variables_indices = {}
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._weight_decay_mask = []  # per trainable variable, set at build
        self._model_variables_moving_average = []  # one per trainable variable with use_ema
        self._accumulated_gradients = []  # one per trainable variable with accumulation
        # Keras-style subclasses override update_step; built-ins _update_variable.
        self._uses_update_step = type(self).update_step is not Optimizer.update_step
        # Keras stores the step count as int64; JAX without x64 keeps int32.
        self._iterations = self._make_variable(0, "int64", "iteration")
        self._learning_rate = None
        self._learning_rate_takes_step = True
        self._set_learning_rate(learning_rate)

    # ------------------------------------------------------------ state
    def _make_variable(self, initial_value, dtype, name):
        variable = Variable(initial_value, dtype=dtype, trainable=False, name=f"{self.name}/{name}")
        self._variables.append(variable)
        return variable

    @property
    def iterations(self):
        """The number of steps applied so far (an integer ``Variable``); with
        `gradient_accumulation_steps`, the number of updates (a tensor)."""
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations.value, self.gradient_accumulation_steps)
        return self._iterations

    def _update_count(self):
        """The updates made so far, as a tensor: the steps, or with gradient
        accumulation the completed accumulations (what schedules, bias
        corrections and EMA count)."""
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations.value, self.gradient_accumulation_steps)
        return self._iterations.value

    @property
    def variables(self):
        """The complete optimizer state: iterations, the learning rate (when a
        float), then every variable ``build`` created, in creation order."""
        return list(self._variables)

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None):
        """A new non-trainable optimizer variable, part of ``variables``.

        Args:
            shape: its shape.
            initializer: an initializer name or callable ``(shape, dtype)``.
            dtype: its dtype (default floatx).
            name: the name after the optimizer's prefix.
        """
        variable = Variable(
            initializers.get(initializer), shape=tuple(shape), dtype=dtype or floatx(),
            trainable=False, name=f"{self.name}/{name or 'variable'}",
        )
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot for `reference_variable`: same shape and dtype, zeros by
        default, named "<optimizer>/<reference path>_<name>"."""
        reference = getattr(reference_variable, "path", None) or str(reference_variable.name)
        reference = reference.replace("/", "_").replace(":", "_")
        slot = self.add_variable(
            shape=reference_variable.shape, initializer=initializer,
            dtype=reference_variable.dtype, name=f"{reference}_{name or 'var'}",
        )
        # A distribution lays the slot out as its variable (a sharded kernel's
        # momentum is sharded the same way).
        slot.layout_reference = reference_variable
        if getattr(reference_variable, "_dense_kernel_layout", False):
            # The memory order of a Dense kernel (contract: dense_kernel_layout).
            _B.dense_kernel_layout(slot.handle)
        return slot

    def add_optimizer_variables(self, var_list, name, initializer="zeros"):
        """One slot per variable of `var_list` (Keras 3.9's helper); with a list
        of names, one list of slots per name, created interleaved (variable by
        variable) as Keras 3 creates them, so that ``variables`` lists them in
        the order Keras 3's ``.keras`` files save them.

        Example:
            >>> momentums, velocities = self.add_optimizer_variables(
            ...     var_list, ["momentum", "velocity"])
        """
        names = [name] if isinstance(name, str) else list(name)
        initializers_ = (list(initializer) if isinstance(initializer, (list, tuple))
                         else [initializer] * len(names))
        slots = tuple([] for _ in names)
        for variable in var_list:
            for index, (slot_name, slot_initializer) in enumerate(zip(names, initializers_)):
                slots[index].append(
                    self.add_variable_from_reference(variable, slot_name, slot_initializer))
        return slots[0] if isinstance(name, str) else slots

    def build(self, variables):
        """Records the trainable variables; subclasses then create their slots.

        Args:
            variables: the list of trainable ``Variable``s this optimizer updates.
        """
        if self.built:
            return
        variables = list(variables)
        self._trainable_variables = variables
        self._trainable_variables_indices = {id(v): i for i, v in enumerate(variables)}
        self._weight_decay_mask = [self._use_weight_decay(v) for v in variables]
        if self.use_ema:
            # Before the subclass's slots, as Keras 3 creates them: the order
            # `variables` (and so saved files) list them in.
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator")
        self.built = True

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[id(variable)]

    # ----------------------------------------------------- learning rate
    def _set_learning_rate(self, learning_rate):
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self._learning_rate = learning_rate
            return
        if callable(learning_rate) and not isinstance(learning_rate, Variable):
            self._learning_rate = learning_rate
            self._learning_rate_takes_step = _takes_an_argument(learning_rate)
            return
        try:
            value = float(learning_rate) if _is_float(learning_rate) \
                else float(ops.convert_to_numpy(learning_rate))
        except (TypeError, ValueError, AttributeError):
            raise ValueError(
                "Argument `learning_rate` should be a float, an instance of "
                "LearningRateSchedule, or a callable (that takes in the current "
                "iteration value and returns the corresponding learning rate value). "
                f"Received instead: learning_rate={learning_rate!r}"
            ) from None
        if isinstance(self._learning_rate, Variable):
            self._learning_rate.assign(value)
        else:
            self._learning_rate = self._make_variable(float(value), floatx(), "learning_rate")

    @property
    def learning_rate(self):
        """The current learning rate as a tensor: the schedule's value at
        ``iterations``, the callable's value, or the learning-rate Variable's.

        Keras 2's `decay` is not included (as Keras 2's ``optimizer.lr``).
        Setting it to a float assigns the learning-rate Variable, so a
        compiled step sees the new value without being traced again. On
        backends that assign in place (TensorFlow, torch) the value read is
        the Variable's storage: take ``float(...)`` of it to keep an old rate.
        """
        learning_rate = self._learning_rate
        if isinstance(learning_rate, Variable):
            return learning_rate.value
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            return learning_rate(self._update_count())
        value = learning_rate(self._update_count()) if self._learning_rate_takes_step \
            else learning_rate()
        return ops.convert_to_tensor(value, dtype=floatx())

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule) and not (
            isinstance(learning_rate, schedules.LearningRateSchedule) or callable(learning_rate)
        ):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not "
                "settable. If you need the learning rate to be settable, you should "
                "instantiate the optimizer with a float `learning_rate` argument."
            )
        self._set_learning_rate(learning_rate)

    @property
    def lr(self):
        """Keras 2's name: the learning-rate ``Variable`` itself when the rate is
        a float (so ``K.get_value``/``K.set_value`` work on it), else the
        current value."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self.learning_rate

    @lr.setter
    def lr(self, learning_rate):
        self.learning_rate = learning_rate

    def _step_learning_rate(self):
        """The rate one step uses: ``learning_rate`` with Keras 2's `decay`."""
        learning_rate = self.learning_rate
        if self.decay:
            steps = ops.cast(self._update_count(), floatx())
            learning_rate = ops.divide(learning_rate, ops.add(1.0, ops.multiply(self.decay, steps)))
        return learning_rate

    # -------------------------------------------------------------- apply
    def apply_gradients(self, grads_and_vars, name=None, skip_gradients_aggregation=False,
                        experimental_aggregate_gradients=True):
        """Applies ``(gradient, variable)`` pairs (Keras 2 and 3); returns ``iterations``.

        `name` and the aggregation flags are Keras 2's and have no effect.
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self._iterations
        grads, trainable_variables = zip(*pairs)
        self.apply(list(grads), list(trainable_variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates `trainable_variables` with `grads` (one step).

        Builds the optimizer on the first call. Then: gradients of None are
        dropped with their variables, gradients are unscaled
        (`loss_scale_factor`) and clipped, weight decay is applied, each
        variable is updated, ``iterations`` grows by one, and each variable's
        ``constraint`` (when not None) is applied.

        Args:
            grads: native tensors, one per variable (None to skip one).
            trainable_variables: the variables; may be omitted once built, to
                update all the variables the optimizer was built with.

        Raises:
            ValueError: an unbuilt optimizer without variables, a variable it
                was not built with, or only None gradients.
        """
        resolved = self._resolve_apply_arguments(grads, trainable_variables)
        if resolved is None:
            return
        grads, trainable_variables = resolved
        grads, trainable_variables = _drop_missing_gradients(grads, trainable_variables)
        grads = [_as_dtype(g, v.dtype) for g, v in zip(grads, trainable_variables)]
        if self.loss_scale_factor is not None:
            grads = [ops.divide(g, self.loss_scale_factor) for g in grads]
        if self.gradient_accumulation_steps:
            self._accumulate_then_update(grads, trainable_variables)
        else:
            self._update(grads, trainable_variables)
        if self.use_ema:
            self._update_moving_averages()
        self._iterations.assign_add(1)
        for variable in trainable_variables:
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.assign(constraint(variable.value))

    def _resolve_apply_arguments(self, grads, trainable_variables):
        """``apply``'s arguments checked, the optimizer built on first use:
        ``(grads, variables)`` as lists, or None when there is no gradient.

        Raises:
            ValueError: an unbuilt optimizer without variables, a gradient
                list that does not match the built variables, or a variable
                it was not built with.
        """
        grads = list(grads)
        if not grads:
            return None
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already "
                    "be built on a list of variables. Call "
                    "`optimizer.build(trainable_variables)` first."
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients "
                    "must match `optimizer.variables` one-to-one. Received a list of "
                    f"{len(grads)} gradients, but the optimizer is tracking "
                    f"{len(self._trainable_variables)} trainable variables."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
            for variable in trainable_variables:
                if id(variable) not in self._trainable_variables_indices:
                    raise ValueError(
                        f"Unknown variable: {getattr(variable, 'path', variable)!r}. This "
                        "optimizer can only be called for the variables it was originally "
                        "built with. When working with a new set of variables, you should "
                        "recreate a new optimizer instance."
                    )
        return grads, trainable_variables

    def _update(self, grads, trainable_variables):
        """Clipping, weight decay and the update of one step."""
        grads = self._clip_gradients(grads)
        learning_rate = self._step_learning_rate()
        self._apply_weight_decay(trainable_variables, learning_rate)
        self._backend_update_step(grads, trainable_variables, learning_rate)

    def _accumulate_then_update(self, grads, trainable_variables):
        """Gradient accumulation without a branch, so that the same step
        traces under ``jax.jit`` and ``tf.function``: every step adds its
        gradients to the accumulators; the update runs on their mean each
        step too, and its results are kept on the last step of each
        accumulation only (elsewhere the variables and slots get back their
        values from before it)."""
        steps = self.gradient_accumulation_steps
        is_update = ops.equal(ops.mod(ops.add(self._iterations.value, 1), steps), 0)
        accumulators = [self._accumulated_gradients[self._get_variable_index(v)]
                        for v in trainable_variables]
        sums = [ops.add(g, a.value) for g, a in zip(grads, accumulators)]
        unchanged = {id(self._iterations), id(self._learning_rate)}
        unchanged.update(id(v) for v in self._accumulated_gradients)
        unchanged.update(id(v) for v in self._model_variables_moving_average)
        guarded = list(trainable_variables) + [v for v in self._variables
                                               if id(v) not in unchanged]
        # Copies: an adapter may update its variables' storage in place.
        before = [ops.copy(v.value) for v in guarded]
        self._update([ops.divide(s, steps) for s in sums], trainable_variables)
        for variable, old in zip(guarded, before):
            variable.assign(ops.where(is_update, variable.value, old))
        for accumulator, total in zip(accumulators, sums):
            accumulator.assign(ops.where(is_update, ops.zeros_like(total), total))

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        """Updates each variable: through the adapter's ``fused_optimizer_update``
        when it has one and accepts this optimizer (never inside a
        StatelessScope, which must only record assignments), else one
        variable at a time through ``kfacade.ops``."""
        fused = _fused_optimizer_update
        if fused is not None and active_stateless_scope() is None:
            rule = self.fused_update_rule(trainable_variables, learning_rate)
            if rule is not None and fused(rule, grads, trainable_variables):
                return
        if self._uses_update_step:
            for grad, variable in zip(grads, trainable_variables):
                self.update_step(grad, variable, learning_rate)
            return
        scalars = self._step_scalars(learning_rate)
        by_dtype = {}
        for grad, variable in zip(grads, trainable_variables):
            dtype = variable.dtype
            if dtype not in by_dtype:
                by_dtype[dtype] = {k: _as_dtype(s, dtype) for k, s in scalars.items()}
            self._update_variable(grad, variable, by_dtype[dtype])

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable; Keras-style subclasses override this."""
        if type(self)._update_variable is Optimizer._update_variable:
            raise NotImplementedError(
                f"{type(self).__name__} must override `update_step(gradient, variable, "
                f"learning_rate)`."
            )
        scalars = self._step_scalars(learning_rate)
        dtype = variable.dtype
        self._update_variable(_as_dtype(gradient, dtype), variable,
                              {k: _as_dtype(s, dtype) for k, s in scalars.items()})

    def fused_update_rule(self, variables, learning_rate):
        """This step's update of `variables` as a named rule, or None.

        What an adapter's ``fused_optimizer_update`` hook receives
        (``kfacade.backend.contract.OPTIONAL_HOOKS``): the rule's name, its
        coefficients for this step and the slot variables of `variables`.
        None when the update is not a documented rule: an optimizer without
        one, or a subclass that overrides ``_update_variable`` or
        ``update_step``.

        Args:
            variables: built variables of this optimizer, in any order.
            learning_rate: this step's learning rate (schedules and Keras 2's
                ``decay`` applied), a native scalar tensor or a float.
        """
        cls = type(self)
        if self._uses_update_step or cls._update_variable is not cls._rule_update_variable:
            return None
        name, coefficients, options, slots = self._update_rule(self._step_scalars(learning_rate))
        indices = [self._get_variable_index(variable) for variable in variables]
        return UpdateRule(name, coefficients, options,
                          {key: [slot[i] for i in indices] for key, slot in slots.items()})

    #: The ``_update_variable`` whose math ``_update_rule`` names; a subclass
    #: that replaces one without the other has no rule.
    _rule_update_variable = None

    def _update_rule(self, scalars):
        """``(name, coefficients, options, slots)`` of a built-in rule, from the
        step's `scalars`; slots are the full per-variable lists."""
        raise NotImplementedError

    def _step_scalars(self, learning_rate):
        """The per-step scalars of a built-in update: ``{name: tensor}``,
        computed once per ``apply``; the base gives the learning rate."""
        return {"learning_rate": learning_rate}

    def _update_variable(self, gradient, variable, scalars):
        """Updates `variable` from `gradient` and the step's `scalars`."""
        raise NotImplementedError

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            clipnorm = float(self.clipnorm)
            # g * clipnorm / max(||g||, clipnorm), as Keras's _clip_by_norm.
            return [
                ops.multiply(g, ops.divide(clipnorm, ops.maximum(
                    ops.sqrt(ops.sum(ops.square(g))), clipnorm)))
                for g in grads
            ]
        if self.global_clipnorm and self.global_clipnorm > 0:
            clipnorm = float(self.global_clipnorm)
            squared = ops.sum(ops.square(grads[0]))
            for g in grads[1:]:
                squared = ops.add(squared, ops.sum(ops.square(g)))
            norm = ops.sqrt(squared)
            scale = ops.multiply(clipnorm, ops.minimum(ops.divide(1.0, norm), 1.0 / clipnorm))
            # A non-finite norm makes the scale NaN (as Keras), not silently 0.
            scale = ops.add(scale, ops.subtract(norm, norm))
            return [ops.multiply(g, _as_dtype(scale, ops.dtype(g))) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            value = float(self.clipvalue)
            return [ops.clip(g, -value, value) for g in grads]
        return grads

    # ------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay; call before ``build``.

        Args:
            var_list: variables to exclude.
            var_names: strings; a variable whose name contains one is excluded
                (e.g. ``["bias"]``).

        Raises:
            ValueError: the optimizer is already built.
        """
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the "
                "optimizer is built."
            )
        self._exclude_ids = {id(v) for v in (var_list or ())}
        self._exclude_pattern = re.compile("|".join(map(re.escape, set(var_names)))) \
            if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        if self._exclude_pattern is not None and \
                self._exclude_pattern.search(str(variable.name)) is not None:
            return False
        return True

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        factor = ops.multiply(learning_rate, float(self.weight_decay))  # once per step
        for variable in variables:
            if self._weight_decay_mask[self._get_variable_index(variable)]:
                variable.assign_sub(
                    ops.multiply(variable.value, _as_dtype(factor, variable.dtype)))

    # ----------------------------------------------------------- helpers
    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """Keras 3's pure form of ``apply``: new values, no variable changed.

        Args:
            optimizer_variables: values of ``variables``, in order.
            grads: the gradients.
            trainable_variables: values of the variables built with, in order.

        Returns:
            ``(new trainable values, new optimizer values)``.
        """
        from kfacade.variables import StatelessScope

        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. "
                "its variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`."
            )
        # `variables`, not `_variables`: a wrapper (MultiOptimizer,
        # LossScaleOptimizer) lists its sub-optimizers' state there too.
        state = self.variables
        if len(optimizer_variables) != len(state):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding "
                f"1:1 to {type(self).__name__}().variables. Received list with length "
                f"{len(optimizer_variables)}, but expected {len(state)} variables."
            )
        mapping = list(zip(self._trainable_variables, trainable_variables)) + \
            list(zip(state, optimizer_variables))
        with StatelessScope(mapping) as scope:
            self.apply(grads)
        return (
            [scope.get_current_value(v) for v in self._trainable_variables],
            [scope.get_current_value(v) for v in state],
        )

    def scale_loss(self, loss):
        """`loss` times `loss_scale_factor` when set (before differentiation)."""
        if self.loss_scale_factor is not None:
            return ops.multiply(loss, self.loss_scale_factor)
        return loss

    # ---------------------------------------------------------------- EMA
    def _update_moving_averages(self):
        """One EMA step over every trainable variable (Keras 3's order: after
        the update, before the step count grows); then, every
        ``ema_overwrite_frequency`` steps, the variables take their averages."""
        updates = self._update_count()
        # 0 on the first step: the average starts as the variable itself.
        momentum = ops.multiply(ops.cast(ops.not_equal(updates, 0), floatx()),
                                float(self.ema_momentum))
        overwrite = None
        if self.ema_overwrite_frequency:
            overwrite = ops.equal(
                ops.mod(ops.add(updates, 1), self.ema_overwrite_frequency), 0)
        for variable, average in zip(self._trainable_variables,
                                     self._model_variables_moving_average):
            value = variable.value
            decay = _as_dtype(momentum, variable.dtype)
            new_average = ops.add(average.value, ops.multiply(
                ops.subtract(value, average.value), ops.subtract(1.0, decay)))
            average.assign(new_average)
            if overwrite is not None:
                variable.assign(ops.where(overwrite, new_average, value))

    def _overwrite_model_variables_with_average_value(self, var_list):
        """Assigns each variable of `var_list` its moving average.

        Raises:
            ValueError: `var_list` is not as long as the averages kept.
        """
        var_list = list(var_list)
        if len(var_list) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not "
                "match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the "
                "optimizer was called on your model."
            )
        for variable, average in zip(var_list, self._model_variables_moving_average):
            variable.assign(average.value)

    def finalize_variable_values(self, var_list):
        """Called by ``fit`` at the end of training: with `use_ema`, the
        variables of `var_list` take their moving averages (as in Keras)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def get_weights(self):
        """The values of ``variables`` as NumPy arrays (Keras 2)."""
        return [v.numpy() for v in self.variables]

    def set_weights(self, weights):
        """Assigns ``variables`` from arrays, in order.

        Raises:
            ValueError: the optimizer is not built, or a shape differs.
        """
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been "
                "built. Please call `optimizer.build(trainable_variables)` to create the "
                "optimizer weights before calling `set_weights()`."
            )
        for variable, weight in zip(self.variables, weights):
            if tuple(variable.shape) != tuple(getattr(weight, "shape", ())):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {variable.shape} not "
                    f"compatible with provided weight shape {tuple(weight.shape)}."
                )
            variable.assign(weight)

    def get_config(self):
        """The constructor arguments, JSON-friendly except a callable rate."""
        learning_rate = self._learning_rate
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            learning_rate = schedules.serialize(learning_rate)
        elif isinstance(learning_rate, Variable):
            learning_rate = float(learning_rate.numpy())
        config = {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }
        if self.decay:
            config["decay"] = self.decay
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """An optimizer from ``get_config``'s output (Keras 2 and 3 configs)."""
        config = {k: v for k, v in config.items() if k not in _IGNORED_CONFIG_KEYS}
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"],
                                                            custom_objects)
        return cls(**config)

    def __repr__(self):
        learning_rate = self._learning_rate
        if isinstance(learning_rate, Variable):
            learning_rate = f"{float(learning_rate.numpy()):.7g}"  # float32's digits
        elif isinstance(learning_rate, schedules.LearningRateSchedule):
            learning_rate = type(learning_rate).__name__
        return (f"<{type(self).__name__} name={self.name!r} learning_rate={learning_rate} "
                f"built={self.built}>")


def _takes_an_argument(fn):
    """Whether callable `fn` accepts a positional argument (the step)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD,
                              parameter.VAR_POSITIONAL):
            return True
    return False


def _as_dtype(x, dtype):
    """`x` as a native tensor of `dtype`, casting only when it differs."""
    if not _B.is_tensor(x):
        return _B.convert_to_tensor(x, dtype=dtype)
    if _B.dtype(x) != dtype:
        return _B.cast(x, dtype)
    return x


def _drop_missing_gradients(grads, variables):
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if not kept:
        raise ValueError("No gradients provided for any variable.")
    if len(kept) < len(grads):
        missing = [getattr(v, "path", v) for g, v in zip(grads, variables) if g is None]
        warnings.warn(
            f"Gradients do not exist for variables {missing} when minimizing the loss. "
            "If using `model.compile()`, did you forget to provide a `loss` argument?",
            stacklevel=3,
        )
    return [g for g, _ in kept], [v for _, v in kept]
