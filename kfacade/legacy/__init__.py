"""What exists only for Keras 2 programs, on the top floor (as Keras 3's ``keras/src/legacy``).

Nothing below the public namespaces imports this package. Its modules are
served to users from the old paths: ``kfacade.backend`` as ``K`` (first use
loads ``legacy/backend.py``), ``kfacade.engine.topology`` (an alias of
``legacy/topology.py`` that ``kfacade/__init__.py`` installs) and the
``Model.*_generator`` methods (``legacy/training.py``, added to the trainer by
``kfacade/__init__.py``), and Keras 2's module paths (``keras.layers.recurrent``,
``keras.utils.np_utils``, ``keras.wrappers.scikit_learn``: ``legacy/module_paths.py``,
whose ``install()`` ``kfacade/__init__.py`` calls last).
"""
