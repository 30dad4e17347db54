import numpy as np


def bind(a, b):
    return np.real(np.fft.ifft(np.fft.fft(a) * np.fft.fft(b)))


def unbind(c, a):
    return np.real(np.fft.ifft(np.conj(np.fft.fft(a)) * np.fft.fft(c)))


def cosine_similarity(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
