"""The Layer: a thin stateful shell over a pure computation.

A layer owns variables (``add_weight``) and sub-layers (found by looking at
its attributes), and computes with ``call``. ``stateless_call`` runs the same
``call`` with weight values given from outside, inside a ``StatelessScope``,
and returns the outputs with the updated non-trainable values: that is the
pure function JAX's ``jit`` compiles, and the stateful path is the same code
with the variables read directly. Per-class facts (does ``call`` take
``training``, ``mask``?) are computed once per class, so the eager
``__call__`` does a handful of checks and then runs ``call``.
"""
import inspect

from kfacade.backend.active import adapter as _B
from kfacade.backend.config import floatx
from kfacade import dtype_policies
from kfacade.backend.dtypes import is_float_dtype, standardize_dtype
from kfacade.backend.state import local as _thread_state, refuse_in_abstract_run
from kfacade.engine import call_context, tree
from kfacade.engine.input_spec import InputSpec, assert_input_compatibility
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.name_scope import scoped
from kfacade.engine.naming import reset_names, to_snake_case, unique_name
from kfacade.engine.masks import get_keras_mask, set_keras_mask
from kfacade.engine.operation import Node, Operation, has_symbolic, run_on_dummies
from kfacade.engine import remat as _remat
from kfacade.random import SeedGenerator
from kfacade.variables import StatelessScope, Variable

_call_state = call_context.local  # per thread: the enclosing call's flag, the depth
_learning_phase = call_context._learning_phase
# Set when any layer records a loss in call(); lets the outermost call skip
# walking the layer tree to clear losses when none were ever added.
_losses_pending = [False]


def clear_session():
    """Resets the automatic layer-name counters (``keras.backend.clear_session``)."""
    reset_names()


_LAYER_KWARGS = {
    "input_shape", "batch_input_shape", "batch_size", "input_dim", "weights",
    "activity_regularizer", "autocast", "input_length",
}


def _device_names(leaves):
    """The names of the devices of the tensors and Variables among `leaves`."""
    names = set()
    for leaf in leaves:
        if isinstance(leaf, Variable) or _B.is_tensor(leaf):
            try:
                names.add(_B.device_of(leaf))
            except ValueError:  # a tensor being traced has no device yet
                pass
    return names


def _raise_if_devices_differ(layer, args, kwargs, error):
    """Turns a framework's refusal of tensors on different devices into a
    ValueError naming them (called only once a call has failed, so a
    successful call pays nothing)."""
    if "device" not in str(error).lower():
        return
    input_devices = _device_names(tree.flatten((args, kwargs)))
    variable_devices = _device_names(layer.variables)
    if len(input_devices | variable_devices) < 2:
        return
    raise ValueError(
        f"Layer {layer.name!r} received inputs on {sorted(input_devices)} but its "
        f"variables are on {sorted(variable_devices)}; the backend cannot compute across "
        f"devices here ({type(error).__name__}: {str(error).splitlines()[0][:200]}). Move "
        f"the inputs to the model's device, or call the model under "
        f"`kfacade.device(...)` to run it there (fit, evaluate and predict move their "
        f"batches to the model's device themselves)."
    ) from error


class Layer(Operation):
    """The base class of all layers.

    Args:
        trainable: whether the layer's weights are updated by training.
        name: a unique name; defaults to the snake-cased class name.
        dtype: the dtype of the weights and computations (default floatx).
        input_shape / input_dim / batch_input_shape / batch_size: the input
            of the first layer of a ``Sequential`` model (Keras 2 style).
        activity_regularizer: a regularizer applied to the outputs.

    Example:
        >>> class MyLayer(Layer):
        ...     def build(self, input_shape):
        ...         self.kernel = self.add_weight(name="kernel",
        ...             shape=(input_shape[-1], 4), initializer="uniform")
        ...     def call(self, x):
        ...         return kfacade.ops.matmul(x, self.kernel)
    """

    #: (input_spec, input shapes) of the last eager call that passed the input
    #: check; the same again skips it.
    _accepted_inputs = None
    #: The ``RematMode`` of the ``RematScope`` the layer was constructed in
    #: (None: no scope; then `call` runs with a single check of this).
    _remat_mode = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._call_signature_facts = None  # computed lazily per class

    def __new__(cls, *args, **kwargs):
        instance = super().__new__(cls)
        instance._auto_config = _auto_config(cls, args, kwargs)
        return instance

    @classmethod
    def _call_facts(cls):
        facts = cls.__dict__.get("_call_signature_facts")
        if facts is None:
            params = inspect.signature(cls.call).parameters
            var_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
            facts = (
                "training" in params or var_kwargs,
                "mask" in params or var_kwargs,
                cls.compute_output_shape is not Layer.compute_output_shape,
                cls.compute_mask is not Layer.compute_mask,
            )
            cls._call_signature_facts = facts
        return facts

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, name=None, **kwargs):
        unknown = set(kwargs) - _LAYER_KWARGS
        if unknown:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                f"{ {k: kwargs[k] for k in sorted(unknown)} }"
            )
        super().__init__(name=name or unique_name(to_snake_case(type(self).__name__)))
        if not isinstance(self.name, str) or "/" in self.name:
            raise ValueError(
                f"Layer names must be strings without '/'. Received: name={self.name!r}"
            )
        self._set_dtype_policy(dtype)
        remat_mode = _remat.get_current_remat_mode()
        if remat_mode is not None:  # read at construction, as Keras 3
            self._remat_mode = remat_mode
        self.autocast = kwargs.get("autocast", True)
        self.trainable = trainable
        self.built = False
        self.input_spec = None
        self.supports_masking = getattr(self, "supports_masking", False)
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._losses = []
        self._layers_override = None  # models set their layer list explicitly
        from kfacade import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        (self._call_has_training, self._call_has_mask, self._has_shape_rule,
         self._has_mask_rule) = self._call_facts()
        # Keras 2 style input declarations for the first layer of a model.
        batch_input_shape = kwargs.get("batch_input_shape")
        if batch_input_shape is None:
            input_shape = kwargs.get("input_shape")
            if input_shape is None and kwargs.get("input_dim") is not None:
                input_length = kwargs.get("input_length")
                input_shape = (
                    (input_length, kwargs["input_dim"]) if input_length else (kwargs["input_dim"],)
                )
            if input_shape is not None:
                batch_input_shape = (kwargs.get("batch_size"),) + tuple(input_shape)
        self._batch_input_shape = (
            tuple(batch_input_shape) if batch_input_shape is not None else None
        )
        self._initial_weights = kwargs.get("weights")

    # ------------------------------------------------------------ dtypes
    def _set_dtype_policy(self, dtype):
        policy = dtype_policies.get(dtype)
        self._dtype_policy = policy
        self._dtype = policy.variable_dtype
        self._compute_dtype = policy.compute_dtype
        # The dtype variables are read as in `call` (None: as stored).
        self._autocast_dtype = (
            policy.compute_dtype if policy.compute_dtype != policy.variable_dtype else None
        )
        if self._autocast_dtype is not None:
            dtype_policies.autocast_in_use[0] = True

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy`` (variable and compute dtypes)."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(value)

    @property
    def dtype(self):
        """The dtype of the layer's weights."""
        return self._dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs (float16 under "mixed_float16")."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        return self._dtype

    # ------------------------------------------------------------ weights
    def add_weight(self, *args, **kwargs):
        """Creates a weight variable owned by this layer.

        Accepts Keras 3's order ``(shape, initializer, dtype, trainable,
        autocast, regularizer, constraint, aggregation, name)`` and, when the
        first positional argument is a string, Keras 2's
        ``(name, shape, dtype, initializer, regularizer, trainable, constraint)``.

        Returns:
            The new ``Variable``; its ``path`` is "<layer name>/<name>".
        """
        if args and isinstance(args[0], str):
            order = ("name", "shape", "dtype", "initializer", "regularizer", "trainable", "constraint")
        else:
            order = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer",
                     "constraint", "aggregation", "name")
        if len(args) > len(order):
            raise TypeError(f"add_weight() takes at most {len(order)} positional arguments")
        for key, value in zip(order, args):
            if key in kwargs:
                raise TypeError(f"add_weight() got multiple values for argument {key!r}")
            kwargs[key] = value
        from kfacade import constraints, initializers, regularizers

        allowed = {"name", "shape", "dtype", "initializer", "regularizer", "trainable",
                   "constraint", "autocast", "aggregation", "synchronization", "use_resource",
                   "experimental_autocast", "partitioner", "caching_device", "getter"}
        unknown = set(kwargs) - allowed
        if unknown:
            raise TypeError(f"add_weight() got unexpected keyword arguments {sorted(unknown)}")
        shape = tuple(kwargs.get("shape") or ())
        dtype = standardize_dtype(kwargs.get("dtype")) or self._dtype
        initializer = kwargs.get("initializer")
        if initializer is None:
            initializer = "glorot_uniform" if is_float_dtype(dtype) else "zeros"
        initializer = initializers.get(initializer)
        trainable = bool(kwargs.get("trainable", True)) if kwargs.get("trainable") is not None else True
        name = kwargs.get("name") or f"variable_{len(self._trainable_weights) + len(self._non_trainable_weights)}"
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer {self.name!r}: cannot create weight {name!r} with an unknown "
                f"dimension. Received: shape={shape}"
            )
        autocast = kwargs.get("autocast")
        variable = Variable(initializer, shape=shape, dtype=dtype, trainable=trainable, name=name,
                            autocast=True if autocast is None else bool(autocast))
        variable.path = scoped(f"{self.name}/{name}")  # inside name_scope("b"): "b/dense/kernel"
        variable.regularizer = regularizers.get(kwargs.get("regularizer"))
        variable.constraint = constraints.get(kwargs.get("constraint"))
        (self._trainable_weights if trainable else self._non_trainable_weights).append(variable)
        return variable

    def _sublayers(self):
        """Directly tracked sub-layers, in attribute order (lists and dicts included)."""
        if self._layers_override is not None:
            return list(self._layers_override)
        found, seen = [], set()

        def visit(value):
            if isinstance(value, Layer):
                if id(value) not in seen and value is not self:
                    seen.add(id(value))
                    found.append(value)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    visit(item)
            elif isinstance(value, dict):
                for item in value.values():
                    visit(item)

        for key, value in vars(self).items():
            if not key.startswith("_inbound") and key not in ("_layers_override",):
                visit(value)
        return found

    def _own_variables(self):
        """Variables this layer holds outside add_weight (attributes, seed states)."""
        extra = []
        for key, value in vars(self).items():
            if isinstance(value, Variable) and not any(
                value is w for w in self._trainable_weights + self._non_trainable_weights
            ):
                extra.append(value)
        return extra

    def _seed_states(self):
        return [v.state for v in vars(self).values() if isinstance(v, SeedGenerator)]

    @property
    def layers(self):
        """The layers this layer holds directly."""
        return self._sublayers()

    @property
    def trainable_weights(self):
        """Trainable weights of this layer and its sub-layers (none when frozen)."""
        if not self.trainable:
            return []
        own = self._trainable_weights + [v for v in self._own_variables() if v.trainable]
        return _unique(own + [w for layer in self._sublayers() for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self):
        """Weights not updated by optimizers (all of them when the layer is frozen)."""
        own_extra = self._own_variables()
        if not self.trainable:
            own = self._trainable_weights + self._non_trainable_weights + own_extra
            return _unique(own + [w for layer in self._sublayers() for w in layer.weights])
        own = self._non_trainable_weights + [v for v in own_extra if not v.trainable]
        return _unique(own + [w for layer in self._sublayers() for w in layer.non_trainable_weights])

    @property
    def weights(self):
        """All weights in Keras's order: own trainable, own non-trainable, then sub-layers'."""
        own = self._trainable_weights + self._non_trainable_weights + self._own_variables()
        return _unique(own + [w for layer in self._sublayers() for w in layer.weights])

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """Non-trainable weights plus internal state (random seed states)."""
        states = self._seed_states() + [s for layer in self._all_sublayers() for s in layer._seed_states()]
        return _unique(self.non_trainable_weights + states)

    @property
    def variables(self):
        """Every variable: weights and internal state."""
        return _unique(self.weights + self.non_trainable_variables)

    def _all_sublayers(self):
        result = []
        for layer in self._sublayers():
            result.append(layer)
            result.extend(layer._all_sublayers())
        return result

    def get_weights(self):
        """The weights' values as NumPy arrays, in ``weights`` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from NumPy arrays given in ``weights`` order.

        Raises:
            ValueError: the number of arrays or a shape does not match, naming
                the weight and both shapes. Nothing is changed then.
        """
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"Layer {self.name!r} expected {len(params)} weights, but received "
                f"{len(weights)} input weights."
            )
        for variable, value in zip(params, weights):
            shape = tuple(getattr(value, "shape", ()))
            if tuple(variable.shape) != shape:
                raise ValueError(
                    f"Layer {self.name!r} weight shape {variable.shape} is not compatible "
                    f"with provided weight shape {shape} (weight {variable.path!r})."
                )
        for variable, value in zip(params, weights):
            variable.assign(value)

    def count_params(self):
        """The number of scalars in the layer's weights.

        Raises:
            ValueError: the layer is not built yet.
        """
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer {self.name!r}, but the "
                f"layer isn't built. You can build it manually via: "
                f"`{self.name}.build(batch_input_shape)`."
            )
        total = 0
        for w in self.weights:
            n = 1
            for d in w.shape:
                n *= d
            total += n
        return total

    # ------------------------------------------------------------ losses
    def add_loss(self, loss, inputs=None):
        """Adds a loss tensor (e.g. an activity penalty) computed in ``call``.

        Keras 2's form is accepted too: `loss` a list of tensors, and `inputs`
        (which made a loss conditional on them; ignored, since a layer's losses
        are those of its last call).
        """
        refuse_in_abstract_run("add_loss")  # the layer would keep an abstract loss
        _losses_pending[0] = True
        if isinstance(loss, (list, tuple)):
            self._losses.extend(loss)
        else:
            self._losses.append(loss)

    @property
    def losses(self):
        """Losses added in the last call plus the weight-regularization penalties."""
        return self._activity_losses() + [
            regularizer(variable.value) for variable, regularizer in self._regularized_weights()]

    def _activity_losses(self):
        """Losses added with ``add_loss`` in the last call, this layer's and its sub-layers'."""
        if not _losses_pending[0]:
            return []  # nothing was added since the last clear: no tree walk
        losses = list(self._losses)
        for layer in self._sublayers():
            losses.extend(layer._activity_losses())
        return losses

    def _regularized_weights(self):
        """``(variable, regularizer)`` for every weight with a regularizer, sub-layers' included."""
        pairs = [(w, w.regularizer) for w in self._trainable_weights + self._non_trainable_weights
                 if getattr(w, "regularizer", None) is not None]
        for layer in self._sublayers():
            pairs.extend(layer._regularized_weights())
        return pairs

    def _clear_losses(self):
        self._losses = []
        for layer in self._sublayers():
            layer._clear_losses()

    # ------------------------------------------------------------- build
    def build(self, input_shape):
        """Creates the weights for inputs of `input_shape`. The default creates none."""
        self.built = True

    def _maybe_build(self, shapes):
        if self.built:
            return
        input_shape = shapes[0] if len(shapes) == 1 else list(shapes)
        self.build(input_shape)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape`; by default inferred by running the layer."""
        if isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (list, tuple)):
            inputs = [KerasTensor(s, self.compute_dtype) for s in input_shape]
        else:
            inputs = KerasTensor(tuple(input_shape), self.compute_dtype)
        if not self.built:
            self._maybe_build([x.shape for x in tree.flatten(inputs)])
        outputs = run_on_dummies(lambda *a: self._call_with_context(a, {}), (inputs,), {})
        return tree.map_structure(lambda x: x.shape, outputs)

    def compute_mask(self, inputs, previous_mask=None):
        """The mask of the outputs: the input mask for layers that support masking."""
        if not self.supports_masking:
            return None
        return previous_mask

    # -------------------------------------------------------------- call
    def call(self, inputs, *args, **kwargs):
        """The layer's computation; identity by default."""
        return inputs

    def __call__(self, *args, **kwargs):
        if has_symbolic(args, kwargs):
            return self._symbolic_call(args, kwargs)
        if args and not _B.is_tensor(args[0]) and not isinstance(args[0], (list, tuple, dict)):
            args = (self._convert_input(args[0]),) + args[1:]
        if self.input_spec is not None or not self.built:
            shapes = [tuple(_B.shape(x)) for x in _tensor_leaves(args[0] if args else kwargs.get("inputs"))]
            # Checked before build (as Keras) so that a wrong rank is named
            # plainly, and again after it with the spec the build sets. The
            # shapes that last passed against this very spec skip the check:
            # an eager loop calls a layer on one shape over and over.
            accepted = self._accepted_inputs
            if not (self.built and accepted is not None and accepted[0] is self.input_spec
                    and accepted[1] == shapes):
                if self.input_spec is not None:
                    assert_input_compatibility(self.input_spec, shapes, self.name)
                if not self.built:
                    self._maybe_build(shapes)
                    if self.input_spec is not None:
                        assert_input_compatibility(self.input_spec, shapes, self.name)
                self._accepted_inputs = (self.input_spec, shapes)
        if not (self._call_has_mask or self._has_mask_rule or self.supports_masking):
            return self._call_with_context(args, kwargs)
        # Masks travel with eager tensors too (Keras 3): the input's mask is
        # passed to `call` and the outputs carry `compute_mask`'s result.
        inputs = args[0] if args else kwargs.get("inputs")
        mask = kwargs.get("mask")
        if mask is None:
            mask = _mask_of(inputs)
            if mask is not None and self._call_has_mask:
                kwargs["mask"] = mask
        outputs = self._call_with_context(args, kwargs)
        if mask is not None or self._has_mask_rule:
            output_mask = self.compute_mask(inputs, mask)
            if output_mask is not None:
                for output, m in zip(tree.flatten(outputs), _broadcast_masks(output_mask, outputs)):
                    set_keras_mask(output, m)
        return outputs

    def _convert_input(self, x):
        if isinstance(x, Variable):
            return x.value
        import numpy as np

        array = np.asarray(x)
        dtype = self.compute_dtype if array.dtype.kind == "f" else None
        return _B.convert_to_tensor(array, dtype=dtype)

    def _call_with_context(self, args, kwargs):
        training = kwargs.get("training")
        state = _call_state
        saved = state.training
        if training is None:
            if self._call_has_training:
                flag = _learning_phase[0] if saved is None else saved
                if flag is not None:
                    kwargs["training"] = flag
        elif not self._call_has_training:
            del kwargs["training"]
        if not self._call_has_mask:
            kwargs.pop("mask", None)
        outer = state.depth
        if outer == 0 and _losses_pending[0]:
            self._clear_losses()
            _losses_pending[0] = False
        state.depth = outer + 1
        if training is not None:
            state.training = bool(training)
        autocast = dtype_policies.autocast_in_use[0]
        if autocast:
            # Mixed precision: floating inputs in the compute dtype, float
            # variables read as it (Variable.value) during this call only.
            saved_cast = _thread_state.autocast
            _thread_state.autocast = self._autocast_dtype
            compute = self._compute_dtype
            if self.autocast and args and is_float_dtype(compute):
                mixed = self._autocast_dtype is not None
                first = args[0]
                if _B.is_tensor(first):  # one tensor (most calls): no tree walk
                    first = _cast_float(first, compute, mixed)
                else:
                    first = tree.map_structure(lambda x: _cast_float(x, compute, mixed), first)
                args = (first,) + args[1:]
        try:
            if self._remat_mode is None:
                outputs = self.call(*args, **kwargs)
            else:
                outputs = self.rematerialized_call(self.call, *args, **kwargs)(*args, **kwargs)
        except (RuntimeError, ValueError) as error:
            if outer == 0:  # the outermost call names the devices once
                _raise_if_devices_differ(self, args, kwargs, error)
            raise
        finally:
            if autocast:
                _thread_state.autocast = saved_cast
            state.training = saved
            state.depth = outer
        if self.activity_regularizer is not None:
            for output in tree.flatten(outputs):
                self.add_loss(
                    _B.divide(self.activity_regularizer(output), _B.shape(output)[0])
                )
        return outputs

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """The function to run for ``layer_call(*args, **kwargs)`` under the
        ``RematScope`` the layer was built in: `layer_call` rematerialized
        (``kfacade.remat``), with only its activation rematerialized, or
        unchanged, per the scope's mode (see ``kfacade.RematScope``)."""
        return _remat.layer_call_for(self, layer_call, args, kwargs)

    def _symbolic_call(self, args, kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        leaves = [x for x in tree.flatten(inputs) if isinstance(x, KerasTensor)]
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, [x.shape for x in leaves], self.name)
        if not self.built:
            self._maybe_build([x.shape for x in leaves])
            if self.input_spec is not None:
                assert_input_compatibility(self.input_spec, [x.shape for x in leaves], self.name)
        if self._has_shape_rule:
            input_shape = leaves[0].shape if len(leaves) == 1 else [x.shape for x in leaves]
            output_shape = self.compute_output_shape(input_shape)
            if isinstance(output_shape, list) and output_shape and isinstance(output_shape[0], (list, tuple)):
                outputs = [KerasTensor(s, self.compute_dtype) for s in output_shape]
            else:
                outputs = KerasTensor(tuple(output_shape), self.compute_dtype)
        else:
            outputs = run_on_dummies(
                lambda *a, **k: self._call_with_context(a, dict(k)), args, kwargs
            )
        mask = kwargs.get("mask")
        if mask is None:
            masks = [get_keras_mask(x) for x in leaves]
            mask = masks[0] if len(masks) == 1 else (masks if any(m is not None for m in masks) else None)
        if self.supports_masking or self._has_mask_rule:
            output_mask = self.compute_mask(inputs, mask)
            if output_mask is not None:
                for output, m in zip(tree.flatten(outputs), _broadcast_masks(output_mask, outputs)):
                    set_keras_mask(output, m)
        Node(self, args, kwargs, outputs)
        return outputs

    def stateless_call(self, trainable_variables, non_trainable_variables, *args, return_losses=False, **kwargs):
        """Runs the layer with given weight values, changing no variable.

        Args:
            trainable_variables: values for ``self.trainable_variables``, in order.
            non_trainable_variables: values for ``self.non_trainable_variables``.
            *args, **kwargs: the call's inputs and options (``training=...``).
            return_losses: also return the losses computed in the call.

        Returns:
            ``(outputs, non_trainable_values)`` (and ``losses`` when asked): the
            non-trainable values after the call, e.g. BatchNorm's updated
            moving statistics, in ``non_trainable_variables`` order.
        """
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        if len(trainable_variables) != len(trainable) or len(non_trainable_variables) != len(non_trainable):
            raise ValueError(
                f"stateless_call of {self.name!r} expects {len(trainable)} trainable and "
                f"{len(non_trainable)} non-trainable values; received "
                f"{len(trainable_variables)} and {len(non_trainable_variables)}."
            )
        mapping = list(zip(trainable, trainable_variables)) + list(zip(non_trainable, non_trainable_variables))
        with StatelessScope(mapping) as scope:
            outputs = self(*args, **kwargs)
            losses = self.losses if return_losses else None
        new_values = [scope.get_current_value(v) for v in non_trainable]
        if return_losses:
            return outputs, new_values, losses
        return outputs, new_values

    # ------------------------------------------------------------ graph
    def _node_tensor(self, attribute, node_index=0):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer {self.name!r} has never been called and thus has no defined {attribute}."
            )
        node = self._inbound_nodes[node_index]
        values = node.input_tensors if attribute == "input" else node.outputs
        return values[0] if len(values) == 1 else list(values)

    @property
    def input(self):
        """The symbolic input of the layer's first call."""
        return self._node_tensor("input")

    @property
    def output(self):
        """The symbolic output of the layer's first call."""
        return self._node_tensor("output")

    def get_input_at(self, node_index):
        return self._node_tensor("input", node_index)

    def get_output_at(self, node_index):
        return self._node_tensor("output", node_index)

    @property
    def input_shape(self):
        value = self.input
        return [x.shape for x in value] if isinstance(value, list) else value.shape

    @property
    def output_shape(self):
        value = self.output
        return [x.shape for x in value] if isinstance(value, list) else value.shape

    # ----------------------------------------------------- serialization
    def get_config(self):
        """The constructor arguments that recreate this layer (without weights).

        A subclass that does not override ``get_config`` gets the arguments
        its constructor was called with as well, when they are plain values
        (numbers, strings, booleans, None, and lists, tuples or dicts of
        them), as in Keras 3; so a Keras 2 custom layer such as
        ``MyLayer(output_dim)`` saves and clones without writing one.

        Raises:
            NotImplementedError: a subclass that does not override
                ``get_config`` was constructed with other values (a layer,
                a function, an array), which no config can hold.
        """
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_policy.name}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        if type(self).get_config is Layer.get_config:
            auto_config = getattr(self, "_auto_config", {})
            if auto_config is None:
                raise NotImplementedError(
                    f"Layer {type(self).__name__!r} was created with constructor arguments that "
                    "are not plain values (numbers, strings, booleans, None, or lists and "
                    "dicts of them), so its config cannot be generated. Please implement "
                    "`get_config()` returning the arguments that recreate it (and "
                    "`from_config()` if they need deserializing).")
            config.update(auto_config)
        return config

    @classmethod
    def from_config(cls, config):
        """A new layer from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


_AUTO_CONFIG_PLAIN = (str, int, float, bool, type(None))
#: The base layer's own arguments: its config writes them (or, for the
#: activity regularizer, leaves them to the layers that write it).
_AUTO_CONFIG_SKIPPED = {"name", "trainable", "dtype", "activity_regularizer"} | _LAYER_KWARGS


def _init_parameters(cls):
    """The named parameters of ``cls.__init__`` after ``self`` (cached per class)."""
    names = cls.__dict__.get("_init_parameter_names")
    if names is None:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        names = [p.name for p in parameters
                 if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY, p.POSITIONAL_ONLY)]
        cls._init_parameter_names = names
    return names


def _auto_config(cls, args, kwargs):
    """``{parameter: value}`` of a construction call's named arguments, or
    None when one of them is not a plain value (Keras 3's auto config)."""
    if not args and not kwargs:
        return {}
    names = _init_parameters(cls)
    given = dict(zip(names, args))
    given.update((k, v) for k, v in kwargs.items() if k in names)
    config = {k: v for k, v in given.items() if k not in _AUTO_CONFIG_SKIPPED}

    def plain(value):
        if isinstance(value, (list, tuple)):
            return all(plain(v) for v in value)
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        return isinstance(value, _AUTO_CONFIG_PLAIN)

    return config if plain(config) else None


def _unique(variables):
    seen, result = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            result.append(v)
    return result


def _tensor_leaves(inputs):
    return [x for x in tree.flatten(inputs) if x is not None and not isinstance(x, (int, float, str, bool))]


def _cast_float(x, dtype, mixed):
    """A floating native tensor cast to `dtype`; anything else unchanged.

    A mixed layer casts every float input; another layer casts only 16-bit
    ones (a float32 output layer after float16 ones), so layers outside mixed
    precision see the inputs they always saw."""
    if _B.is_tensor(x):
        current = _B.dtype(x)
        if current != dtype and is_float_dtype(current) and (
                mixed or current in ("float16", "bfloat16")):
            return _B.cast(x, dtype)
    return x


def _mask_of(inputs):
    """The mask the inputs carry: one, a list (several inputs, some masked), or None."""
    if inputs is None:
        return None
    if not isinstance(inputs, (list, tuple, dict)):
        return get_keras_mask(inputs)
    masks = [get_keras_mask(x) for x in tree.flatten(inputs)]
    if len(masks) == 1:
        return masks[0]
    return masks if any(m is not None for m in masks) else None


def _broadcast_masks(mask, outputs):
    n = len(tree.flatten(outputs))
    if isinstance(mask, (list, tuple)):
        return list(mask) + [None] * (n - len(mask))
    return [mask] * n


__all__ = ["Layer", "InputSpec", "clear_session"]
