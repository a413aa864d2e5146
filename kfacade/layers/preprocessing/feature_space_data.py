"""What ``FeatureSpace`` reads: its data (a dict of columns, or batches of
such dicts, as NumPy arrays) and the state of its preprocessors (whether
``adapt`` applies to one, whether it has run, how many indices it yields)."""
import numpy as np

from kfacade import ops
from kfacade.layers.preprocessing.category_encoding import CategoryEncoding
from kfacade.layers.preprocessing.discretization import Discretization
from kfacade.layers.preprocessing.hashed_crossing import HashedCrossing
from kfacade.layers.preprocessing.hashing import Hashing
from kfacade.layers.preprocessing.index_lookup import IndexLookup
from kfacade.layers.preprocessing.normalization import Normalization, iterate_batches
from kfacade.layers.preprocessing.text_vectorization import TextVectorization


def to_array(value):
    """`value` (array, list, scalar, any framework's tensor) as a NumPy array."""
    if isinstance(value, np.ndarray):
        return value
    if ops.is_tensor(value):
        return np.asarray(ops.convert_to_numpy(value))
    if hasattr(value, "numpy"):  # another framework's tensor (a tf.data element)
        return np.asarray(value.numpy())
    return np.asarray(value)


def as_column(array):
    """A scalar or a 1-D batch as a ``(batch, 1)`` column; other ranks as they are."""
    return array.reshape(-1, 1) if array.ndim < 2 else array


def is_adapted(preprocessor):
    """Whether a layer ``adapt`` fills holds its state (after ``adapt``, or
    from a saved config and weights); None where that cannot be seen."""
    if isinstance(preprocessor, Normalization):
        return preprocessor.built and int(ops.convert_to_numpy(preprocessor.count.value)) > 0
    if isinstance(preprocessor, IndexLookup):
        return len(preprocessor.get_vocabulary(include_special_tokens=False)) > 0
    if isinstance(preprocessor, TextVectorization):
        return preprocessor.vocabulary_size() > 0
    if isinstance(preprocessor, Discretization):
        return preprocessor.bin_boundaries is not None
    return None


def is_adaptable(preprocessor):
    """Keras 3's rule: a layer with ``adapt``, unless its state was given."""
    if isinstance(preprocessor, Normalization):
        return preprocessor.input_mean is None
    if isinstance(preprocessor, (IndexLookup, TextVectorization)):
        holder = getattr(preprocessor, "_lookup_layer", preprocessor)
        return not holder._has_input_vocabulary
    if isinstance(preprocessor, Discretization):
        return preprocessor.num_bins is not None  # fixed `bin_boundaries` cannot adapt
    return hasattr(preprocessor, "adapt")


def cardinality(name, preprocessor):
    """The number of indices a one-hot encoded feature's preprocessor yields."""
    if isinstance(preprocessor, IndexLookup):
        return preprocessor.vocabulary_size()
    if isinstance(preprocessor, CategoryEncoding):
        return preprocessor.num_tokens
    if isinstance(preprocessor, Discretization):
        if preprocessor.num_bins is not None:
            return preprocessor.num_bins
        return len(preprocessor.bin_boundaries) + 1
    if isinstance(preprocessor, (HashedCrossing, Hashing)):
        return preprocessor.num_bins
    raise ValueError(
        f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
        "and the dimensionality of its output space is not known, thus it cannot be one-hot "
        "encoded. Try using `output_mode='int'`."
    )


def adapt_columns(dataset):
    """``{feature name: [column batches]}`` of `dataset`: a dict of arrays or
    lists (the whole data set), or an iterable of such dicts (batches; a
    ``tf.data.Dataset`` of dicts, a ``PyDataset``, a list or generator;
    ``(x, y)`` batches use ``x``)."""
    if isinstance(dataset, dict):
        return {name: [as_column(to_array(value))] for name, value in dataset.items()}
    if isinstance(dataset, (str, bytes, np.ndarray)) or ops.is_tensor(dataset) or not (
            hasattr(dataset, "__iter__") or hasattr(dataset, "__getitem__")):
        raise ValueError(
            "`adapt()` can only be called on a dict of arrays/lists or an iterable of such "
            "dicts (batches, e.g. a tf.data.Dataset or a PyDataset). "
            f"Received instead: {dataset!r} (of type {type(dataset)})"
        )
    columns = {}
    for batch in iterate_batches(dataset):
        if not isinstance(batch, dict):
            raise ValueError(
                "`adapt()` expects each batch of the data set to be a dict of arrays, "
                f"keyed by feature name. Received a batch of type {type(batch)}: {batch!r}"
            )
        for name, value in batch.items():
            columns.setdefault(name, []).append(as_column(to_array(value)))
    return columns


def joined(batches):
    """One array of a feature's column `batches` (a layer's ``adapt`` reads it as
    one batch), or an iterator over them where their trailing shapes differ."""
    try:
        return np.concatenate(batches, axis=0)
    except ValueError:
        return iter(batches)
