"""Utilities: data sets of batches, label helpers, file downloads."""
from kfacade.utils.file_utils import get_file
from kfacade.utils.numerical_utils import normalize
from kfacade.utils.numerical_utils import to_categorical
from kfacade.utils.sequence import PyDataset
from kfacade.utils.sequence import Sequence
from kfacade.utils.random_seed import set_random_seed
