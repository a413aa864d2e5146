"""`keras.utils`: data sets of batches, label and sequence helpers, image files, file
downloads, the progress bar, model plots, the custom-object registry, and
FeatureSpace (structured data through the preprocessing layers).

The `*_dataset_from_*` functions and `split_dataset` return NumPy data (a
`PyDataset` of batches) where Keras 3 returns `tf.data.Dataset`s; see
`docs/compatibility.md`.
"""
import gc as _gc

from kfacade.backend.dtypes import standardize_dtype
from kfacade.engine import call_context as _call_context
from kfacade.engine.object_registry import (CustomObjectScope, get_custom_objects,
                                            get_registered_name, get_registered_object,
                                            register_keras_serializable)
from kfacade.layers import layer as _layer
from kfacade.layers.preprocessing.feature_space import FeatureSpace
from kfacade.saving.serialization_lib import deserialize_keras_object, serialize_keras_object
from kfacade.utils.audio_dataset import audio_dataset_from_directory
from kfacade.utils import bounding_boxes  # keras.utils.bounding_boxes
from kfacade.utils.config import Config
from kfacade.utils.dataset_utils import (pack_x_y_sample_weight, split_dataset,
                                         unpack_x_y_sample_weight)
from kfacade.utils.directory_datasets import (image_dataset_from_directory,
                                              text_dataset_from_directory)
from kfacade.utils.file_utils import get_file
from kfacade.utils.image_utils import array_to_img
from kfacade.utils.image_utils import img_to_array
from kfacade.utils.image_utils import load_img
from kfacade.utils.image_utils import save_img
from kfacade.utils import legacy  # the Keras 2 serialization namespace (kfacade.utils.legacy)
from kfacade.utils.io_utils import (disable_interactive_logging, enable_interactive_logging,
                                    is_interactive_logging_enabled)
from kfacade.utils.model_utils import get_source_inputs, is_keras_tensor
from kfacade.utils.model_visualization import model_to_dot, plot_model
from kfacade.utils.numerical_utils import normalize
from kfacade.utils.numerical_utils import to_categorical
from kfacade.utils.progbar import Progbar
from kfacade.utils.sequence import PyDataset
from kfacade.utils.sequence import Sequence
from kfacade.utils.sequence_utils import pad_sequences
from kfacade.utils.random_seed import set_random_seed
from kfacade.utils.timeseries_dataset import timeseries_dataset_from_array

custom_object_scope = CustomObjectScope


def clear_session(free_memory=True):
    """Resets kfacade's global state: layer-name counters and the learning phase.

    Args:
        free_memory: also run Python's garbage collector, so that models no
            longer referenced release their framework memory.
    """
    _layer.clear_session()
    _call_context.set_learning_phase(None)
    if free_memory:
        _gc.collect()


def __getattr__(name):
    """Keras 2's ``keras.utils.multi_gpu_model``, loaded on first use (it needs
    the models, which import this package)."""
    if name == "multi_gpu_model":
        from kfacade.legacy.multi_gpu import multi_gpu_model

        return multi_gpu_model
    raise AttributeError(f"module 'kfacade.utils' has no attribute {name!r}")
