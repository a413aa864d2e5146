"""Merge: the base of the layers that combine a list of tensors elementwise.

Shapes broadcast as in Keras 3: the batch sizes must agree, the other axes
are aligned from the right and must be equal or 1; an input of lower rank
gets size-1 axes inserted after the batch axis. Masks (one per input, each
of the input's shape without its last axis) are merged by a logical OR.
"""
from kfacade import ops
from kfacade.backend.active import adapter as _B
from kfacade.layers.layer import Layer


class Merge(Layer):
    """Base class of ``Add``, ``Subtract``, ``Multiply``, ``Average``,
    ``Maximum``, ``Minimum``, ``Concatenate`` and ``Dot``.

    Subclasses implement ``_merge_function(inputs, masks)``: `inputs` is a
    list of tensors of equal rank, `masks` the list of their masks (None
    entries where an input has none) or None.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    # --------------------------------------------------------- checks
    def __call__(self, *args, **kwargs):
        inputs = args[0] if args else kwargs.get("inputs")
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A merge layer should be called on a list of inputs. Received: "
                f"inputs={inputs!r} (not a list of tensors) in layer {self.name!r}."
            )
        return super().__call__(*args, **kwargs)

    def _maybe_build(self, shapes):
        # The base class passes a single shape, not a list, for one input;
        # a merge layer always builds from the list of shapes.
        if not self.built:
            self.build([tuple(s) for s in shapes])
            self.built = True

    @staticmethod
    def _shape_list(input_shape):
        """`input_shape` as a list of tuples (a lone shape becomes a list of one)."""
        if isinstance(input_shape, (list, tuple)) and input_shape and all(
            s is None or isinstance(s, (list, tuple)) for s in input_shape
        ):
            return [None if s is None else tuple(s) for s in input_shape]
        return [tuple(input_shape)]

    def _check_is_list_of_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            s is None or isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                f"A merge layer should be called on a list of inputs. Received: "
                f"input_shape={input_shape} (not a list of shapes) in layer {self.name!r}."
            )

    def _compute_elemwise_op_output_shape(self, shape1, shape2):
        """The broadcast shape of two per-sample shapes (None: unknown rank)."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        output_shape = list(shape1[: len(shape1) - len(shape2)])
        for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1 or i == j:
                output_shape.append(i)
            else:
                raise ValueError(
                    f"Inputs have incompatible shapes. Received shapes {tuple(shape1)} and "
                    f"{tuple(shape2)} in layer {self.name!r}; aligned from the right, each "
                    f"dimension must be equal or 1."
                )
        return tuple(output_shape)

    def _check_batch_sizes(self, shapes):
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"Cannot merge tensors with different batch sizes. Received tensors with "
                f"shapes {shapes} in layer {self.name!r}."
            )

    def _broadcast_per_sample(self, shapes):
        output_shape = None if shapes[0] is None else tuple(shapes[0][1:])
        for shape in shapes[1:]:
            output_shape = self._compute_elemwise_op_output_shape(
                output_shape, None if shape is None else tuple(shape[1:])
            )
        return output_shape

    # ---------------------------------------------------------- build
    def build(self, input_shape):
        """Validates the shapes; merge layers have no weights."""
        self._check_is_list_of_shapes(input_shape)
        shapes = [None if s is None else tuple(s) for s in input_shape]
        self._check_batch_sizes(shapes)
        self._broadcast_per_sample(shapes)
        self.built = True

    # ----------------------------------------------------------- call
    def _as_tensors(self, inputs):
        return [x if _B.is_tensor(x) else self._convert_input(x) for x in inputs]

    def call(self, inputs, mask=None):
        inputs = self._as_tensors(inputs)
        masks = list(mask) if isinstance(mask, (list, tuple)) else None
        if masks is not None and all(m is None for m in masks):
            masks = None
        ranks = [len(_B.shape(x)) for x in inputs]
        if len(set(ranks)) > 1:
            # Lower-rank inputs get size-1 axes after the batch axis (Keras's rule).
            max_rank = max(ranks)
            expanded = []
            for x, rank in zip(inputs, ranks):
                for _ in range(max_rank - rank):
                    x = ops.expand_dims(x, 1)
                expanded.append(x)
            inputs, masks = expanded, None
        return self._merge_function(inputs, masks)

    def _merge_function(self, inputs, masks):
        raise NotImplementedError

    @staticmethod
    def _value_mask(mask, x):
        """`mask` (the input's shape without the last axis) broadcast to `x`'s shape."""
        if mask is None:
            return None
        if len(_B.shape(mask)) < len(_B.shape(x)):
            mask = ops.expand_dims(mask, -1)
        return ops.broadcast_to(ops.cast(mask, "bool"), _B.shape(x))

    def _apply_merge_op_and_or_mask(self, op_fn, inputs, masks):
        """Merges with `op_fn` pairwise; masked entries take the other operand's value.

        Used by ``Maximum`` and ``Minimum``, which have no identity element.
        """
        masks = masks or [None] * len(inputs)
        output, output_mask = None, None
        for x, mask in zip(inputs, masks):
            mask = self._value_mask(mask, x)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            if mask is not None and output_mask is not None:
                output_mask = ops.logical_or(output_mask, mask)
            else:
                output_mask = None
            output = op_fn(output, x)
        return output

    # ---------------------------------------------------- shape, mask
    def compute_output_shape(self, input_shape):
        shapes = self._shape_list(input_shape)
        self._check_batch_sizes(shapes)
        output_shape = self._broadcast_per_sample(shapes)
        batch_sizes = {s[0] for s in shapes if s is not None} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch,) + tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        """The OR of the inputs' masks; None when any input has none."""
        if mask is None:
            return None
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. Received: mask={mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError(
                f"The lists `inputs` and `mask` should have the same length. Received: "
                f"inputs of length {len(inputs)}, and mask of length {len(mask)}"
            )
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask
