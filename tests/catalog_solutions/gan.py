import numpy as np


def discriminator_loss(logits_real, logits_fake):
    return float(np.mean(np.logaddexp(0, -logits_real)) + np.mean(np.logaddexp(0, logits_fake)))


def discriminator_loss_grad(logits_real, logits_fake):
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    return -(1 - sigmoid(logits_real)) / len(logits_real), sigmoid(logits_fake) / len(logits_fake)
