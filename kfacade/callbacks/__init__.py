"""Callbacks: objects that ``fit``, ``evaluate`` and ``predict`` call at each stage.

Example:
    >>> callbacks = [kfacade.callbacks.EarlyStopping(patience=2),
    ...              kfacade.callbacks.ModelCheckpoint("best.weights.h5", save_best_only=True)]
    >>> model.fit(x, y, validation_split=0.2, epochs=20, callbacks=callbacks)
"""
from kfacade.callbacks.backup_and_restore import BackupAndRestore
from kfacade.callbacks.callback import Callback
from kfacade.callbacks.callback_list import CallbackList
from kfacade.callbacks.csv_logger import CSVLogger
from kfacade.callbacks.early_stopping import EarlyStopping
from kfacade.callbacks.history import History
from kfacade.callbacks.lambda_callback import LambdaCallback
from kfacade.callbacks.learning_rate_scheduler import LearningRateScheduler
from kfacade.callbacks.model_checkpoint import ModelCheckpoint
from kfacade.callbacks.progbar_logger import ProgbarLogger
from kfacade.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kfacade.callbacks.remote_monitor import RemoteMonitor
from kfacade.callbacks.swap_ema_weights import SwapEMAWeights
from kfacade.callbacks.tensorboard import TensorBoard
from kfacade.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "Callback",
    "CallbackList",
    "CSVLogger",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "ReduceLROnPlateau",
    "RemoteMonitor",
    "SwapEMAWeights",
    "TensorBoard",
    "TerminateOnNaN",
]
