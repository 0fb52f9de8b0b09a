"""A small neural network trained by gradient descent, with the gradient of the loss
with respect to all its weights from dualdiff, checked against hand-written
backpropagation with dualdiff.verify.check_grad.

The network: 2 inputs -> 8 sigmoid units -> 1 logit, on an XOR-like data set (four
Gaussian blobs, opposite corners share a class), loss = mean binary cross-entropy.
The model is ordinary numpy code (X @ W, np.exp, np.logaddexp, np.mean, slicing and
reshape of the flat weight vector); dualdiff runs it on dual numbers.

    python examples/neural_network.py        # writes examples/output/neural_network.png
"""

import os
from pathlib import Path

import numpy as np

import dualdiff as dd
from dualdiff.verify import check_grad

OUT = Path(os.environ.get("DUALDIFF_EXAMPLES_OUTPUT", Path(__file__).resolve().parent / "output"))
QUICK = os.environ.get("DUALDIFF_EXAMPLES_QUICK") == "1"

HIDDEN = 8
N_WEIGHTS = 2 * HIDDEN + HIDDEN + HIDDEN + 1   # W1 (2 x 8), b1 (8), W2 (8), b2 (1)


# -- the data ----------------------------------------------------------------------------------
rng = np.random.default_rng(0)
n = 200
corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
corner_class = np.array([0.0, 0.0, 1.0, 1.0])
which = rng.integers(0, 4, n)
X = corners[which] + 0.4 * rng.normal(size=(n, 2))
y = corner_class[which]


# -- the model -----------------------------------------------------------------------------------
def unpack(theta):
    """The flat weight vector as (W1, b1, W2, b2)."""
    h = HIDDEN
    return theta[: 2 * h].reshape(2, h), theta[2 * h : 3 * h], theta[3 * h : 4 * h], theta[4 * h]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def logits(theta, X):
    W1, b1, W2, b2 = unpack(theta)
    return sigmoid(X @ W1 + b1) @ W2 + b2


def loss(theta, X, y):
    """Mean binary cross-entropy, log(1 + e^z) - y z, written stably with logaddexp."""
    z = logits(theta, X)
    return np.mean(np.logaddexp(0.0, z) - y * z)


def backprop(theta, X, y):
    """The gradient of the loss, by hand (the chain rule, layer by layer, backwards)."""
    W1, b1, W2, b2 = unpack(theta)
    hidden = sigmoid(X @ W1 + b1)                      # (n, 8)
    z = hidden @ W2 + b2                               # (n,)
    dz = (sigmoid(z) - y) / len(y)                     # dL/dz
    dW2, db2 = hidden.T @ dz, np.sum(dz)
    dpre = np.outer(dz, W2) * hidden * (1 - hidden)    # dL/d(X @ W1 + b1)
    dW1, db1 = X.T @ dpre, dpre.sum(axis=0)
    return np.concatenate([dW1.ravel(), db1, dW2, [db2]])


def backprop_with_a_bug(theta, X, y):
    """A classic slip: the hidden layer's sigmoid derivative is forgotten."""
    W1, b1, W2, b2 = unpack(theta)
    hidden = sigmoid(X @ W1 + b1)
    dz = (sigmoid(hidden @ W2 + b2) - y) / len(y)
    dpre = np.outer(dz, W2)                            # missing * hidden * (1 - hidden)
    return np.concatenate([(X.T @ dpre).ravel(), dpre.sum(axis=0), hidden.T @ dz, [np.sum(dz)]])


theta = rng.normal(size=N_WEIGHTS)

# -- 1. check the hand-written gradient against dualdiff's exact one ----------------------------
print(f"1. check_grad(loss, backprop) at the initial weights and 3 random points ({N_WEIGHTS} weights)")
report = check_grad(loss, backprop, theta, args=(X, y), samples=3, seed=1)
print(report)
assert report, "backprop disagrees with dualdiff"
print("\n   ... and a backprop with a bug:")
bad = check_grad(loss, backprop_with_a_bug, theta, args=(X, y), top=3)
print(bad)
assert not bad
point = bad.points[0]
failing = np.flatnonzero(np.abs(point.candidate - point.exact) > bad.atol + bad.rtol * np.abs(point.exact))
print(f"   the {failing.size} failing entries are all weights of the first layer (W1, b1: entries 0..23), "
      "where the forgotten factor belongs")
assert failing.max() < 3 * HIDDEN

# -- 2. train by gradient descent ------------------------------------------------------------------
steps, learning_rate = (300 if QUICK else 2000), 2.0
value_and_grad = dd.value_and_grad(loss)   # one pass of dual numbers carries all 33 directions
history = []
print(f"\n2. training: {steps} steps of gradient descent, learning rate {learning_rate}")
for step in range(steps):
    value, gradient = value_and_grad(theta, X, y)
    history.append(value)
    theta = theta - learning_rate * gradient
    if step % (steps // 5) == 0:
        print(f"   step {step:5d}: loss {value:.5f}")
accuracy = np.mean((logits(theta, X) > 0) == (y == 1))
print(f"   final loss {loss(theta, X, y):.5f}, training accuracy {accuracy:.1%}")
assert history[-1] < 0.5 * history[0] and accuracy > 0.9
final = check_grad(loss, backprop, theta, args=(X, y))
print(f"   backprop still agrees at the trained weights: {bool(final)} "
      f"(max relative error {final.max_rel_error:.1e})")

# -- 3. the picture -------------------------------------------------------------------------------
try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed; skipping plot")
else:
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax1.semilogy(history)
    ax1.set_xlabel("gradient-descent step")
    ax1.set_ylabel("loss (cross-entropy)")
    ax1.set_title("training loss")
    g1, g2 = np.meshgrid(np.linspace(-2.5, 2.5, 200), np.linspace(-2.5, 2.5, 200))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    prob = sigmoid(logits(theta, grid)).reshape(g1.shape)
    ax2.contourf(g1, g2, prob, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax2.contour(g1, g2, prob, levels=[0.5], colors="k")
    ax2.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "tab:red", "tab:blue"), edgecolors="w", s=18)
    ax2.set_aspect("equal")
    ax2.set_title(f"decision boundary (training accuracy {accuracy:.1%})")
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "neural_network.png", dpi=100)
    print(f"\nsaved {OUT / 'neural_network.png'}")
