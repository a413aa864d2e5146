"""``atomic_write_path`` for the savers; it lives in ``kfacade.utils.atomic`` so that
every floor (``plot_model`` among the utilities) writes files the same way."""
from kfacade.utils.atomic import atomic_write_path

__all__ = ["atomic_write_path"]
