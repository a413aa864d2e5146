"""Audio layers: STFTSpectrogram (trainable STFT as convolutions) and
MelSpectrogram (stft, mel filter bank, decibels)."""
from kfacade.layers.audio.mel_spectrogram import MelSpectrogram, linear_to_mel_weight_matrix
from kfacade.layers.audio.stft_spectrogram import STFTSpectrogram

__all__ = ["MelSpectrogram", "STFTSpectrogram", "linear_to_mel_weight_matrix"]
