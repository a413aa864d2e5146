"""`kfacade.preprocessing.text`: Keras 2's text preprocessing namespace.

Everything here exists only for Keras 2 programs (Keras 3 removed the
module) and lives in `kfacade.legacy.preprocessing.text`.
"""
from kfacade.legacy.preprocessing import text as _text
from kfacade.legacy.preprocessing.text import *  # noqa: F401,F403

__all__ = list(_text.__all__)
