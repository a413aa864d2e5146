"""Input specs: what a layer accepts, checked before it runs."""


class InputSpec:
    """The rank, dtype and axis sizes a layer expects of an input.

    Args:
        dtype: expected dtype name, or None.
        shape: full expected shape (None entries match anything).
        ndim: exact rank; `min_ndim`/`max_ndim` bound it instead.
        axes: {axis: size} for axes whose size is fixed (e.g. Dense's last).
        allow_last_axis_squeeze: accept a rank one lower or higher whose last axis is 1.
        name: the input's name, for messages.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in vars(self).items() if v not in (None, {}, False)]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {k: getattr(self, k) for k in ("dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes")}


def assert_input_compatibility(input_spec, shapes, layer_name):
    """Raises a ValueError naming the layer and both shapes if `shapes` do not fit.

    Args:
        input_spec: an InputSpec or a list of them (one per input).
        shapes: the input shapes (tuples), one per input.
        layer_name: the layer's name for the message.
    """
    specs = input_spec if isinstance(input_spec, (list, tuple)) else [input_spec]
    if len(specs) != len(shapes) and len(specs) > 1:
        raise ValueError(
            f"Layer {layer_name!r} expects {len(specs)} input(s), but it received "
            f"{len(shapes)} input tensors."
        )
    for index, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None:
            continue
        rank = len(shape)
        if spec.ndim is not None and rank != spec.ndim and not spec.allow_last_axis_squeeze:
            raise ValueError(
                f"{_where(index, layer_name)}: expected ndim={spec.ndim}, found ndim={rank}. "
                f"Full shape received: {tuple(shape)}"
            )
        if spec.min_ndim is not None and rank < spec.min_ndim:
            raise ValueError(
                f"{_where(index, layer_name)}: expected min_ndim={spec.min_ndim}, found ndim={rank}. "
                f"Full shape received: {tuple(shape)}"
            )
        if spec.max_ndim is not None and rank > spec.max_ndim:
            raise ValueError(
                f"{_where(index, layer_name)}: expected max_ndim={spec.max_ndim}, found ndim={rank}. "
                f"Full shape received: {tuple(shape)}"
            )
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if -rank <= axis < rank and shape[axis] is not None and shape[axis] != size:
                raise ValueError(
                    f"{_where(index, layer_name)}: expected axis {axis} of input shape to have value {size}, "
                    f"but received input with shape {tuple(shape)}"
                )
        if spec.shape is not None and rank == len(spec.shape):
            for expected, got in zip(spec.shape, shape):
                if expected is not None and got is not None and expected != got:
                    raise ValueError(
                        f"{_where(index, layer_name)}: expected shape={spec.shape}, found shape={tuple(shape)}"
                    )


def _where(index, layer_name):
    # Formatted only when raising: this check runs on every eager layer call.
    return f"Input {index} of layer {layer_name!r} is incompatible with the layer"
