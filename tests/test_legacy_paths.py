"""Keras 2's module paths (``keras.layers.recurrent``, ``keras.utils.np_utils``,
``keras.wrappers.scikit_learn``, ...) import the classes Keras 2 programs name."""
import importlib
import os
import subprocess
import sys

import numpy as np
import pytest

import kfacade as keras
from kfacade.legacy import module_paths

#: What Keras 2's examples import, path by path.
KERAS2_IMPORTS = {
    "kfacade.layers.core": ["Dense", "Dropout", "Activation", "Flatten", "Reshape", "Lambda",
                            "Permute", "RepeatVector", "Masking", "SpatialDropout1D"],
    "kfacade.layers.convolutional": ["Conv1D", "Conv2D", "Conv2DTranspose", "MaxPooling2D",
                                     "AveragePooling1D", "ZeroPadding2D", "UpSampling2D",
                                     "Cropping2D", "Convolution2D", "SeparableConv2D"],
    "kfacade.layers.recurrent": ["LSTM", "GRU", "SimpleRNN", "RNN", "LSTMCell", "StackedRNNCells"],
    "kfacade.layers.embeddings": ["Embedding"],
    "kfacade.layers.normalization": ["BatchNormalization"],
    "kfacade.layers.pooling": ["MaxPooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D"],
    "kfacade.layers.wrappers": ["TimeDistributed", "Bidirectional"],
    "kfacade.layers.advanced_activations": ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU"],
    "kfacade.layers.noise": ["GaussianNoise", "GaussianDropout", "AlphaDropout"],
    "kfacade.layers.merge": ["add", "concatenate", "dot", "multiply", "Add", "Concatenate", "Dot"],
    "kfacade.layers.convolutional_recurrent": ["ConvLSTM2D"],
    "kfacade.engine": ["Layer", "InputSpec", "Input", "Model"],
    "kfacade.engine.base_layer": ["Layer", "InputSpec"],
    "kfacade.engine.input_layer": ["Input", "InputLayer"],
    "kfacade.engine.training": ["Model"],
    "kfacade.engine.sequential": ["Sequential"],
    "kfacade.engine.network": ["Network"],
    "kfacade.engine.topology": ["Layer", "InputSpec"],
    "kfacade.utils.np_utils": ["to_categorical", "normalize"],
    "kfacade.utils.generic_utils": ["Progbar"],
    "kfacade.utils.data_utils": ["get_file", "Sequence"],
    "kfacade.utils.vis_utils": ["plot_model", "model_to_dot"],
    "kfacade.utils.layer_utils": ["print_summary", "count_params", "get_source_inputs"],
    "kfacade.objectives": ["categorical_crossentropy", "mean_squared_error"],
}

#: Keras 2 names of those paths that kfacade lacks; docs/compatibility.md says why.
KNOWN_MISSING = {
    "keras.layers.convolutional_recurrent": {"ConvRNN2D"},
    "keras.utils.generic_utils": {"CustomObjectScope", "custom_object_scope", "get_custom_objects",
                                  "serialize_keras_object", "deserialize_keras_object"},
    "keras.utils.data_utils": {"OrderedEnqueuer", "GeneratorEnqueuer"},
}


@pytest.mark.parametrize("path", sorted(KERAS2_IMPORTS))
def test_keras2_path_imports_its_names(path):
    module = importlib.import_module(path)
    for name in KERAS2_IMPORTS[path]:
        value = getattr(module, name)
        assert value is not None
        exec(f"from {path} import {name}", {})  # the statement a Keras 2 program writes


def test_names_are_kfacade_classes():
    from kfacade.layers.convolutional import MaxPooling2D
    from kfacade.layers.core import Dropout
    from kfacade.layers.merge import add
    from kfacade.layers.recurrent import LSTM
    from kfacade.engine.network import Network

    assert LSTM is keras.layers.LSTM and Dropout is keras.layers.Dropout
    assert MaxPooling2D is keras.layers.MaxPooling2D and add is keras.layers.add
    assert Network is keras.models.Functional
    assert keras.layers.recurrent.GRU is keras.layers.GRU  # attribute access as well
    assert keras.objectives is keras.losses


def test_merge_helpers_build_a_model(rng):
    from kfacade.layers.merge import add, concatenate, dot
    from kfacade.layers.core import Dense

    a, b = keras.Input((3,)), keras.Input((3,))
    out = concatenate([add([a, b]), dot([a, b], axes=1)])
    model = keras.Model([a, b], Dense(2)(out))
    x, y = rng.standard_normal((2, 4, 3)).astype("float32")
    assert model.predict([x, y], verbose=0).shape == (4, 2)


def test_np_utils_helpers():
    from kfacade.utils.np_utils import normalize, to_categorical

    assert to_categorical([0, 2], 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert np.allclose(np.linalg.norm(normalize(np.array([[3.0, 4.0]])), axis=-1), 1.0)


def test_missing_names_are_the_known_ones():
    missing = module_paths.unsupported()
    for path, names in missing.items():
        assert set(names) <= KNOWN_MISSING.get(path, set()), (path, names)
    import kfacade.utils.generic_utils as generic_utils

    assert "Progbar" in generic_utils.__all__
    for name in missing.get("keras.utils.generic_utils", []):
        with pytest.raises(AttributeError, match="does not provide Keras 2's"):
            getattr(generic_utils, name)


def test_install_is_idempotent():
    from kfacade.layers import recurrent

    finders = len(sys.meta_path)
    module_paths.install()
    assert len(sys.meta_path) == finders
    assert keras.layers.recurrent.LSTM is recurrent.LSTM


def test_importing_kfacade_does_not_import_sklearn():
    root = os.environ.get("KFACADE_ROOT") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = ("import sys, kfacade, kfacade.wrappers; "
            "assert 'sklearn' not in sys.modules, 'sklearn imported'; "
            "from kfacade.wrappers.scikit_learn import KerasClassifier; "
            "assert 'sklearn' in sys.modules; "
            "import kfacade.legacy.scikit_learn as impl; "
            "assert KerasClassifier is impl.KerasClassifier; "
            "assert impl.__spec__.name == 'kfacade.legacy.scikit_learn'; print('ok')")
    env = dict(os.environ, KFACADE_ROOT=root)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]
