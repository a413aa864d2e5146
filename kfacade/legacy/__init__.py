"""What exists only for Keras 2 programs, on the top floor (as Keras 3's ``keras/src/legacy``).

Nothing below the public namespaces imports this package. Its modules are
served to users from the old paths: ``kfacade.backend`` as ``K`` (first use
loads ``legacy/backend.py``), ``kfacade.engine.topology`` (an alias of
``legacy/topology.py`` that ``kfacade/__init__.py`` installs) and the
``Model.*_generator`` methods (``legacy/training.py``, added to the trainer by
``kfacade/__init__.py``).
"""
