"""``keras.utils.FeatureSpace``: structured data (a dict of columns) preprocessed
and encoded by preprocessing layers, as Keras 3.

Each feature is preprocessed by one layer (Normalization, Rescaling,
Discretization, StringLookup, IntegerLookup, Hashing, or any layer given
with ``FeatureSpace.feature``); crosses hash the preprocessed features with
HashedCrossing; "one_hot" outputs go through CategoryEncoding. The string
and vocabulary layers run on the host (see ``host_layer``), so a
FeatureSpace is called eagerly, on data, before ``fit`` (or in a
``PyDataset``), on every backend; its output is the backend's tensors.
"""
from kfacade import ops
from kfacade.engine import object_registry
from kfacade.engine.keras_tensor import KerasTensor
from kfacade.engine.naming import unique_name
from kfacade.layers.input_layer import Input
from kfacade.layers.layer import Layer
from kfacade.layers.preprocessing.category_encoding import CategoryEncoding
from kfacade.layers.preprocessing.discretization import Discretization
from kfacade.layers.preprocessing.feature_space_data import (
    adapt_columns, as_column, cardinality, is_adaptable, is_adapted, joined,
    to_array,
)
from kfacade.layers.preprocessing.feature_space_specs import (
    Cross, Feature, TFDIdentity, _serialized, spec_from_config,
)
from kfacade.layers.preprocessing.hashed_crossing import HashedCrossing
from kfacade.layers.preprocessing.hashing import Hashing
from kfacade.layers.preprocessing.normalization import Normalization
from kfacade.layers.preprocessing.rescaling import Rescaling
from kfacade.layers.preprocessing.string_lookup import IntegerLookup, StringLookup

#: The string shortcuts of ``features`` (each with the default arguments).
FEATURE_TYPES = ("float", "float_rescaled", "float_normalized", "float_discretized",
                 "integer_categorical", "string_categorical", "integer_hashed",
                 "string_hashed")


class FeatureSpace(Layer):
    """One-stop utility for preprocessing and encoding structured data.

    Args:
        features: a dict mapping each feature name to its type: a string
            shortcut (one of ``FEATURE_TYPES``, default arguments) or a
            ``FeatureSpace.<type>(...)`` specification.
        output_mode: "concat" (default; one float vector per sample) or
            "dict" (each encoded feature and cross under its name).
        crosses: features to cross, e.g. ``[("f1", "f2")]`` or
            ``[FeatureSpace.cross(("f1", "f2"), crossing_dim=32)]``.
        crossing_dim: hash bins of a cross given as a tuple (default 32).
        hashing_dim: bins of the "integer_hashed"/"string_hashed" shortcuts.
        num_discretization_bins: bins of the "float_discretized" shortcut.
        name: the layer's name.

    Feature types: ``float(name=None)``, ``float_rescaled(scale=1.0,
    offset=0.0)``, ``float_normalized()``, ``float_discretized(num_bins,
    bin_boundaries=None, output_mode="one_hot")``,
    ``integer_categorical(max_tokens=None, num_oov_indices=1,
    output_mode="one_hot")``, ``string_categorical(...)`` (the same),
    ``integer_hashed(num_bins, output_mode="one_hot")``,
    ``string_hashed(num_bins, ...)``; ``feature(dtype, preprocessor,
    output_mode)`` for any preprocessing layer.

    Call ``adapt(data)`` first (a dict of arrays, or an iterable of dict
    batches), then call the FeatureSpace on a dict of arrays, batched or one
    sample. In "concat" mode the features come in sorted name order, then
    the crosses in sorted name order. ``get_inputs()`` and
    ``get_encoded_features()`` give the symbolic inputs and encoding.
    The preprocessors are in ``.preprocessors``, the crossing layers in
    ``.crossers``.

    Example:
        >>> space = FeatureSpace({"age": "float_normalized", "city": "string_categorical",
        ...                       "rooms": "integer_categorical"},
        ...                      crosses=[("city", "rooms")], crossing_dim=8)
        >>> space.adapt({"age": [20.0, 40.0], "city": ["Paris", "Oslo"], "rooms": [1, 2]})
        >>> space({"age": [30.0], "city": ["Oslo"], "rooms": [2]}).shape  # (1, 1 + 3 + 3 + 8)
    """

    #: Keras 3's module of this class, written in serialized configs (``keras.utils``).
    keras_module = "keras.utils"

    # ------------------------------------------------------------ feature types
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or unique_name("float")
        return Feature("float32", TFDIdentity(dtype="float32", name=f"{name}_preprocessor"),
                       "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or unique_name("float_rescaled")
        return Feature("float32", Rescaling(scale=scale, offset=offset,
                                            name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or unique_name("float_normalized")
        return Feature("float32", Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or unique_name("float_discretized")
        preprocessor = Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                      name=f"{name}_preprocessor")
        return Feature("float32", preprocessor, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        name = name or unique_name("integer_categorical")
        preprocessor = IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                     num_oov_indices=num_oov_indices)
        return Feature("int32", preprocessor, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        name = name or unique_name("string_categorical")
        preprocessor = StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                    num_oov_indices=num_oov_indices)
        return Feature("string", preprocessor, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or unique_name("string_hashed")
        return Feature("string", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or unique_name("integer_hashed")
        return Feature("int32", Hashing(name=f"{name}_preprocessor", num_bins=num_bins),
                       output_mode)

    # ------------------------------------------------------------ construction
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of {'dict', 'concat'}. "
                f"Received: output_mode={output_mode}"
            )
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {key: self._standardize_feature(key, value)
                         for key, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or ()]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.preprocessors = {key: feature.preprocessor for key, feature in self.features.items()}
        for preprocessor in self.preprocessors.values():
            # Its weights exist before a load assigns them (FeatureSpace feeds columns).
            if (isinstance(preprocessor, Normalization) and not preprocessor.built
                    and preprocessor.input_mean is None and preprocessor.axis == (-1,)):
                preprocessor.build((None, 1))
        self.inputs = {key: self._feature_to_input(key, feature)
                       for key, feature in self.features.items()}
        self.crossers = {cross.name: HashedCrossing(cross.crossing_dim, name=cross.name)
                         for cross in self.crosses}
        self.one_hot_encoders = {}
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False
        self.built = True

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return spec_from_config(feature, Feature)
        shortcuts = {
            "float": lambda: self.float(name=name),
            "float_normalized": lambda: self.float_normalized(name=name),
            "float_rescaled": lambda: self.float_rescaled(name=name),
            "float_discretized": lambda: self.float_discretized(
                self.num_discretization_bins, name=name),
            "integer_categorical": lambda: self.integer_categorical(name=name),
            "string_categorical": lambda: self.string_categorical(name=name),
            "integer_hashed": lambda: self.integer_hashed(self.hashing_dim, name=name),
            "string_hashed": lambda: self.string_hashed(self.hashing_dim, name=name),
        }
        if not isinstance(feature, str) or feature not in shortcuts:
            raise ValueError(
                f"Invalid feature type: {feature}. Expected one of {list(FEATURE_TYPES)} or a "
                f"`FeatureSpace.<type>(...)` feature (feature '{name}')."
            )
        return shortcuts[feature]()

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = spec_from_config(cross, Cross)
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError(
                    "When specifying `crosses`, the argument `crossing_dim` (dimensionality of "
                    "the crossing space) should be specified as well."
                )
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [key for key in cross.feature_names if key not in self.features]
        if unknown:
            raise ValueError(
                "All features referenced in the `crosses` argument should be present in the "
                f"`features` dict. Received unknown features: {unknown} in the cross "
                f"{cross.feature_names}"
            )
        return cross

    def _feature_to_input(self, name, feature):
        if feature.dtype == "string":  # no dtype policy of strings: the tensor alone
            return Input(shape=(1,), name=name,
                         tensor=KerasTensor((None, 1), "string", name=name))
        return Input(shape=(1,), dtype=feature.dtype, name=name)

    # ------------------------------------------------------------ adapt
    def adapt(self, dataset):
        """Learns each preprocessor's state (vocabularies, statistics, bins).

        Args:
            dataset: a dict of arrays or lists (the whole data set), or an
                iterable of such dicts (batches: a ``tf.data.Dataset`` of
                dicts, a ``PyDataset``, a list or a generator), read once.

        Raises:
            ValueError: `dataset` is neither, or lacks a feature to adapt.
        """
        columns = adapt_columns(dataset)
        for name in self._adaptable_names():
            if name not in columns:
                raise ValueError(
                    f"`adapt()` needs the feature '{name}', which the data set lacks. "
                    f"Received features: {sorted(columns)}"
                )
            self.preprocessors[name].adapt(joined(columns[name]))
        self._is_adapted = True
        self.get_encoded_features()  # finishes building the encoders
        self._sublayers_built = True

    def _adaptable_names(self):
        return [key for key, layer in self.preprocessors.items() if is_adaptable(layer)]

    def _check_if_adapted(self):
        if self._is_adapted:
            return
        if all(is_adapted(self.preprocessors[key]) for key in self._adaptable_names()):
            self._is_adapted = True  # nothing to adapt, or restored from a saved file
            return
        raise ValueError(
            "You need to call `.adapt(dataset)` on the FeatureSpace before you can start "
            "using it."
        )

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True

    # ------------------------------------------------------------ the encoding
    def get_inputs(self):
        """``{feature name: Input}``: the symbolic inputs, shape ``(None, 1)``."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The symbolic encoding of ``get_inputs()`` (a tensor, or a dict in "dict" mode)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            self.encoded_features = self._merge_features(
                preprocessed, self._cross_features(preprocessed))
        return self.encoded_features

    def _preprocess_features(self, features):
        return {key: self.preprocessors[key](features[key]) for key in self.features}

    def _cross_features(self, features):
        return {cross.name: self.crossers[cross.name]([features[key]
                                                       for key in cross.feature_names])
                for cross in self.crosses}

    def _ordered(self, preprocessed, crossed):
        """(name, value, spec) in output order: features by name, then crosses by name."""
        return ([(key, preprocessed[key], self.features[key]) for key in sorted(preprocessed)]
                + [(key, crossed[key], self.crosses_by_name[key]) for key in sorted(crossed)])

    def _merge_features(self, preprocessed, crossed):
        encoded = {}
        for key, value, spec in self._ordered(preprocessed, crossed):
            if not self._sublayers_built and spec.output_mode == "one_hot":
                self._make_encoder(key, value)
            encoder = self.one_hot_encoders.get(key)
            encoded[key] = encoder(value) if encoder is not None else value
            if self.output_mode == "concat" and not self._sublayers_built:
                dtype = str(getattr(encoded[key], "dtype", ""))
                if "int" in dtype or dtype == "string":
                    raise ValueError(
                        f"Cannot concatenate features because feature '{key}' has not been "
                        f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`."
                    )
        if self.output_mode == "dict":
            return encoded
        return ops.concatenate(list(encoded.values()), axis=-1)

    def _make_encoder(self, key, value):
        preprocessor = self.preprocessors.get(key) or self.crossers.get(key)
        dtype = str(value.dtype)
        if "int" not in dtype:
            raise ValueError(
                f"Feature '{key}' has `output_mode='one_hot'`. Thus its preprocessor should "
                f"return an integer dtype. Instead it returns a {dtype} dtype."
            )
        self.one_hot_encoders[key] = CategoryEncoding(
            num_tokens=cardinality(key, preprocessor), output_mode="multi_hot")

    # ------------------------------------------------------------ calls
    def __call__(self, data):
        self._check_if_built()
        if not isinstance(data, dict):
            raise ValueError(
                "A FeatureSpace can only be called with a dict. "
                f"Received: data={data} (of type {type(data)})"
            )
        missing = [key for key in self.features if key not in data]
        unknown = [key for key in data if key not in self.features]
        if missing or unknown:
            raise ValueError(
                f"The data passed to FeatureSpace '{self.name}' must have exactly its "
                f"features as keys {list(self.features)}. Missing: {missing}; unknown: {unknown}"
            )
        arrays = {key: to_array(value) for key, value in data.items()}
        single = any(array.ndim == 0 for array in arrays.values())
        columns = {key: as_column(array) for key, array in arrays.items()}
        preprocessed = self._preprocess_features(columns)
        merged = self._merge_features(preprocessed, self._cross_features(preprocessed))
        if not single:
            return merged
        if self.output_mode == "concat":
            return ops.squeeze(merged, axis=0)
        return {key: ops.squeeze(x, axis=0) if len(ops.shape(x)) == 2 and ops.shape(x)[0] == 1
                else x for key, x in merged.items()}

    # ------------------------------------------------------------ saving
    def get_config(self):
        return {
            "features": {key: _serialized(feature) for key, feature in self.features.items()},
            "output_mode": self.output_mode,
            "crosses": [_serialized(cross) for cross in self.crosses],
            "crossing_dim": self.crossing_dim,
            "hashing_dim": self.hashing_dim,
            "num_discretization_bins": self.num_discretization_bins,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        """Each preprocessor's input shape (a column), which Keras 3 reads to
        build them before it loads their weights."""
        return {key: {"input_shape": [None, 1]} for key in self.features}

    def build_from_config(self, config):
        for key in config:
            preprocessor = self.preprocessors[key]
            if isinstance(preprocessor, Normalization) and not preprocessor.built:
                preprocessor.build(tuple(config[key].get("input_shape") or (None, 1)))
        self._is_adapted = True

    def save(self, filepath):
        """Saves this FeatureSpace to a ``.keras`` file, with its adapted state;
        reload it with ``kfacade.saving.load_model(filepath)``.

        Example:
            >>> feature_space.save("featurespace.keras")
            >>> reloaded = kfacade.saving.load_model("featurespace.keras")
        """
        save_model = object_registry.get("saving", "save_model")
        if save_model is None:
            raise RuntimeError("FeatureSpace.save needs kfacade.saving: `import kfacade` first.")
        save_model(self, filepath)


# Found by name when a config is read (`load_model`, `layers.deserialize`).
object_registry.register("layers", {"FeatureSpace": FeatureSpace, "TFDIdentity": TFDIdentity})
