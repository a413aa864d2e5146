"""A NumPy reference of the 20-step Dense+BatchNorm+Dense training run in
train_conformance.py: hand-written forward, backward, and Keras's SGD and
Adam update rules, in float64."""
import numpy as np

from snippets import train_conformance as tc


def _forward_backward(w, x, y, eps=1e-3):
    w1, gamma, beta, mm, mv, w2, b2 = w
    h1 = x @ w1
    mu, var = h1.mean(0), h1.var(0)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (h1 - mu) * inv
    bn = gamma * xhat + beta
    a = np.maximum(bn, 0)
    out = a @ w2 + b2
    dout = 2.0 * (out - y) / out.size
    dw2, db2 = a.T @ dout, dout.sum(0)
    dbn = (dout @ w2.T) * (bn > 0)
    dgamma, dbeta = (dbn * xhat).sum(0), dbn.sum(0)
    dxhat = dbn * gamma
    batch = len(x)
    dh1 = inv / batch * (batch * dxhat - dxhat.sum(0) - xhat * (dxhat * xhat).sum(0))
    grads = [x.T @ dh1, dgamma, dbeta, None, None, dw2, db2]
    return grads, mu, var


def reference(optimizer):
    """Final weights after 20 steps with "sgd" (lr 0.1) or "adam" (lr 0.01)."""
    w = [v.astype("float64") for v in tc.initial_weights()]
    x, y = (a.astype("float64") for a in tc.data())
    m = [np.zeros_like(v) for v in w]
    v2 = [np.zeros_like(v) for v in w]
    for step in range(tc.STEPS):
        xb = x[step * tc.BATCH:(step + 1) * tc.BATCH]
        yb = y[step * tc.BATCH:(step + 1) * tc.BATCH]
        grads, mu, var = _forward_backward(w, xb, yb)
        for i, g in enumerate(grads):
            if g is None:
                continue
            if optimizer == "sgd":
                w[i] = w[i] - 0.1 * g
            else:
                t = step + 1
                m[i] += (g - m[i]) * (1 - 0.9)
                v2[i] += (g * g - v2[i]) * (1 - 0.999)
                alpha = 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
                w[i] = w[i] - alpha * m[i] / (np.sqrt(v2[i]) + 1e-7)
        w[3] = w[3] * 0.99 + mu * 0.01
        w[4] = w[4] * 0.99 + var * 0.01
    return w
