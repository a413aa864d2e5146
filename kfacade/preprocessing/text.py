"""`kfacade.preprocessing.text`: Keras 2's text preprocessing namespace.

Everything here exists only for Keras 2 programs (Keras 3 removed the
module) and lives in `kfacade.legacy.preprocessing.text`.
"""
from kfacade.legacy.preprocessing.text import Tokenizer
from kfacade.legacy.preprocessing.text import hashing_trick
from kfacade.legacy.preprocessing.text import one_hot
from kfacade.legacy.preprocessing.text import text_to_word_sequence
from kfacade.legacy.preprocessing.text import tokenizer_from_json

__all__ = [
    "Tokenizer",
    "hashing_trick",
    "one_hot",
    "text_to_word_sequence",
    "tokenizer_from_json",
]
