# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "A Minimal Learning Problem"
#     version: "1.3"
#     date: "2026-11-28"
#     summary:
#       - "A two-parameter model: logits = w * x + b on a seeded 1-D data set"
#       - "Binary cross-entropy with logits, by hand and numerically stable"
#       - "How autograd records the graph and what loss.backward() computes"
#       - "A matrix model: the gradient has the parameter's shape; freezing and detach"
#       - "Manual updates under torch.no_grad() and clearing gradients"
#       - "A training loop with a stopping criterion"
#       - "The learning rate: too slow, good, and unstable"
# ---

# %% [markdown]
# ## What you will learn
#
# Every neural network is trained by the same loop: **forward, loss, backward, update**.
# Here we run that loop on the smallest model that can learn anything: two numbers, `w` and `b`.
# With only two parameters, we can check every gradient by hand and see every failure mode.

# %% [markdown] tags=["notes"]
# Frame the lesson: nothing here is specific to tiny models. `nn.Module`, optimizers and
# data loaders (later lessons) only automate the four steps we write out by hand today.
# Ask the room: "What does the computer actually change when a model learns?" Answer: a few
# numbers, nudged against the gradient of one scalar.

# %% [markdown]
# ## Setup
#
# We fix the seed so every run draws the same data, and pick the GPU only if one exists.

# %%
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("device:", device)

# %% [markdown]
# ## A tiny data set
#
# One feature $x$ per example and a label $y \in \{0, 1\}$. Class 0 is centered at $-1$,
# class 1 at $1.5$; the spreads overlap, so no threshold is perfect.
# A dedicated `torch.Generator` makes the draw reproducible on its own.

# %%
gen = torch.Generator().manual_seed(0)
n_per_class = 50
x0 = -1.0 + 0.8 * torch.randn(n_per_class, generator=gen)  # class 0
x1 = 1.5 + 0.8 * torch.randn(n_per_class, generator=gen)  # class 1
x = torch.cat([x0, x1]).to(device)
y = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)]).to(device)

print("x:", tuple(x.shape), x.dtype, "| y:", tuple(y.shape), y.dtype)
print("class counts:", int((y == 0).sum()), int((y == 1).sum()))
print("first three x:", [round(v, 3) for v in x[:3].tolist()])
assert x.shape == y.shape == (100,)

# %% [markdown]
# ## Looking at the data
#
# Labels sit at 0 and 1; the overlap in the middle is where mistakes will happen.

# %% alt="Scatter plot of the training data: feature x on the horizontal axis, label 0 or 1 on the vertical axis. Blue label-0 points lie mostly between x = -3 and 0.5, red label-1 points mostly between 0 and 3.5, and the two classes overlap between about 0 and 0.5."
plt.figure(figsize=(7, 3.5))
plt.scatter(x.cpu(), y.cpu(), c=y.cpu(), cmap="coolwarm", alpha=0.6, edgecolors="k")
plt.xlabel("feature x")
plt.ylabel("label y")
plt.title("Training data: two overlapping classes")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## The model: two trainable numbers
#
# The model outputs a **logit** $z = w x + b$, any real number. The sigmoid turns it into
# a probability: $p = \sigma(z) = \frac{1}{1 + e^{-z}}$.
# `requires_grad=True` tells autograd to track everything computed from `w` and `b`.

# %%
w = torch.tensor(0.5, device=device, requires_grad=True)
b = torch.tensor(0.0, device=device, requires_grad=True)

z = w * x + b  # logits, one per example
p = torch.sigmoid(z)  # probabilities of class 1
print("w, b requires_grad:", w.requires_grad, b.requires_grad)
print("x requires_grad:", x.requires_grad, "| z requires_grad:", z.requires_grad)
print("first three p:", [round(v, 3) for v in p[:3].tolist()])
assert ((p > 0) & (p < 1)).all()

# %% [markdown]
# ## Binary cross-entropy
#
# For one example the loss is small when the model gives the true label high probability:
#
# $$\ell(z, y) = -\big[\, y \log \sigma(z) + (1 - y) \log (1 - \sigma(z)) \,\big]$$
#
# The training loss is the mean over examples: $L = \frac{1}{N} \sum_i \ell(z_i, y_i)$.

# %%
by_hand = -(y * torch.log(torch.sigmoid(z)) + (1 - y) * torch.log(1 - torch.sigmoid(z))).mean()
builtin = F.binary_cross_entropy_with_logits(z, y)

print(f"by hand : {by_hand.item():.6f}")
print(f"built-in: {builtin.item():.6f}")
torch.testing.assert_close(by_hand, builtin)

# %% [markdown] tags=["notes"]
# Stress the name: `binary_cross_entropy_with_logits` takes **logits** (raw scores), not
# probabilities. The most common bug is to apply `torch.sigmoid` first and then call the
# `_with_logits` version: the sigmoid is then applied twice, and the loss is wrong with no error.
# `F.binary_cross_entropy` (no "logits") is the one that takes probabilities.

# %% [markdown]
# ## Why "with logits"? The naive formula breaks
#
# In float32, $\sigma(20)$ rounds to exactly $1$, so $\log(1 - \sigma(20)) = \log 0 = -\infty$.
# A confident wrong prediction then gives an infinite loss, and its gradient is `nan`.

# %%
z_big = torch.tensor([-5.0, 20.0, 100.0], requires_grad=True)
target = torch.zeros(3)  # all three examples are class 0

s = torch.sigmoid(z_big)
naive = -(target * torch.log(s) + (1 - target) * torch.log(1 - s))
naive.sum().backward()
print("sigmoid(z) == 1 exactly:", (s == 1).tolist())
print("naive loss:", [round(v, 4) for v in naive.tolist()])
print("naive grad:", [round(v, 4) for v in z_big.grad.tolist()])
assert s[1] == 1 and torch.isinf(naive).any() and torch.isnan(z_big.grad).any()

# %% [markdown]
# ## The stable form
#
# Rewriting the same loss without ever forming $\log \sigma(z)$ gives
#
# $$\ell(z, y) = \max(z, 0) - z\,y + \log\!\big(1 + e^{-|z|}\big)$$
#
# The exponent is never positive, so nothing overflows. The built-in computes an equivalent
# form; the cell checks that both agree.

# %%
z_big.grad = None
stable = F.binary_cross_entropy_with_logits(z_big, target, reduction="none")
stable.sum().backward()
by_hand_stable = z_big.clamp(min=0) - z_big * target + torch.log1p(torch.exp(-z_big.abs()))

print("stable loss:", [round(v, 4) for v in stable.tolist()])
print("stable grad:", [round(v, 4) for v in z_big.grad.tolist()])
torch.testing.assert_close(stable, by_hand_stable)
assert torch.isfinite(stable).all() and torch.isfinite(z_big.grad).all()

# %% [markdown] tags=["notes"]
# The stable loss for $z = 100, y = 0$ is $100$: large but finite, and the gradient is
# $\sigma(z) - y = 1$, exactly what we want to push the logit down.
# Rule of thumb: let the model output logits and use the `_with_logits` loss (or
# `F.cross_entropy` for many classes). Apply the sigmoid only when you need probabilities to
# report or plot.

# %% [markdown]
# ## Autograd records a graph
#
# Each op on a tensor that requires grad leaves a node (`grad_fn`) linked to its inputs.

# %%
loss = F.binary_cross_entropy_with_logits(w * x + b, y)
leaf_names = {id(w): "w", id(b): "b"}  # only to label the leaves; ids are never printed


def show_graph(fn, depth=0):
    leaf = leaf_names.get(id(getattr(fn, "variable", None)), "")
    print("  " * depth + type(fn).__name__ + (f" -> {leaf}" if leaf else ""))
    for child, _ in fn.next_functions:
        if child is not None:  # None: an input that needs no gradient (x, y)
            show_graph(child, depth + 1)

show_graph(loss.grad_fn)
assert loss.requires_grad and loss.grad_fn is not None

# %% [markdown] tags=["handout-only"]
# ### Leaves and intermediates
#
# `w`, `b`, `x` and `y` are all **leaves**: we created them, no recorded op produced them.
# The difference is `requires_grad`: `.backward()` fills `.grad` only for leaves that require
# grad (`w` and `b`); `x` and `y` are constants to autograd, so no gradient flows into them.
# `loss` is not a leaf: it has a `grad_fn`.

# %% tags=["handout-only"]
for name, t in [("w", w), ("b", b), ("x", x), ("y", y), ("loss", loss)]:
    print(f"{name:4} is_leaf={t.is_leaf!s:5}  requires_grad={t.requires_grad}")
assert w.is_leaf and b.is_leaf and x.is_leaf and y.is_leaf and not loss.is_leaf
assert w.requires_grad and b.requires_grad and not x.requires_grad and not y.requires_grad

# %% [markdown] tags=["notes"]
# The graph is built **during** the forward pass, every time it runs; nothing is compiled in
# advance. That is why Python control flow (ifs, loops) just works.
# Misconception: "`requires_grad` makes PyTorch compute gradients all the time." No: it only
# makes PyTorch *record*; gradients are computed when you call `.backward()`.
# The `id()` trick is only for labeling leaves; its values are never printed.

# %% [markdown]
# ## What `loss.backward()` does
#
# It walks the graph from the loss back to the leaves, multiplying local derivatives
# (the chain rule), and **adds** the result into each leaf's `.grad`.

# %%
print("before backward: w.grad =", w.grad, "| b.grad =", b.grad)
loss.backward()
print(f"after backward:  w.grad = {w.grad.item():.5f} | b.grad = {b.grad.item():.5f}")
assert w.grad is not None and b.grad is not None

# %% [markdown]
# ## Checking the gradient by hand
#
# The derivative of the stable loss with respect to a logit is simply $\sigma(z_i) - y_i$.
# The chain rule with $\partial z_i / \partial w = x_i$ and $\partial z_i / \partial b = 1$ gives
#
# $$\frac{\partial L}{\partial w} = \frac{1}{N} \sum_i (\sigma(z_i) - y_i)\, x_i, \qquad
# \frac{\partial L}{\partial b} = \frac{1}{N} \sum_i (\sigma(z_i) - y_i)$$

# %%
with torch.no_grad():
    err = torch.sigmoid(w * x + b) - y  # prediction error per example
    dw_analytic = (err * x).mean()
    db_analytic = err.mean()

print(f"dL/dw autograd {w.grad.item():.5f}   analytic {dw_analytic.item():.5f}")
print(f"dL/db autograd {b.grad.item():.5f}   analytic {db_analytic.item():.5f}")
torch.testing.assert_close(w.grad, dw_analytic)
torch.testing.assert_close(b.grad, db_analytic)

# %% [markdown]
# ## The gradient has the parameter's shape
#
# The same recipe with a matrix of parameters: one example with 5 features, 3 outputs,
# $z = x W + b$ with $W$ of shape (5, 3). `W.grad` is (5, 3) and `b.grad` is (3,): one
# partial derivative per parameter, $\partial L / \partial W_{ij} = x_i\,(\sigma(z_j) - y_j) / 3$.

# %%
gen_m = torch.Generator().manual_seed(1)
x5, y3 = torch.ones(5, device=device), torch.zeros(3, device=device)  # one example
W = torch.randn(5, 3, generator=gen_m).to(device).requires_grad_()  # 15 parameters
b3 = torch.randn(3, generator=gen_m).to(device).requires_grad_()
z3 = x5 @ W + b3  # (5,) @ (5, 3) + (3,) -> (3,)
F.binary_cross_entropy_with_logits(z3, y3).backward()
print("W:", tuple(W.shape), "W.grad:", tuple(W.grad.shape), "| b.grad:", tuple(b3.grad.shape))
err3 = (torch.sigmoid(z3) - y3).detach() / 3  # the mean over 3 outputs gives the 1/3
assert W.grad.shape == W.shape and b3.grad.shape == b3.shape
torch.testing.assert_close(W.grad, torch.outer(x5, err3))
torch.testing.assert_close(b3.grad, err3)

# %% [markdown] tags=["notes"]
# Point out how readable the gradient is: each example pushes $w$ by its error times its
# input. Correct, confident examples have $\sigma(z_i) - y_i \approx 0$ and contribute almost
# nothing; the overlap region does the work.
# The sign of `w.grad` tells which way the loss *increases*, so we step the other way.

# %% [markdown]
# ## Updating a leaf: the error you will hit
#
# A gradient step changes `w` in place. Written naively, autograd refuses: it would have to
# record the update as part of the graph, and `w` is a leaf it must keep intact.

# %%
raised = False
try:
    w -= 0.1 * w.grad
except RuntimeError as e:
    raised = True
    print(type(e).__name__ + ":", str(e).splitlines()[0])
assert raised

# %% [markdown]
# ## The fix: `torch.no_grad()`
#
# Inside `torch.no_grad()` operations are not recorded, so the in-place update is allowed.
# The update is bookkeeping, not part of the model, so it must not be in the graph.

# %%
lr = 0.1
w_before, b_before = w.item(), b.item()
with torch.no_grad():
    w -= lr * w.grad
    b -= lr * b.grad

print(f"w: {w_before:.4f} -> {w.item():.4f} | b: {b_before:.4f} -> {b.item():.4f}")
print("still a leaf that requires grad:", w.is_leaf, w.requires_grad)
assert w.is_leaf and w.requires_grad
assert abs(w.item() - (w_before - lr * dw_analytic.item())) < 1e-6

# %% [markdown] tags=["notes"]
# Another beginner version: `w = w - lr * w.grad` (no in-place, no `no_grad`). The first step
# raises nothing, but it rebinds the name `w` to a *new, non-leaf* tensor whose graph hangs on
# the old `w`. After the next `backward()` its `.grad` is `None` (PyTorch warns), and the
# next update fails: `TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'`.
# The handout shows it. Update in place, under `no_grad()`; `torch.optim.SGD` does exactly that.

# %% [markdown] tags=["handout-only"]
# ### Pitfall: `w = w - lr * w.grad`
#
# Without `no_grad()` and without in-place, the update is recorded: the new `w` is not a leaf,
# its graph chains back into the previous step, and after the next `backward()` its `.grad`
# is `None`. The step after that fails with a `TypeError`, not silently.

# %% tags=["handout-only"]
w_n = torch.tensor(0.5, device=device, requires_grad=True)
F.binary_cross_entropy_with_logits(w_n * x, y).backward()
w_n = w_n - lr * w_n.grad  # recorded: a new, non-leaf tensor
assert not w_n.is_leaf and w_n.grad_fn is not None  # the graph chains across steps
F.binary_cross_entropy_with_logits(w_n * x, y).backward()
raised = False
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # reading .grad of a non-leaf warns (and returns None)
    assert w_n.grad is None
    try:
        w_n = w_n - lr * w_n.grad
    except TypeError as e:
        raised = True
        print(type(e).__name__ + ":", str(e))
assert raised

# %% [markdown]
# ## Gradients accumulate
#
# `.backward()` **adds** into `.grad`; it never overwrites. Forget to clear it and the
# second step uses the sum of both gradients. Here the parameters do not change between the
# two calls, so the gradient exactly doubles. Clear with `p.grad = None` once per step.

# %%
w.grad, b.grad = None, None  # start clean
F.binary_cross_entropy_with_logits(w * x + b, y).backward()
first = w.grad.clone()
F.binary_cross_entropy_with_logits(w * x + b, y).backward()  # forgot to clear!

print(f"after 1st backward: {first.item():.5f}")
print(f"after 2nd backward: {w.grad.item():.5f}")
torch.testing.assert_close(w.grad, 2 * first)

# %% [markdown] tags=["handout-only"]
# ### The fix: clear after every update
#
# Set `p.grad = None` (or call `p.grad.zero_()`) once per step. Accumulation is a feature:
# it lets you sum gradients over several small batches before one update.

# %% tags=["handout-only"]
w.grad, b.grad = None, None
F.binary_cross_entropy_with_logits(w * x + b, y).backward()
torch.testing.assert_close(w.grad, first)
print("cleared, then one backward: gradient equals the first one again")

# %% [markdown]
# ## Freezing a parameter; detaching a value
#
# `p.requires_grad_(False)` freezes a parameter: autograd stops tracking it and its `.grad`
# stays `None`. `t.detach()` returns the same values without history: a constant to autograd.

# %%
w_f = torch.tensor(0.5, device=device, requires_grad=True)
b_f = torch.tensor(0.0, device=device, requires_grad=True)
b_f.requires_grad_(False)  # frozen: training only w_f now
z_f = w_f * x + b_f
F.binary_cross_entropy_with_logits(z_f, y).backward()
print("w_f.grad:", round(w_f.grad.item(), 5), "| b_f.grad:", b_f.grad)
z_const = z_f.detach()  # same numbers, no grad_fn
print("z_f.grad_fn:", type(z_f.grad_fn).__name__, "| z_const.grad_fn:", z_const.grad_fn)
assert w_f.grad is not None and b_f.grad is None
assert torch.equal(z_const, z_f) and z_const.grad_fn is None and not z_const.requires_grad

# %% [markdown]
# ## The training loop
#
# Forward, backward, update, clear, repeat. Each **step** uses all 100 examples (full-batch
# gradient descent), so here one step is also one **epoch**, one pass over the data. We stop
# when a step improves the loss by less than `tol`, or after `max_steps`.

# %%
def train(lr, max_steps, tol=float("-inf")):  # from w = b = 0; default: never stop early
    w = torch.zeros((), device=device, requires_grad=True)
    b = torch.zeros((), device=device, requires_grad=True)
    history = []
    for _ in range(max_steps):
        loss = F.binary_cross_entropy_with_logits(w * x + b, y)  # 1. forward
        loss.backward()  # 2. backward
        with torch.no_grad():
            for p in (w, b):
                p -= lr * p.grad  # 3. update
                p.grad = None  # 4. clear
        history.append(loss.item())
        if len(history) > 1 and history[-2] - history[-1] < tol:  # 5. stop?
            break
    return history, w.detach(), b.detach()


# %% [markdown]
# ## Did it learn?
#
# With `lr = 1` the loss falls from $\log 2 \approx 0.693$ (the model starts at $p = 0.5$
# for everyone) and training stops well before the step limit.

# %%
history, w_fit, b_fit = train(lr=1.0, max_steps=1000, tol=1e-5)
with torch.no_grad():
    accuracy = ((w_fit * x + b_fit > 0).float() == y).float().mean().item()

print(f"steps run: {len(history)} of 1000")
print(f"loss: {history[0]:.4f} -> {history[-1]:.4f}")
print(f"w = {w_fit.item():.3f}, b = {b_fit.item():.3f}, accuracy = {accuracy:.2f}")
assert abs(history[0] - torch.log(torch.tensor(2.0)).item()) < 1e-6  # starts at log 2
assert len(history) < 1000 and history[-1] < 0.5 * history[0]
assert accuracy >= 0.9

# %% [markdown] tags=["notes"]
# Why does the loss start at exactly $\log 2$? With $w = b = 0$ every logit is $0$ and every
# probability is $0.5$, so each example costs $-\log 0.5 = \log 2$. Checking the initial loss
# against this value is a cheap, powerful sanity test for any classifier.
# The stopping rule "improvement < tol" also fires if the loss goes *up*; with an unstable
# learning rate that stops training at the first spike. Real code often adds "patience".

# %% [markdown]
# ## The learned model
#
# The probability curve $\sigma(w x + b)$ crosses $0.5$ where $w x + b = 0$, so the
# decision boundary is at $x = -b / w$.

# %% alt="The training data with the learned model: an S-shaped probability curve rises from 0 on the left to 1 on the right, crossing 0.5 at a dashed vertical decision boundary near x = 0.35, which separates most blue label-0 points from red label-1 points."
grid = torch.linspace(-4, 5, 200)
boundary = -(b_fit / w_fit).item()
plt.figure(figsize=(7, 3.5))
plt.scatter(x.cpu(), y.cpu(), c=y.cpu(), cmap="coolwarm", alpha=0.6, edgecolors="k")
plt.plot(grid, torch.sigmoid(w_fit.cpu() * grid + b_fit.cpu()), "k", label="p(y=1 | x)")
plt.axvline(boundary, color="gray", ls="--", label=f"boundary x = {boundary:.2f}")
plt.xlabel("feature x")
plt.ylabel("label / probability")
plt.title("Learned probability curve and decision boundary")
plt.legend()
plt.tight_layout()
plt.show()

# %% tags=["handout-only"]
print(f"sigmoid at the boundary: {torch.sigmoid(w_fit * boundary + b_fit).item():.4f}")
assert abs(torch.sigmoid(w_fit * boundary + b_fit).item() - 0.5) < 1e-5

# %% [markdown]
# ## The learning rate: speed against stability
#
# Same data, same start, same 60 steps; only the step size changes. We record every loss.

# %%
lrs = [0.01, 0.1, 1.0, 10.0, 100.0]
n_steps = 60
curves = {lr: train(lr, max_steps=n_steps)[0] for lr in lrs}

for lr, h in curves.items():
    ups = int((torch.tensor(h).diff() > 0).sum())
    print(f"lr={lr:>6}: final loss {h[-1]:.4f}, max {max(h):.3f}, loss went up {ups:2d} times")

# %% [markdown]
# ## Loss curves for five learning rates
#
# A log scale on the loss axis shows slow progress and spikes equally well.

# %% alt="Training loss on a log scale over 60 steps for five learning rates. lr = 0.01 barely falls; lr = 0.1 falls slowly; lr = 1.0 and 10.0 drop quickly to the lowest loss, 10.0 fastest; lr = 100.0 first jumps above 2, comes down, then spikes again near step 43 and at the end: it is unstable."
plt.figure(figsize=(7, 3.5))
for lr, h in curves.items():
    plt.plot(h, label=f"lr = {lr}")
plt.yscale("log")
plt.xlabel("step")
plt.ylabel("training loss (log scale)")
plt.title("Same model, same data, different learning rates")
plt.legend(loc="upper left", bbox_to_anchor=(1, 1))
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Reading the curves
#
# - **Too small** (0.01): every step is safe but tiny; after 60 steps it has barely moved.
# - **Good** (0.1 to 10): here a larger step reaches a lower loss in the same number of steps.
# - **Too large** (100): the first step overshoots, the loss *rises*, and it keeps spiking.

# %%
final = {lr: h[-1] for lr, h in curves.items()}
assert final[0.01] > final[0.1] > final[1.0] > final[10.0]  # bigger step, faster (in range)
assert final[0.01] > 0.5 * curves[0.01][0]  # too slow: still above half the start
assert curves[100.0][1] > curves[100.0][0]  # too large: the first step makes things worse
assert max(curves[100.0]) > 2 * curves[100.0][0]  # ... and the loss spikes far above the start
assert final[100.0] > final[10.0]  # ... and it ends worse than a moderate step
print("all learning-rate claims hold")

# %% [markdown] tags=["notes"]
# Why does lr = 100 not explode to `inf`? For this loss the per-example gradient with respect
# to the logit is $\sigma(z) - y$, which lies in $[-1, 1]$. So one step moves $w$ by at most
# $\text{lr} \cdot \text{mean}|x|$: the parameters get thrown far and the loss spikes, but it
# stays finite. With a squared-error loss the gradient grows with the error and a too-large
# step does diverge. Rule of thumb: try learning rates a factor of 10 apart, keep the largest
# one whose curve goes down smoothly, then refine.

# %% [markdown] tags=["exercise"]
# ## Exercise: find the largest stable learning rate
#
# Call a learning rate *stable* if the loss never rises by more than $10^{-6}$ from one
# step to the next in 100 steps of `train` (a tolerance, because float32 rounding alone can
# move a converged loss up by about $3 \cdot 10^{-8}$). Report the largest stable candidate,
# then compare its final loss with that of `lr = 1`.

# %% tags=["exercise"]
candidates = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0]
# Hint: train(lr, max_steps=100)[0] is the loss history.
# torch.tensor(history).diff() gives the change from each step to the next.


# %% tags=["solution"]
def largest_rise(lr, steps=100):
    h, _, _ = train(lr, max_steps=steps)
    return torch.tensor(h, dtype=torch.float64).diff().max().item()


rises = {lr: largest_rise(lr) for lr in candidates}
best_lr = max(lr for lr, rise in rises.items() if rise <= 1e-6)
loss_best, loss_1 = train(best_lr, 100)[0][-1], train(1.0, 100)[0][-1]
print(f"largest stable: {best_lr} | final loss {loss_best:.4f} (lr = 1.0: {loss_1:.4f})")
assert best_lr == 20.0 and rises[50.0] > 0.1 and loss_best < loss_1  # 50 bounces by > 0.1
assert device.type != "cpu" or 0 < rises[10.0] < 1e-7  # one float32 rounding step, not more

# %% [markdown] tags=["solution"]
# Every candidate up to 20 is stable: the loss falls, then sits at its minimum up to float32
# rounding. 20 ends lower than 1; 50 overshoots and bounces. In practice pick a rate a bit
# *below* the edge of stability: the edge moves as the model and data change.

# %% [markdown] tags=["exercise"]
# ## Exercise: stop on a small gradient
#
# A different stopping criterion: stop when the gradient is nearly zero,
# $\sqrt{(\partial L/\partial w)^2 + (\partial L/\partial b)^2} < 10^{-3}$.
# Write this loop for `lr = 1` (max 1000 steps) and report the steps and the final loss.

# %% tags=["solution"]
w_g = torch.zeros((), device=device, requires_grad=True)
b_g = torch.zeros((), device=device, requires_grad=True)
step, grad_norm = 0, float("inf")
while grad_norm >= 1e-3 and step < 1000:
    step += 1
    loss_g = F.binary_cross_entropy_with_logits(w_g * x + b_g, y)
    loss_g.backward()
    grad_norm = torch.sqrt(w_g.grad**2 + b_g.grad**2).item()
    with torch.no_grad():
        for p in (w_g, b_g):
            p -= 1.0 * p.grad
            p.grad = None
print(f"stopped after {step} steps, grad norm {grad_norm:.2e}, loss {loss_g.item():.4f}")
assert grad_norm < 1e-3 and step < 1000

# %% [markdown] tags=["solution"]
# The gradient test asks "are we at a flat point?" rather than "did we stop improving?".
# It does not fire on a single bad step, but its threshold depends on the scale of the loss.

# %% [markdown]
# ## Summary
#
# - A model is parameters plus a forward pass; `w * x + b` already has the full training loop.
# - Output **logits** and use `binary_cross_entropy_with_logits`: same loss, no `inf` or `nan`.
# - `loss.backward()` applies the chain rule over the recorded graph and **adds** into `.grad`.
# - The gradient has the parameter's shape; `requires_grad_(False)` freezes, `detach()` cuts.
# - Update under `torch.no_grad()`, clear gradients every step, stop on a clear criterion.
# - Sweep the learning rate by factors of 10: too small crawls, too large bounces.
