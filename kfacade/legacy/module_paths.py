"""Keras 2's module paths, served from kfacade (``install()``, called by ``kfacade/__init__.py``).

Keras 2 programs import classes from the modules that defined them:
``from keras.layers.recurrent import LSTM``, ``from keras.layers.core import
Dense, Dropout``, ``from keras.utils.np_utils import to_categorical``,
``from keras.wrappers.scikit_learn import KerasClassifier``. kfacade's
modules are organised as Keras 3's, so ``install()`` makes each old path
hold its Keras 2 names:

- a path that kfacade also has (``kfacade.layers.core``,
  ``kfacade.layers.convolutional``) receives the Keras 2 names it lacks as
  attributes (``kfacade.layers.convolutional.MaxPooling2D``, as Keras 2's
  convolutional module re-exported its pooling layers);
- any other path becomes a module registered in ``sys.modules`` and set on
  its parent (``kfacade.layers.recurrent``).

The utilities' paths resolve each name on first use, so a name that
``kfacade.utils`` gains later is served without a change here. Keras 2
names that kfacade does not have are left out (``unsupported()`` lists
them); ``kfacade.wrappers.scikit_learn`` is imported only when asked for,
so that importing kfacade never imports scikit-learn.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types

#: Keras 2's (2.0 to 2.2) layer modules, under ``kfacade.layers``: the names each held.
LAYER_MODULES = {
    "core": (
        "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector",
        "Lambda", "ActivityRegularization", "Masking",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    ),
    "convolutional": (
        "Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "Conv3DTranspose",
        "SeparableConv1D", "SeparableConv2D", "DepthwiseConv2D",
        "Convolution1D", "Convolution2D", "Convolution3D", "Deconvolution2D", "Deconvolution3D",
        "SeparableConvolution1D", "SeparableConvolution2D",
        "Cropping1D", "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
        "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
        # Keras 2 kept its pooling layers importable from here.
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
        "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    ),
    "pooling": (
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
        "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
        "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
        "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    ),
    "recurrent": (
        "RNN", "SimpleRNN", "GRU", "LSTM", "SimpleRNNCell", "GRUCell", "LSTMCell",
        "StackedRNNCells",
    ),
    "embeddings": ("Embedding",),
    "normalization": ("BatchNormalization",),
    "wrappers": ("Wrapper", "TimeDistributed", "Bidirectional"),
    "advanced_activations": ("LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"),
    "noise": ("GaussianNoise", "GaussianDropout", "AlphaDropout"),
    "merge": (
        "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
        "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    ),
    "convolutional_recurrent": ("ConvRNN2D", "ConvLSTM2D", "ConvLSTM2DCell"),
    "local": ("LocallyConnected1D", "LocallyConnected2D"),
    "cudnn_recurrent": ("CuDNNGRU", "CuDNNLSTM"),
}

#: Keras 2's ``keras.engine`` modules (2.2): the names each held, and where kfacade has them.
ENGINE_MODULES = {
    "base_layer": {"Layer": "kfacade.layers", "InputSpec": "kfacade.layers"},
    "input_layer": {"Input": "kfacade.layers", "InputLayer": "kfacade.layers"},
    "training": {"Model": "kfacade.models"},
    "network": {"Network": "kfacade.models:Functional"},
    "sequential": {"Sequential": "kfacade.models"},
}

#: The names Keras 2 programs import from ``keras.engine`` itself.
ENGINE_NAMES = {
    "Layer": "kfacade.layers", "InputSpec": "kfacade.layers", "Input": "kfacade.layers",
    "InputLayer": "kfacade.layers", "Model": "kfacade.models",
}

#: Keras 2's ``keras.utils`` modules: each name and where kfacade has it,
#: looked up on first use (the first source that has it wins).
UTILS_MODULES = {
    "np_utils": {
        "to_categorical": ("kfacade.utils",),
        "normalize": ("kfacade.utils",),
    },
    "generic_utils": {
        "Progbar": ("kfacade.utils", "kfacade.utils.progbar"),
        "CustomObjectScope": ("kfacade.utils", "kfacade.saving"),
        "custom_object_scope": ("kfacade.utils", "kfacade.saving"),
        "get_custom_objects": ("kfacade.utils", "kfacade.saving"),
        "serialize_keras_object": ("kfacade.utils", "kfacade.saving"),
        "deserialize_keras_object": ("kfacade.utils", "kfacade.saving"),
    },
    "data_utils": {
        "get_file": ("kfacade.utils",),
        "Sequence": ("kfacade.utils",),
        "OrderedEnqueuer": ("kfacade.utils",),
        "GeneratorEnqueuer": ("kfacade.utils",),
    },
    "vis_utils": {
        "plot_model": ("kfacade.utils",),
        "model_to_dot": ("kfacade.utils",),
    },
    "layer_utils": {
        "print_summary": ("kfacade.utils.summary_utils",),
        "count_params": ("kfacade.utils.summary_utils",),
        "get_source_inputs": ("kfacade.utils",),
    },
}

#: Top-level modules of Keras 2 that kfacade serves under another name.
TOP_LEVEL_ALIASES = {"objectives": "kfacade.losses"}

#: Loaded on first import only: ``{alias: module}``.
LAZY_MODULES = {"kfacade.wrappers.scikit_learn": "kfacade.legacy.scikit_learn"}


def _resolve(source):
    """The object named by ``"module"`` + attribute, or ``"module:attribute"``."""
    module_name, _, attribute = source.partition(":")
    return module_name, attribute


def _lookup(name, sources):
    for source in sources:
        module_name, attribute = _resolve(source)
        module = importlib.import_module(module_name)
        value = getattr(module, attribute or name, None)
        if value is not None:
            return value
    return None


def _new_module(path, doc, is_package=False):
    module = types.ModuleType(path, doc)
    module.__package__ = path if is_package else path.rpartition(".")[0]
    module.__spec__ = importlib.machinery.ModuleSpec(path, None, is_package=is_package)
    if is_package:
        module.__path__ = []  # its submodules come from _AliasFinder
    return module


def _register(path, module):
    sys.modules[path] = module
    parent_path, _, child = path.rpartition(".")
    setattr(sys.modules[parent_path], child, module)


def _lazy_module(path, names, doc):
    """A module whose attributes `names` are looked up in their sources on first use."""
    module = _new_module(path, doc)

    def __getattr__(name):
        if name == "__all__":
            return [n for n in names if _lookup(n, names[n]) is not None]
        if name in names:
            value = _lookup(name, names[name])
            if value is not None:
                return value
            raise AttributeError(
                f"module {path!r} has no attribute {name!r}: kfacade does not provide Keras 2's "
                f"{path.replace('kfacade', 'keras', 1)}.{name} (see docs/compatibility.md)."
            )
        raise AttributeError(f"module {path!r} has no attribute {name!r}")

    module.__getattr__ = __getattr__
    module.__dir__ = lambda: sorted(names)
    return module


def _install_layer_modules():
    layers = importlib.import_module("kfacade.layers")
    for child, names in LAYER_MODULES.items():
        path = f"kfacade.layers.{child}"
        present = {n: getattr(layers, n) for n in names if hasattr(layers, n)}
        if importlib.util.find_spec(path) is not None:
            module = importlib.import_module(path)  # a kfacade package of that name
            for name, value in present.items():
                if not hasattr(module, name):
                    setattr(module, name, value)
            continue
        if not present:
            continue
        module = _new_module(path, f"Keras 2's ``keras.layers.{child}`` path.")
        module.__dict__.update(present)
        module.__all__ = sorted(present)
        _register(path, module)


def _install_engine_modules():
    engine = importlib.import_module("kfacade.engine")
    for name, source in ENGINE_NAMES.items():
        if not hasattr(engine, name):
            setattr(engine, name, _lookup(name, (source,)))
    for child, names in ENGINE_MODULES.items():
        path = f"kfacade.engine.{child}"
        if path in sys.modules or importlib.util.find_spec(path) is not None:
            continue  # never shadow a module of kfacade's own
        module = _new_module(path, f"Keras 2's ``keras.engine.{child}`` path.")
        for name, source in names.items():
            module.__dict__[name] = _lookup(name, (source,))
        module.__all__ = sorted(names)
        _register(path, module)


def _install_utils_modules():
    for child, names in UTILS_MODULES.items():
        path = f"kfacade.utils.{child}"
        if path in sys.modules or importlib.util.find_spec(path) is not None:
            continue  # never shadow a module of kfacade's own
        # A path none of whose names kfacade has yet is left out (vis_utils
        # until plot_model exists), so that importing it fails plainly.
        if any(_lookup(name, sources) is not None for name, sources in names.items()):
            _register(path, _lazy_module(path, names, f"Keras 2's ``keras.utils.{child}`` path."))


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the modules of ``LAZY_MODULES`` under their Keras 2 path on first import."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname in LAZY_MODULES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(LAZY_MODULES[spec.name])
        self._own_spec = module.__spec__
        return module

    def exec_module(self, module):
        # The import system set the alias's spec on the module; it keeps its own.
        module.__spec__ = self._own_spec


def _install_top_level():
    for child, target in TOP_LEVEL_ALIASES.items():
        _register(f"kfacade.{child}", importlib.import_module(target))
    if "kfacade.wrappers" in sys.modules:
        return
    wrappers = _new_module("kfacade.wrappers", "Keras 2's ``keras.wrappers`` (scikit_learn).",
                           is_package=True)

    def __getattr__(name):
        if name == "scikit_learn":
            return importlib.import_module("kfacade.wrappers.scikit_learn")
        raise AttributeError(f"module 'kfacade.wrappers' has no attribute {name!r}")

    wrappers.__getattr__ = __getattr__
    _register("kfacade.wrappers", wrappers)
    if not any(isinstance(finder, _AliasFinder) for finder in sys.meta_path):
        sys.meta_path.append(_AliasFinder())


def install():
    """Registers Keras 2's module paths under ``kfacade`` (idempotent)."""
    _install_layer_modules()
    _install_engine_modules()
    _install_utils_modules()
    _install_top_level()


def unsupported():
    """``{Keras 2 path: [names kfacade lacks]}`` among the paths above."""
    layers = importlib.import_module("kfacade.layers")
    missing = {}
    for child, names in LAYER_MODULES.items():
        lacking = [n for n in names if not hasattr(layers, n)]
        if lacking:
            missing[f"keras.layers.{child}"] = lacking
    for child, names in UTILS_MODULES.items():
        lacking = [n for n in names if _lookup(n, names[n]) is None]
        if lacking:
            missing[f"keras.utils.{child}"] = lacking
    return missing
