"""Utilities: data sets of batches, label helpers, image files, file downloads."""
from kfacade.utils.file_utils import get_file
from kfacade.utils.image_utils import array_to_img
from kfacade.utils.image_utils import img_to_array
from kfacade.utils.image_utils import load_img
from kfacade.utils.numerical_utils import normalize
from kfacade.utils.numerical_utils import to_categorical
from kfacade.utils.sequence import PyDataset
from kfacade.utils.sequence import Sequence
from kfacade.utils.random_seed import set_random_seed


def __getattr__(name):
    """Keras 2's ``keras.utils.multi_gpu_model``, loaded on first use (it needs
    the models, which import this package)."""
    if name == "multi_gpu_model":
        from kfacade.legacy.multi_gpu import multi_gpu_model

        return multi_gpu_model
    raise AttributeError(f"module 'kfacade.utils' has no attribute {name!r}")
