"""``rearrange``: einops' axis-rearranging pattern language over ``reshape``
and ``transpose``.

A pattern ``"b (h w) c -> b h w c"`` names each input axis on the left and
each output axis on the right; parentheses compose (merge) axes, ``...``
stands for any number of axes, and ``1`` or ``()`` an axis of length 1.
The pattern is parsed in pure Python; the op is then one reshape to the
elementary axes, one transpose and one reshape to the output groups. The
shape rule is written once (``_plan``) and serves eager calls and symbolic
shapes alike (unknown sizes stay unknown).
"""
import re

from kfacade.backend.active import adapter as _B
from kfacade.engine.keras_tensor import KerasTensor as _KerasTensor
from kfacade.ops._composite import tensor as _tensor
from kfacade.ops.dispatch import symbolic_or

__all__ = ["rearrange"]

_ELLIPSIS = "..."
_TOKEN = re.compile(r"\.\.\.|\(|\)|[A-Za-z_][A-Za-z0-9_]*|\d+|\S")


def _parse_side(text, side, pattern):
    """One side of the pattern as a list of groups, each a list of axis names
    (``...`` for the ellipsis; an empty list is a unit axis), and a flag per
    group: whether it was written in parentheses."""
    groups, composite, current = [], [], None

    def bad(reason):
        return ValueError(f"Invalid rearrange pattern {pattern!r}: {reason} (in the {side} side).")

    for token in _TOKEN.findall(text):
        if token == "(":
            if current is not None:
                raise bad("nested parentheses are not allowed")
            current = []
        elif token == ")":
            if current is None:
                raise bad("')' without a matching '('")
            groups.append(current)
            composite.append(True)
            current = None
        elif token == _ELLIPSIS or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", token) or token == "1":
            axes = [] if token == "1" else [token]
            if current is not None:
                current.extend(axes)
            else:
                groups.append(axes)
                composite.append(False)
        elif token.isdigit():
            raise bad(f"only 1 may stand for an anonymous axis, not {token!r}; name the axis "
                      f"and pass its length as a keyword argument")
        else:
            raise bad(f"unexpected character {token!r}")
    if current is not None:
        raise bad("'(' without a matching ')'")
    names = [name for group in groups for name in group]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise bad(f"axes named more than once: {duplicates}")
    return groups, composite


def _parse(pattern):
    if not isinstance(pattern, str) or pattern.count("->") != 1:
        raise ValueError(f"A rearrange pattern has the form 'left -> right' with one '->'. "
                         f"Received: pattern={pattern!r}")
    left_text, right_text = pattern.split("->")
    left, left_composite = _parse_side(left_text, "left", pattern)
    right, right_composite = _parse_side(right_text, "right", pattern)
    left_names = {name for group in left for name in group}
    right_names = {name for group in right for name in group}
    if left_names != right_names:
        raise ValueError(
            f"Invalid rearrange pattern {pattern!r}: axes on one side only (each must be on both): "
            f"{sorted(left_names ^ right_names)}.")
    if any(_ELLIPSIS in group and is_composite for group, is_composite in zip(left, left_composite)):
        raise ValueError(f"Invalid rearrange pattern {pattern!r}: the ellipsis may not be in "
                         f"parentheses on the left side.")
    return left, right, right_composite


def _product(values):
    total = 1
    for value in values:
        if value is None:
            return None
        total *= value
    return total


def _plan(shape, pattern, axes_lengths):
    """(elementary shape, permutation, output shape) of rearranging `shape`.

    Sizes may be None (unknown, for symbolic shapes); they stay None where
    they reach the output.
    """
    left, right, right_composite = _parse(pattern)
    names = {name for group in left for name in group}
    unused = sorted(set(axes_lengths) - names)
    if unused:
        raise ValueError(f"rearrange got lengths for axes not in the pattern {pattern!r}: {unused}")
    for name, length in axes_lengths.items():
        if not isinstance(length, int) or isinstance(length, bool) or length < 1:
            raise ValueError(f"The length of axis {name!r} must be a positive int. Received: {length!r}")
    has_ellipsis = _ELLIPSIS in names
    ellipsis_rank = len(shape) - (len(left) - 1) if has_ellipsis else 0
    if (has_ellipsis and ellipsis_rank < 0) or (not has_ellipsis and len(left) != len(shape)):
        raise ValueError(
            f"The pattern {pattern!r} names {len(left) - has_ellipsis} input axes"
            f"{' and an ellipsis' if has_ellipsis else ''}; the input has rank {len(shape)} "
            f"(shape {tuple(shape)}).")
    lengths = dict(axes_lengths)
    elementary = []  # (name, length) in input order
    dims = list(shape)
    for group in left:
        if group == [_ELLIPSIS]:
            ellipsis_dims = [dims.pop(0) for _ in range(ellipsis_rank)]
            for i, dim in enumerate(ellipsis_dims):
                elementary.append((f"...{i}", dim))
            continue
        dim = dims.pop(0)
        unknown = [name for name in group if name not in lengths]
        known = _product(lengths[name] for name in group if name in lengths)
        if len(unknown) > 1:
            raise ValueError(f"rearrange cannot infer the lengths of {unknown} in the pattern "
                             f"{pattern!r}: pass all but one as keyword arguments.")
        if unknown:
            if dim is not None and dim % known:
                raise ValueError(f"Input axis of length {dim} cannot be split into {group} "
                                 f"with the given lengths {[lengths[n] for n in group if n in lengths]}.")
            lengths[unknown[0]] = None if dim is None else dim // known
        elif dim is not None and dim != known:
            raise ValueError(
                f"Input axis of length {dim} does not match the pattern's group {group or '1'} "
                f"of length {known} in {pattern!r}.")
        elementary.extend((name, lengths[name]) for name in group)
    ellipsis_names = [name for name, _ in elementary if name.startswith(_ELLIPSIS)]
    sizes = dict(elementary)
    order = [name for name, _ in elementary]
    permutation, out_shape = [], []
    for group, is_composite in zip(right, right_composite):
        expanded = [n for name in group for n in (ellipsis_names if name == _ELLIPSIS else [name])]
        permutation.extend(order.index(name) for name in expanded)
        if group == [_ELLIPSIS] and not is_composite:  # the ellipsis's axes, each kept
            out_shape.extend(sizes[name] for name in expanded)
        else:
            out_shape.append(_product(sizes[name] for name in expanded))
    return tuple(sizes[name] for name in order), tuple(permutation), tuple(out_shape)


@symbolic_or
def rearrange(tensor, pattern, **axes_lengths):
    """`tensor` with its axes split, merged, reordered, added or removed as
    einops' `pattern` says.

    Args:
        tensor: the input.
        pattern: ``"left -> right"``: axis names, ``(a b)`` for a merged
            axis, ``...`` for the other axes, ``1`` or ``()`` for an axis of
            length 1. Every name must be on both sides.
        **axes_lengths: lengths of axes split on the left that cannot be
            inferred (all but one of each group).

    Raises:
        ValueError: a malformed pattern, a name on one side only, a rank or
            length that does not match.

    Example:
        >>> ops.rearrange(images, "b h w c -> b c h w")
        >>> ops.rearrange(x, "b (h w) c -> b h w c", h=4)
    """
    tensor = _tensor(tensor)
    elementary, permutation, out_shape = _plan(tuple(_B.shape(tensor)), pattern, axes_lengths)
    tensor = _B.reshape(tensor, elementary)
    if permutation != tuple(range(len(permutation))):
        tensor = _B.transpose(tensor, permutation)
    return _B.reshape(tensor, out_shape)


rearrange.output_spec = lambda tensor, pattern, **axes_lengths: _KerasTensor(
    _plan(tuple(tensor.shape), pattern, axes_lengths)[2], dtype=tensor.dtype)
