# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "Tensor Gradients and Vector-Jacobian Products"
#     version: "1.2"
#     date: "2026-11-28"
#     changes: "Every exercise checks itself; a second exercise: a vector-Jacobian product for a matrix input against the full Jacobian"
#     summary:
#       - "Scalar losses vs tensor-valued outputs"
#       - "Why full Jacobians are rarely built: size and number of passes"
#       - "Vector-Jacobian products with backward(v) and autograd.grad"
#       - "Forward mode: Jacobian-vector products, jacfwd vs jacrev"
#       - "Matrix inputs: a four-dimensional Jacobian; retain_graph vs the choice of v"
#       - "What .grad holds for a non-scalar output"
#       - "Gradient accumulation and explicit clearing"
#       - "Weighted sensitivity analysis of tensor outputs"
# ---

# %% [markdown]
# ## What you will learn
#
# - Why `backward()` needs a scalar, and what to do when your output is a tensor
# - What the Jacobian $J$ is, and why autograd almost never builds it
# - How `backward(v)` computes the vector-Jacobian product $v^\top J$ in one pass,
#   and forward mode the Jacobian-vector product $J u$
# - How `.grad` accumulates, and how to weight outputs for sensitivity analysis

# %% [markdown] tags=["notes"]
# Start with a question: "If a model has two outputs, what is *the* gradient?"
# Let students notice there is no single answer until we say how much each output
# matters. That choice of weights is the vector $v$ of this whole lesson.

# %%
import torch
from torch.autograd.functional import jacobian
from torch.func import jacfwd, jacrev, jvp
from torch.testing import assert_close
from torch.utils.flop_counter import FlopCounterMode

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
torch.manual_seed(0)
torch.set_printoptions(precision=4)
print("device:", device)

# %% [markdown]
# ## Scalar loss: `backward()` just works
#
# A training loss is one number $L$. Its gradient $\partial L / \partial x$ has
# the same shape as $x$, and `L.backward()` stores it in `x.grad`.
# For $L = \sum_j x_j^2$ the gradient is $2x$.

# %%
x = torch.tensor([0.5, -0.3, 0.8, 0.1], device=device, requires_grad=True)
loss = (x**2).sum()
loss.backward()
print("loss shape:", tuple(loss.shape))
print("x.grad:", x.grad.cpu())
assert_close(x.grad, 2 * x.detach())

# %% [markdown]
# ## Running example: a tensor-valued output
#
# Our running example has 4 inputs and 2 outputs: $y = \tanh(Wx)$.
# Now "the gradient" is ambiguous: of $y_1$, of $y_2$, of their sum?

# %%
W = torch.tensor([[1.0, -0.5, 0.0, 0.8], [0.2, 1.0, -0.7, 0.0]], device=device)


def f(inp):
    return torch.tanh(W @ inp)


y = f(x)
print("y shape:", tuple(y.shape), " y:", y.detach().cpu())
assert y.shape == (2,)

# %% [markdown]
# ## A tensor output: `backward()` refuses
#
# Autograd will not guess which scalar you mean.
# Calling `y.backward()` on the 2-element output raises an error.

# %%
x.grad = None
raised = False
try:
    y.backward()
except RuntimeError as err:
    raised = True
    print(f"{type(err).__name__}: {str(err).splitlines()[0]}")
assert raised

# %% [markdown] tags=["notes"]
# The fix is not "always call `.sum()` first". Summing is one specific choice of
# weights (all ones). Ask the class: when would summing be wrong? Answer: when the
# outputs have different units or different importance. The rest of the lesson
# makes that choice explicit.

# %% [markdown]
# ## The Jacobian collects every partial derivative
#
# For $y = f(x)$ with $x \in \mathbb{R}^n$, $y \in \mathbb{R}^m$, the Jacobian is
# the $m \times n$ matrix $J_{ij} = \partial y_i / \partial x_j$:
# $$J = \begin{bmatrix} \partial y_1/\partial x_1 & \cdots & \partial y_1/\partial x_n \\
# \vdots & & \vdots \\ \partial y_m/\partial x_1 & \cdots & \partial y_m/\partial x_n
# \end{bmatrix}$$
# For $y = \tanh(Wx)$ row $i$ is $(1 - y_i^2)$ times row $i$ of $W$.

# %%
J = jacobian(f, x.detach())
print("J shape:", tuple(J.shape))
print(J.cpu())
assert J.shape == (2, 4)
assert_close(J, (1 - y.detach() ** 2)[:, None] * W)

# %% [markdown]
# ## Why full Jacobians are rarely built: size
#
# Take a ReLU or a 3x3 convolution on a 1000 x 1000 image:
# $n = m = 10^6$. Its Jacobian has $m \cdot n = 10^{12}$ entries, 4 TB in float32.
# The gradient we actually need has only $n$ entries: 4 MB.

# %%
n = m = 1000 * 1000
entries = m * n
bytes_per_float32 = 4
print(f"Jacobian entries: {entries:.0e}")
print(f"Jacobian size:    {entries * bytes_per_float32 / 1e12:.0f} TB")
print(f"gradient size:    {n * bytes_per_float32 / 1e6:.0f} MB")
assert entries == 10**12
assert entries * bytes_per_float32 == 4 * 10**12

# %% [markdown]
# ## ... and most of it is zeros
#
# An elementwise op such as ReLU only links $y_i$ to $x_i$, so $J$ is diagonal.
# On a small case with $n = 1000$: a million entries, at most 1000 nonzero.
# One backward pass gives the same answer as $\mathbf{1}^\top J$, without forming $J$.

# %%
torch.manual_seed(0)
z = torch.randn(1000, device=device, requires_grad=True)
J_relu = jacobian(torch.relu, z.detach())
nonzero = int((J_relu != 0).sum())
print(f"entries: {J_relu.numel()}, nonzero: {nonzero}")
assert nonzero <= 1000 and torch.equal(J_relu, torch.diag(torch.diag(J_relu)))  # diagonal
torch.relu(z).backward(torch.ones(1000, device=device))
assert_close(z.grad, torch.ones(1000, device=device) @ J_relu)

# %% [markdown]
# ## Building $J$ row by row costs $m$ backward passes
#
# Row $i$ of $J$ is $e_i^\top J$, where $e_i$ is the $i$-th unit vector.
# Each row costs one backward pass, so the full $J$ costs $m$ of them.
# We count the passes with a hook that fires whenever a gradient reaches the input.

# %%
torch.manual_seed(0)
A = torch.randn(50, 20, device=device)
u = torch.randn(20, device=device, requires_grad=True)
out = torch.tanh(A @ u)
calls = []  # the hook appends one entry per backward pass that reaches u
hook = u.register_hook(lambda grad: calls.append(1))
eye = torch.eye(50, device=device)
rows = [torch.autograd.grad(out, u, grad_outputs=e, retain_graph=True)[0] for e in eye]
print("backward passes for the full J:", len(calls))
assert len(calls) == 50
assert_close(torch.stack(rows), jacobian(lambda t: torch.tanh(A @ t), u.detach()))

# %% [markdown]
# ## One vector-Jacobian product costs one pass
#
# Usually we need only one weighted combination of the rows, $v^\top J$.
# Reverse mode gets it in a single backward pass, which costs a small multiple of the
# forward pass (the handout counts it). For the 50-output layer: 1 pass, not 50.

# %%
calls.clear()
v50 = torch.ones(50, device=device)
(vjp,) = torch.autograd.grad(out, u, grad_outputs=v50)
hook.remove()
print("backward passes for one VJP:", len(calls))
assert len(calls) == 1
assert_close(vjp, v50 @ torch.stack(rows))

# %% [markdown] tags=["notes"]
# Stress the asymmetry: a VJP is cheap no matter how many outputs there are, the
# full Jacobian scales with $m$. `jacobian(..., vectorize=True)` batches the $m$
# passes with vmap, which is faster in wall-clock time but still does $m$ VJPs of
# work and still stores $m \cdot n$ numbers. Counting passes, not timing, is the
# honest way to compare. The handout counts the floating-point operations of one pass.

# %% [markdown] tags=["handout-only"]
# ### What one backward pass costs
#
# `FlopCounterMode` counts the floating-point operations PyTorch runs. For a matrix product
# whose two factors both need gradients, backward does two matrix products of the same size
# (one per factor): twice the forward work. Rules of thumb put a whole network's backward at
# about 2 to 3 times its forward pass.

# %% tags=["handout-only"]
torch.manual_seed(0)
weights = torch.randn(64, 32, device=device, requires_grad=True)
batch = torch.randn(32, 16, device=device, requires_grad=True)
with FlopCounterMode(display=False) as forward_count:
    product = weights @ batch
with FlopCounterMode(display=False) as backward_count:
    product.backward(torch.ones_like(product))
ratio = backward_count.get_total_flops() / forward_count.get_total_flops()
print(f"forward {forward_count.get_total_flops()} flops, backward {ratio:.0f} times that")
assert ratio == 2.0

# %% [markdown]
# ## Forward mode: Jacobian-vector products
#
# Reverse mode gives rows of $J$ ($v^\top J$). Forward mode pushes a direction $u$ in input
# space forward and gives $J u$, a combination of **columns**, in one forward pass:
# `torch.func.jvp(f, (x,), (u,))` returns $f(x)$ and $J u$. With $u = e_j$ that is column $j$.

# %%
x0 = x.detach()
columns = [jvp(f, (x0,), (e,))[1] for e in torch.eye(4, device=device)]  # n = 4 JVPs
u_dir = torch.tensor([1.0, 0.0, 0.0, 2.0], device=device)
y0, Ju = jvp(f, (x0,), (u_dir,))
print("J u:", Ju.cpu(), "| columns built:", len(columns))
assert_close(Ju, J @ u_dir)
assert_close(y0, f(x0))
assert_close(torch.stack(columns, dim=1), J)  # n forward passes give all of J

# %% [markdown]
# ## Rows or columns: `jacrev` or `jacfwd`
#
# The full $J$ costs $m$ backward passes row by row (`jacrev`) or $n$ forward passes column
# by column (`jacfwd`). Few outputs, many inputs (a loss: $m = 1$): reverse. Many outputs,
# few inputs: forward. Both give the same $J$.

# %%
def tall(t):  # 2 inputs, 50 outputs: m = 50 rows, n = 2 columns
    return torch.sin(torch.outer(torch.arange(50.0, device=device), t)).sum(dim=1)


t0 = torch.tensor([0.3, -0.7], device=device)
for name, fn, point in [("f", f, x0), ("tall", tall, t0)]:
    by_rev, by_fwd = jacrev(fn)(point), jacfwd(fn)(point)
    m, n = by_rev.shape
    print(f"{name:4} J ({m}, {n}): jacrev {m:2} backward passes, jacfwd {n} forward passes")
    assert_close(by_rev, by_fwd)
assert_close(jacrev(f)(x0), J)

# %% [markdown]
# ## Vector-Jacobian products: `y.backward(v)`
#
# Pick $v \in \mathbb{R}^m$, one weight per output. Then
# $$v^\top J = \sum_i v_i \, J_{i,:}$$
# is a weighted sum of the rows of $J$: a vector with the shape of $x$.
# `y.backward(v)` computes it and stores it in `x.grad`.

# %%
v = torch.tensor([0.3, -1.2], device=device)
x.grad = None
y = f(x)
y.backward(v)
print("x.grad:", x.grad.cpu())
print("v @ J: ", (v @ J).cpu())
assert_close(x.grad, v @ J)

# %% [markdown]
# ## Explicit upstream gradients
#
# Two equivalent spellings:
# - `y.backward(gradient=v)` adds $v^\top J$ into `x.grad`
# - `torch.autograd.grad(y, x, grad_outputs=v)` returns it and leaves `x.grad` alone

# %%
grad_before = x.grad.clone()
(gx,) = torch.autograd.grad(f(x), x, grad_outputs=v)
print("autograd.grad:", gx.cpu())
assert_close(gx, v @ J)
assert torch.equal(x.grad, grad_before)  # .grad was not touched

# %% [markdown]
# ## The upstream gradient is what comes after $y$
#
# If a loss $L = g(y)$ follows $y$, the chain rule gives
# $\partial L/\partial x = (\partial L/\partial y)^\top J$.
# So passing $v = \partial L / \partial y$ to `y.backward` gives the same gradient
# as `L.backward()`. That is exactly how autograd chains operations.

# %%
target = torch.tensor([0.5, -0.5], device=device)
y = f(x)
(dL_dy,) = torch.autograd.grad(((y - target) ** 2).sum(), y, retain_graph=True)
(via_v,) = torch.autograd.grad(y, x, grad_outputs=dL_dy)
(via_loss,) = torch.autograd.grad(((f(x) - target) ** 2).sum(), x)
print("dL/dy:", dL_dy.cpu())
print("dL/dx:", via_v.cpu())
assert_close(dL_dy, 2 * (y.detach() - target))
assert_close(via_v, via_loss)

# %% [markdown] tags=["notes"]
# This is the key mental model: every operation in the graph receives an upstream
# gradient $v$ from the operations after it, and sends $v^\top J$ on to the ones
# before it. `loss.backward()` is just the special case where the first $v$ is the
# number 1.

# %% [markdown]
# ## What `.grad` means for a tensor output
#
# After `y.backward(v)`, `x.grad` holds $v^\top J$: the gradient of the scalar
# $s = \sum_i v_i y_i$. It is **not** "the gradient of $y$".
# With $v = \mathbf{1}$ it is the gradient of `y.sum()`.

# %%
x.grad = None
f(x).backward(v)
(grad_of_s,) = torch.autograd.grad((v * f(x)).sum(), x)
assert_close(x.grad, grad_of_s)

x.grad = None
f(x).backward(torch.ones(2, device=device))
(grad_of_sum,) = torch.autograd.grad(f(x).sum(), x)
assert_close(x.grad, grad_of_sum)
print("backward(ones) == grad of y.sum():", x.grad.cpu())

# %% [markdown]
# ## Common mistake: $v$ with the wrong shape
#
# $v$ must have exactly the shape of $y$, one weight per output element.
# A $v$ shaped like $x$ (a frequent slip) is rejected.
# Fix: build $v$ from the output itself, e.g. `torch.ones_like(y)`.

# %%
x.grad = None
raised = False
try:
    f(x).backward(torch.ones(4, device=device))
except RuntimeError as err:
    raised = True
    print(f"{type(err).__name__}: {str(err).split(' and ')[0]}")
assert raised
y = f(x)
y.backward(torch.ones_like(y))  # the fix: v matches y's shape
assert x.grad.shape == x.shape

# %% [markdown]
# ## Matrix inputs and outputs: $J$ has four dimensions
#
# For a (4, 5) input and a (5, 4) output, $J$ has shape `out.shape + inp.shape` =
# (5, 4, 4, 5). $v$ has the output's shape, and $v^\top J$ sums over the output dimensions:
# `einsum("ij,ijkl->kl", v, J)`, which has the input's shape, is exactly what `inp.grad` holds.

# %%
inp = torch.eye(4, 5, device=device, requires_grad=True)
out = (inp + 1).pow(2).t()  # (5, 4)
J4 = jacobian(lambda t: (t + 1).pow(2).t(), inp.detach())
v4 = torch.ones_like(out)
out.backward(v4)
print("out", tuple(out.shape), "| J", tuple(J4.shape), "| inp.grad", tuple(inp.grad.shape))
assert J4.shape == (5, 4, 4, 5) and inp.grad.shape == inp.shape
assert_close(inp.grad, torch.einsum("ij,ijkl->kl", v4, J4))
assert_close(inp.grad, 2 * (inp.detach() + 1))  # d/dx (x + 1)^2, element by element

# %% [markdown] tags=["exercise"]
# ## Exercise: a vector-Jacobian product for a matrix input
#
# `layer(W) = tanh(W @ s_in)` maps a (3, 4) weight matrix to 3 outputs. For the weights
# `c_out` on those outputs, compute $c^\top J$ with **one** backward pass and call it `vjp_W`.
# Then build the full Jacobian `J_W` with `jacobian` (which shape does it have?) and check
# that contracting it with `c_out` over the output dimension gives `vjp_W` again.

# %% tags=["exercise"]
Wm = (torch.arange(12.0).reshape(3, 4) / 10 - 0.5).to(device).requires_grad_()
s_in = torch.tensor([1.0, -0.5, 0.25, 2.0], device=device)
c_out = torch.tensor([1.0, -2.0, 0.5], device=device)


def layer(weights):
    return torch.tanh(weights @ s_in)


# Your code here: vjp_W with one backward pass, then J_W with jacobian, and the comparison.

# %% tags=["solution"]
(vjp_W,) = torch.autograd.grad(layer(Wm), Wm, grad_outputs=c_out)  # one pass
J_W = jacobian(layer, Wm.detach())
print("vjp_W", tuple(vjp_W.shape), "| J_W", tuple(J_W.shape))
assert vjp_W.shape == Wm.shape and J_W.shape == (3, 3, 4)  # out.shape + inp.shape
assert_close(vjp_W, torch.einsum("i,ikl->kl", c_out, J_W))
slope = c_out * (1 - layer(Wm).detach() ** 2)  # c_i tanh'(z_i), one per output
assert_close(vjp_W, torch.outer(slope, s_in))  # row i of W only feeds output i

# %% [markdown] tags=["solution"]
# `J_W` has shape (3, 3, 4): one (3, 4) matrix per output, as many numbers as outputs times
# weights. Output $i$ depends only on row $i$ of $W$, so most of `J_W` is zero, and the VJP is
# an outer product: row $i$ is $c_i \tanh'(z_i)\, s$. One backward pass gives it without
# building `J_W`.

# %% tags=["check", "hide-input"]
assert vjp_W.shape == Wm.shape, f"vjp_W should have W's shape (3, 4), not {tuple(vjp_W.shape)}"
assert torch.allclose(vjp_W, torch.einsum("i,ikl->kl", c_out, jacobian(layer, Wm.detach()))), (
    "vjp_W should equal c_out contracted with the full Jacobian over the output dimension"
)
assert J_W.shape == layer(Wm).shape + Wm.shape, "J_W's shape: the output's shape, then W's"
assert torch.allclose(J_W, jacobian(layer, Wm.detach())), "J_W should be jacobian(layer, W)"

# %% [markdown]
# ## `retain_graph` is about the graph, not about $v$
#
# $v$ chooses *which* weighted sum of the outputs to differentiate; any $v$ works on a graph.
# `retain_graph=True` only keeps the graph's saved values so that a *second* backward through
# the same graph can run, with the same or another $v$. Without it the second call fails.

# %%
inp.grad = None
out = (inp + 1).pow(2).t()
out.backward(v4, retain_graph=True)  # keep the graph for one more call
first = inp.grad.clone()
out.backward(2 * v4)  # another v, same graph: allowed, and it adds into .grad
assert_close(inp.grad, 3 * first)
raised = False
try:
    out.backward(v4)  # the graph was freed by the previous call
except RuntimeError as err:
    raised = True
    print(f"{type(err).__name__}: {str(err).split(' (or ')[0][:76]}...")
assert raised

# %% [markdown]
# ## Gradients accumulate
#
# `backward` **adds** into `.grad`; it never overwrites.
# Two backward calls with the same $v$ leave $2\, v^\top J$ behind.
# This is deliberate: it lets you sum gradients over several losses or mini-batches.

# %%
x.grad = None
for _ in range(2):
    f(x).backward(v)
print("after 2 calls:", x.grad.cpu())
print("2 * v @ J:    ", (2 * v @ J).cpu())
assert_close(x.grad, 2 * (v @ J))

# %% [markdown] tags=["handout-only"]
# ## The bug: forgetting to clear
#
# Gradient descent on $(w - 3)^2$, 20 steps, learning rate 0.1.
# Without clearing, each step uses the sum of **all** past gradients,
# overshoots and ends far from the minimum at $w = 3$.

# %% tags=["handout-only"]
for clear in (True, False):
    w = torch.zeros((), device=device, requires_grad=True)
    for _ in range(20):
        loss = (w - 3) ** 2
        loss.backward()
        with torch.no_grad():
            w -= 0.1 * w.grad
        if clear:
            w.grad = None
    print(f"clear={clear!s:5}  w={w.item():.3f}  loss={loss.item():.4f}")
    assert loss.item() < 0.01 if clear else loss.item() > 1.0

# %% [markdown] tags=["notes"]
# The bug is silent: no error, the loss just behaves strangely (slow, oscillating
# or diverging). Rule of thumb: in every training loop, clear gradients once per
# step, either right before `backward` or right after the update. With an
# optimizer that is `optimizer.zero_grad()`.

# %% [markdown] tags=["handout-only"]
# ## Clearing: `zero_()` or `None`
#
# - `x.grad.zero_()` keeps the tensor and fills it with zeros
# - `x.grad = None` drops it; the next backward writes a fresh tensor
#
# `optimizer.zero_grad()` sets `None` by default: it saves memory and a kernel.

# %% tags=["handout-only"]
f(x).backward(v)
x.grad.zero_()
assert torch.count_nonzero(x.grad) == 0
x.grad = None
assert x.grad is None
f(x).backward(v)
torch.optim.SGD([x], lr=0.1).zero_grad()  # an optimizer's default also sets None
assert x.grad is None
f(x).backward(v)
assert_close(x.grad, v @ J)  # one clean VJP again
print("after clearing and one backward:", x.grad.cpu())

# %% [markdown]
# ## Sensitivity analysis: weights say what you care about
#
# Weights $w$ on the outputs define an objective $s = \sum_i w_i y_i$.
# Then $w^\top J$ tells how much $s$ moves per unit change of each input.
# Different $w$, different answer: $x_3$ does not affect $y_1$ at all.

# %%
for weights in ([1.0, 0.0], [0.0, 1.0], [0.5, 0.5]):
    w_out = torch.tensor(weights, device=device)
    (sens,) = torch.autograd.grad(f(x), x, grad_outputs=w_out)
    print(f"w={weights}  sensitivity={sens.cpu()}")
    assert_close(sens, w_out @ J)
(only_y1,) = torch.autograd.grad(f(x), x, grad_outputs=torch.tensor([1.0, 0.0], device=device))
assert only_y1[2] == 0  # W[0, 2] = 0, so y_1 ignores x_3

# %% [markdown] tags=["notes"]
# Indexing: the prose uses 1-based math ($x_1 \dots x_4$, $y_1, y_2$), the code
# 0-based (`x[0]` ... `x[3]`). Say this out loud once. Ask the class what the
# sensitivity of $x_4$ is for $w = (0, 1)$ before running the cell (zero,
# because `W[1, 3] = 0`).

# %% [markdown]
# ## Sweeping the weights
#
# Mix the two outputs with $v = (\alpha,\ 1 - \alpha)$ for $\alpha$ from 0 to 1.
# Because a VJP is linear in $v$, each input's gradient moves on a straight line
# $\alpha J_{1,:} + (1-\alpha) J_{2,:}$.

# %%
alphas = torch.linspace(0, 1, 21, device=device)
sweep = torch.stack(
    [
        torch.autograd.grad(f(x), x, grad_outputs=torch.stack([a, 1 - a]))[0]
        for a in alphas
    ]
)
print("sweep shape (alphas, inputs):", tuple(sweep.shape))
assert_close(sweep, alphas[:, None] * J[0] + (1 - alphas)[:, None] * J[1])

# %% [markdown]
# ## How gradients redistribute across the inputs

# %% alt="Line plot of the gradient of alpha times y1 plus (1 - alpha) times y2 with respect to each input, as the weight alpha goes from 0 to 1. Every line is straight: x1 rises from 0.12 to 0.61, x2 falls from 0.59 to -0.31, x3 rises from -0.41 to 0, and x4 rises from 0 to 0.49."
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7, 3.5))
for j in range(4):
    ax.plot(alphas.cpu(), sweep[:, j].cpu(), marker="o", ms=3, label=f"$x_{j + 1}$")
ax.axhline(0, color="gray", lw=0.8)
ax.set_title(r"Gradient of $\alpha y_1 + (1-\alpha) y_2$ for each input")
ax.set_xlabel(r"weight $\alpha$ on output $y_1$")
ax.set_ylabel("gradient")
ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Reading the figure
#
# - $x_2$ helps $y_2$ but hurts $y_1$: its gradient changes sign at some $\alpha^*$
# - $x_3$ fades to zero and $x_4$ grows: each matters for only one output
# - The most influential input changes: $x_2$ at $\alpha = 0$, $x_1$ at $\alpha = 1$

# %%
alpha_star = J[1, 1] / (J[1, 1] - J[0, 1])
v_star = torch.stack([alpha_star, 1 - alpha_star])
print(f"x_2 changes sign at alpha* = {alpha_star.item():.3f}")
assert J[0, 1] < 0 < J[1, 1]  # x_2 hurts y_1, helps y_2
assert_close(float((v_star @ J)[1]), 0.0, atol=1e-6, rtol=0)
top_at_0 = int(sweep[0].abs().argmax())
top_at_1 = int(sweep[-1].abs().argmax())
print(f"most influential input: x_{top_at_0 + 1} at alpha=0, x_{top_at_1 + 1} at alpha=1")
assert (top_at_0, top_at_1) == (1, 0)
assert sweep[0, 2] != 0 and sweep[-1, 2] == 0 and sweep[0, 3] == 0 and sweep[-1, 3] != 0

# %% [markdown] tags=["notes"]
# Misconception to address: "input sensitivity" is not a property of the model
# alone. It depends on the question, i.e. on the weights. Saying "x_2 is
# important" without saying for which weighted objective is incomplete.

# %% [markdown] tags=["exercise"]
# ## Exercise: weighted sensitivity of a tensor output
#
# A model turns 5 control knobs $x$ into 3 quality scores $y = \sigma(Bx)$.
# Team A weighs the scores with $w_A = (0.6, 0.3, 0.1)$, team B with
# $w_B = (0.1, 0.3, 0.6)$.
#
# 1. For each team, compute the sensitivity $w^\top J$ with **one** backward pass
#    (use `torch.autograd.grad` with `grad_outputs`): `sens_A` and `sens_B`. Count the
#    passes with a hook, as in the row-by-row slide.
# 2. Check it against `w @ J` from `jacobian` and against the gradient of `(w * y).sum()`.
# 3. Which knob (numbered 0 to 4, as in the code) is most influential for each team
#    (`top_A`, `top_B`)? Which knobs have opposite signs (turning them up helps one team,
#    hurts the other)? List them in order as `opposite`.

# %% tags=["exercise"]
rows_B = [[0.9, 0.0, -0.4, 0.3, 0.0], [0.0, 1.2, 0.5, 0.0, -0.3], [-0.2, 0.0, 0.0, 1.0, 0.6]]
B = torch.tensor(rows_B, device=device)
knobs = torch.tensor([0.2, -0.5, 0.4, 0.3, -0.1], device=device, requires_grad=True)
w_A = torch.tensor([0.6, 0.3, 0.1], device=device)
w_B = torch.tensor([0.1, 0.3, 0.6], device=device)


def model(inp):
    return torch.sigmoid(B @ inp)


# Your code here: sensitivities for w_A and w_B, checks, most influential knobs.

# %% tags=["solution"]
calls.clear()
hook = knobs.register_hook(lambda grad: calls.append(1))
(sens_A,) = torch.autograd.grad(model(knobs), knobs, grad_outputs=w_A)
(sens_B,) = torch.autograd.grad(model(knobs), knobs, grad_outputs=w_B)
hook.remove()
assert len(calls) == 2  # one backward pass per team, never the full 3 x 5 Jacobian

# %% tags=["solution"]
J_knobs = jacobian(model, knobs.detach())
assert_close(sens_A, w_A @ J_knobs)
assert_close(sens_B, w_B @ J_knobs)
(check_A,) = torch.autograd.grad((w_A * model(knobs)).sum(), knobs)
assert_close(sens_A, check_A)
print("team A:", sens_A.cpu())
print("team B:", sens_B.cpu())

# %% tags=["solution"]
top_A = int(sens_A.abs().argmax())
top_B = int(sens_B.abs().argmax())
opposite = [j for j in range(5) if float(sens_A[j] * sens_B[j]) < 0]
print(f"most influential: team A -> knob {top_A}, team B -> knob {top_B}")
print("knobs with opposite signs:", opposite)
assert top_A == 0 and top_B == 3
assert opposite == [0, 2, 4]
assert_close(sens_A[1], sens_B[1])  # knob 1 only feeds the second score

# %% [markdown] tags=["solution"]
# Team A's objective is driven by knob 0, team B's by knob 3. Knobs 0, 2 and 4
# pull the two teams in opposite directions, so any change to them is a trade-off.
# Knob 1 helps both equally: it only feeds the second score, which both teams weigh 0.3.

# %% tags=["check", "hide-input", "handout-only"]
assert torch.allclose(sens_A, w_A @ jacobian(model, knobs.detach())), "sens_A should be w_A J"
assert torch.allclose(sens_B, w_B @ jacobian(model, knobs.detach())), "sens_B should be w_B J"
assert top_A == int(sens_A.abs().argmax()) and top_B == int(sens_B.abs().argmax()), (
    "top_A and top_B: the knob with the largest |sensitivity| for each team"
)
assert opposite == [j for j in range(5) if sens_A[j] * sens_B[j] < 0], (
    "opposite: the knobs, in order, where the two teams' sensitivities differ in sign"
)

# %% [markdown]
# ## Summary
#
# - `backward()` needs a scalar; for a tensor output you must choose weights $v$
# - `y.backward(v)` and `autograd.grad(..., grad_outputs=v)` compute $v^\top J$ in one pass;
#   `torch.func.jvp` computes $J u$ in one forward pass (`jacrev`: $m$ passes, `jacfwd`: $n$)
# - `x.grad` then holds the gradient of $\sum_i v_i y_i$; $J$ itself ($m$ passes) is rarely needed
# - `retain_graph=True` allows a second backward through one graph; it says nothing about $v$
# - `.grad` accumulates: clear it every step (`= None` or `zero_()`)
# - Sensitivity depends on the question: the weights on the outputs decide it
