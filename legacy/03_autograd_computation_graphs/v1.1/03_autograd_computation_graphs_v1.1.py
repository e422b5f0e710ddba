# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "Autograd and Computation Graphs"
#     version: "1.1"
#     date: "2026-11-28"
#     summary:
#       - "The DAG behind autograd: forward builds it, backward walks it"
#       - "grad_fn, next_functions, leaf and intermediate tensors, retain_grad"
#       - "Freed graphs, retain_graph=True and gradient accumulation in .grad"
#       - "Tracing gradient flow with hooks; define-by-run control flow"
#       - "Walking the graph in code and drawing it with matplotlib"
#       - "Higher-order derivatives with create_graph, and what grad(dy.sum(), x) really is"
#       - "no_grad, inference_mode, detach, and the in-place version counter"
# ---

# %% [markdown]
# ## What you will learn
#
# - What graph autograd records during the forward pass, and how backward walks it
# - How to inspect that graph yourself: `grad_fn`, `next_functions`, hooks
# - Why `.grad` accumulates, and why a second `backward()` can fail
# - How to take second derivatives, and how to switch recording off
# - Why an in-place edit can break backward, and how `clone()` avoids it

# %% [markdown]
# ## Setup
#
# One helper, `node_name`, prints a graph node by its class name only.
# The default repr of a node contains a memory address, which changes every run.
# (A second, `first_sentence(err)`, shortens error messages; it is in the handout.)

# %%
import re
import textwrap
import warnings

import matplotlib.pyplot as plt
import torch

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("device:", device)


def node_name(fn):
    """Class name of a graph node, e.g. 'MulBackward0'; 'None' for no node."""
    return "None" if fn is None else type(fn).__name__


# %% tags=["handout-only"]
def first_sentence(err):
    """An error's first sentence, wrapped, without the tensor type (it names the device)."""
    sentence = re.sub(r"\[torch\.[^]]*\]\]", "[...]", str(err).split(". ")[0])
    return textwrap.fill(sentence, 80)


# %% [markdown]
# ## The graph behind autograd
#
# Autograd records every operation on tensors that require gradients as a
# **directed acyclic graph** (DAG). Running example: $L = (a b + a)^2$ with $a = 2$, $b = 3$.
#
# Each node is the *backward function* of one operation; each edge points to the
# node that produced one of its inputs. No cycles: an op only uses tensors that already exist.

# %% [markdown] tags=["notes"]
# Draw the graph on the board before running any code: L at the top, a and b at the
# bottom, and a reached by two paths. Ask: "Is this a tree?" It is not, because a is
# used twice; that is exactly why it is a DAG and why gradients from two paths add up.
# Stress that the edges point from outputs back towards inputs: the graph is stored
# in the direction backward will travel.

# %% [markdown]
# ## Forward pass = graph construction
#
# Every operation computes its value *and* attaches a node to the result's `grad_fn`.
# We wrap the running example in `build()` so we can get a fresh graph at any time.

# %%
def build():
    a = torch.tensor(2.0, device=device, requires_grad=True)
    b = torch.tensor(3.0, device=device, requires_grad=True)
    c = a * b  # records MulBackward0
    d = c + a  # records AddBackward0
    L = d**2  # records PowBackward0
    return a, b, c, d, L

a, b, c, d, L = build()
for name, t in [("a", a), ("b", b), ("c", c), ("d", d), ("L", L)]:
    print(f"{name} = {t.item():4.0f}   grad_fn = {node_name(t.grad_fn)}")
assert a.grad_fn is None and node_name(L.grad_fn) == "PowBackward0"

# %% [markdown]
# ## Backward pass = graph traversal
#
# `L.backward()` starts at $L$ with $\partial L / \partial L = 1$ and visits nodes from the
# output towards the inputs. Each node multiplies the incoming gradient by its local
# derivative. By the chain rule, with $d = 8$:
#
# $$\frac{\partial L}{\partial a} = 2d\,(b + 1) = 64, \qquad
# \frac{\partial L}{\partial b} = 2d\,a = 32$$

# %%
L.backward()
print("a.grad =", a.grad.item(), "  b.grad =", b.grad.item())
torch.testing.assert_close(a.grad, torch.tensor(64.0, device=device))
torch.testing.assert_close(b.grad, torch.tensor(32.0, device=device))

# %% [markdown] tags=["notes"]
# The key mental model: forward runs your Python code and, as a side effect, builds a
# data structure; backward is a graph algorithm over that data structure. It does not
# re-run your Python code. Misconception to address: "backward recomputes the forward".
# It does not; it uses values saved during the forward pass (for example, MulBackward0
# saved a and b, PowBackward0 saved d).

# %% [markdown]
# ## `grad_fn` and `next_functions`
#
# `t.grad_fn` is the node that produced `t`. Its `next_functions` is a tuple of
# `(node, index)` pairs, one per input: the edges of the graph. The index says which
# output of that node fed this input (it matters only for ops with several outputs).

# %%
a, b, c, d, L = build()
node = L.grad_fn
for _ in range(3):
    edges = [(node_name(fn), i) for fn, i in node.next_functions]
    print(f"{node_name(node):13} -> {edges}")
    node = node.next_functions[0][0]  # follow the first edge
assert node_name(node) == "AccumulateGrad"

# %% [markdown] tags=["handout-only"]
# ## `AccumulateGrad`: where the graph ends
#
# A leaf that requires grad is represented by an `AccumulateGrad` node. Its job is to
# add the arriving gradient into the leaf's `.grad`. There is **one** such node per
# leaf: both paths from $L$ to $a$ end in the very same node object.

# %% tags=["handout-only"]
add = d.grad_fn
mul = c.grad_fn
acc_a = add.next_functions[1][0]  # the direct edge d -> a
print("node for a:", node_name(acc_a), "| same node via c:", mul.next_functions[0][0] is acc_a)
print("acc_a.variable is a:", acc_a.variable is a)
assert mul.next_functions[0][0] is acc_a and acc_a.variable is a

# %% [markdown]
# ## Leaf and intermediate tensors
#
# A **leaf** is a tensor you created directly, not the result of a recorded op.
# Only leaves with `requires_grad=True` get their `.grad` filled in by `backward()`.
# A constant such as `k` below is a leaf too, but nothing is recorded for it.

# %%
k = torch.tensor(5.0, device=device)  # a constant: requires_grad=False
for name, t in [("a", a), ("k", k), ("c", c), ("d", d), ("L", L)]:
    print(
        f"{name}: is_leaf={t.is_leaf!s:5}  requires_grad={t.requires_grad!s:5}  "
        f"grad_fn={node_name(t.grad_fn)}"
    )
assert a.is_leaf and k.is_leaf and not c.is_leaf and not L.is_leaf

# %% [markdown] tags=["handout-only"]
# ## Reading `.grad` of an intermediate
#
# After `backward()`, intermediates like `c` keep `.grad = None`: their gradients were
# computed, used and thrown away to save memory. Reading it gives `None` plus a
# `UserWarning` (caught here so the output stays short).

# %% tags=["handout-only"]
L.backward()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    c_grad = c.grad
print("c.grad:", c_grad)
print(caught[0].category.__name__ + ":", str(caught[0].message)[:62] + "...")
assert c_grad is None and a.grad is not None and len(caught) == 1

# %% [markdown]
# ## Pitfall: a "parameter" that is not a leaf
#
# Scaling a freshly created tensor records an op, so the result is *not* a leaf and its
# `.grad` stays `None`. Fix: do the math first, then mark the result as trainable.

# %%
torch.manual_seed(0)
w_bad = torch.randn(3, device=device, requires_grad=True) * 0.01  # a MulBackward0 result
w_good = (torch.randn(3, device=device) * 0.01).requires_grad_()  # a leaf
(w_bad.sum() + w_good.sum()).backward()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # reading .grad of a non-leaf warns
    print("w_bad : is_leaf =", w_bad.is_leaf, "  grad =", w_bad.grad)
    assert not w_bad.is_leaf and w_bad.grad is None
print("w_good: is_leaf =", w_good.is_leaf, "  grad =", w_good.grad.tolist())
torch.testing.assert_close(w_good.grad, torch.ones(3, device=device))

# %% [markdown] tags=["notes"]
# This is one of the most common beginner bugs: the model "does not learn" because the
# optimizer holds tensors whose .grad is always None. The rule of thumb: a tensor you
# want to train must be created with requires_grad=True *as the last step*, or be an
# nn.Parameter. Ask the room to predict w_bad.is_leaf before running the cell.

# %% [markdown]
# ## `retain_grad()`: keep an intermediate's gradient
#
# If you need the gradient of an intermediate (for debugging or analysis), ask for it
# before calling `backward()`. Here $\partial L / \partial c = 2d = 16$.

# %%
a, b, c, d, L = build()
c.retain_grad()
L.backward()
print("c.grad =", c.grad.item(), "  c.is_leaf =", c.is_leaf)
torch.testing.assert_close(c.grad, torch.tensor(16.0, device=device))

# %% [markdown]
# ## Backward frees the graph
#
# To save memory, `backward()` releases the values each node saved (Mul saved $a$ and
# $b$, Pow saved $d$). A second `backward()` through the same graph then fails.

# %%
a, b, c, d, L = build()
L.backward()
raised = False
try:
    L.backward()
except RuntimeError as err:
    raised = True
    print(type(err).__name__ + ":", str(err).splitlines()[0][:58] + "...")
assert raised

# %% [markdown]
# **Fix:** in training you rarely need this; each step runs a new forward pass and so
# builds a new graph. If you really need two passes, use `retain_graph=True`.

# %% [markdown]
# ## `retain_graph=True`, and gradients accumulate
#
# With `retain_graph=True` the saved values survive, so backward can run again.
# Note what happens to `a.grad`: backward **adds** into `.grad`, it never overwrites.

# %%
a, b, c, d, L = build()
L.backward(retain_graph=True)
print("after 1st backward: a.grad =", a.grad.item())
L.backward()
print("after 2nd backward: a.grad =", a.grad.item())
assert a.grad.item() == 2 * 64

# %% [markdown] tags=["handout-only"]
# ## Accumulation is a feature: zero your gradients
#
# Two backward calls give the gradient of the **sum** of the two losses:
# $\frac{d}{da}(a^2) + \frac{d}{da}(3a) = 2a + 3 = 7$ at $a = 2$. This is how you
# accumulate over several mini-batches. The flip side: reset `.grad` every training step.

# %% tags=["handout-only"]
a = torch.tensor(2.0, device=device, requires_grad=True)
(a**2).backward()
(3 * a).backward()
print("a.grad after two losses:", a.grad.item())
assert a.grad.item() == 2 * 2.0 + 3
a.grad = None  # what optimizer.zero_grad() does by default
print("a.grad after reset:", a.grad)

# %% [markdown] tags=["notes"]
# Ask: "Why would PyTorch accumulate instead of overwrite?" Answers: a parameter used in
# several places (weight sharing) must sum contributions; and gradient accumulation lets
# you simulate a large batch with several small ones. The misconception is that
# backward "sets" the gradient. Forgetting zero_grad() makes each step use the sum of
# all past gradients, and training diverges or behaves strangely.

# %% [markdown]
# ## Tracing gradient flow: tensor hooks
#
# `t.register_hook(f)` calls `f(grad)` when the gradient with respect to `t` is computed.
# Recording the calls shows the order of the traversal: from $L$ down to the leaves.

# %%
a, b, c, d, L = build()
flow = []
for name, t in [("a", a), ("b", b), ("c", c), ("d", d), ("L", L)]:
    t.register_hook(lambda g, name=name: flow.append((name, g.item())))
L.backward()
for name, g in flow:
    print(f"dL/d{name} = {g:4.0f}")
assert [name for name, _ in flow][:3] == ["L", "d", "c"]  # output first, leaves last

# %% [markdown] tags=["handout-only"]
# ## Tracing gradient flow: node hooks
#
# A node hook sees what arrives at a node (`grad_outputs`) and what it sends down each
# edge (`grad_inputs`). Where two edges meet, gradients **add**: $a$ gets
# $16$ from Add plus $48$ from Mul.

# %% tags=["handout-only"]
a, b, c, d, L = build()


def fmt(grads):
    return [None if g is None else g.item() for g in grads]


def report(name):
    return lambda g_in, g_out: print(f"{name}: receives {fmt(g_out)}, sends {fmt(g_in)}")


for name, fn in [("Pow", L.grad_fn), ("Add", d.grad_fn), ("Mul", c.grad_fn)]:
    fn.register_hook(report(name))
L.backward()
assert a.grad.item() == 16 + 48

# %% [markdown]
# ## Define-by-run: the code *is* the graph
#
# In eager mode there is no graph declared ahead of time. PyTorch records the operations
# that actually ran, so Python `if` and `while` decide the graph's shape, per input.
# `chain` follows the first edge of each node down to a leaf.

# %%
def f(x):
    y = x if x.item() > 0 else -x  # branch chosen by the value
    while y.item() < 10:  # number of steps chosen by the value
        y = y * 2
    return y


def chain(t):
    names, fn = [], t.grad_fn
    while fn is not None:
        names.append(node_name(fn).replace("Backward0", ""))
        fn = next((nxt for nxt, _ in fn.next_functions if nxt is not None), None)
    return " <- ".join(names)


# %% [markdown]
# ## Different inputs, different graphs
#
# Three inputs give three graphs. The gradient is the derivative of the path that
# was taken: $\pm 2^n$ for $n$ doublings. The conditions themselves are not differentiated.

# %%
for value in [3.0, 1.5, -3.0]:
    x = torch.tensor(value, device=device, requires_grad=True)
    y = f(x)
    y.backward()
    n = chain(y).count("Mul")
    print(f"x = {value:4}: {chain(y):36} dy/dx = {x.grad.item():3.0f}")
    assert x.grad.item() == (1 if value > 0 else -1) * 2**n

# %% [markdown] tags=["notes"]
# Contrast with static-graph frameworks, where loops and branches needed special graph
# operators. Here control flow is ordinary Python, so you can debug with print and
# breakpoints. The price is that the graph is rebuilt on every forward pass (cheap
# compared to the math). Warn: the gradient ignores the branch decision itself; a
# function with an `if` on the value is only piecewise differentiable.

# %% [markdown] tags=["handout-only"]
# ## Walking the graph programmatically
#
# A recursive function over `next_functions` collects every node and edge. A node's depth
# is its **longest** distance from the output, so a shared node sits below all its parents.

# %% tags=["handout-only"]
def walk(root, leaves):
    """Return {node: (label, depth)} and a list of (parent, child) edges below root."""
    nodes, edges = {}, {}  # dicts keep insertion order: deterministic output

    def visit(fn, depth):
        if fn in nodes and nodes[fn][1] >= depth:
            return
        label = node_name(fn)
        if label == "AccumulateGrad":  # name the leaf it feeds
            label += " (" + next(n for n, t in leaves.items() if t is fn.variable) + ")"
        nodes[fn] = (label, depth)
        for child, _ in fn.next_functions:
            if child is not None:
                edges[(fn, child)] = None
                visit(child, depth + 1)

    visit(root, 0)
    return nodes, list(edges)


# %% [markdown]
# ## The running example, walked
#
# `walk(root, leaves)` (in the handout) follows `next_functions` recursively and collects every
# node with its depth, the **longest** distance from the output, and every edge. Five nodes,
# five edges: `AccumulateGrad (a)` appears once, at depth 3, though two edges lead to it.

# %%
a, b, c, d, L = build()
nodes, edges = walk(L.grad_fn, {"a": a, "b": b})
for parent, child in edges:
    (p_label, p_depth), (c_label, c_depth) = nodes[parent], nodes[child]
    print(f"[{p_depth}] {p_label:14} -> [{c_depth}] {c_label}")
assert len(nodes) == 5 and len(edges) == 5
assert nodes[d.grad_fn.next_functions[1][0]] == ("AccumulateGrad (a)", 3)

# %% [markdown] tags=["handout-only"]
# ## Drawing the graph: layout by depth
#
# Each depth becomes a row; nodes in a row are spread out and centered on zero.

# %% tags=["handout-only"]
def layout(nodes):
    rows = {}
    for fn, (_, depth) in nodes.items():
        rows.setdefault(depth, []).append(fn)
    return {
        fn: (i - (len(row) - 1) / 2, -depth)
        for depth, row in rows.items()
        for i, fn in enumerate(row)
    }


for fn, (x_pos, y_pos) in layout(nodes).items():
    print(f"{nodes[fn][0]:18} x = {x_pos:4}  y = {y_pos}")

# %% [markdown] tags=["handout-only"]
# ## Drawing the graph: boxes
#
# Each node is an `ax.text` with a rounded `bbox`: blue for operations, yellow for
# leaves. We keep the box patches so that arrows can stop exactly at their edges.

# %% tags=["handout-only"]
def draw_boxes(ax, nodes, pos):
    boxes = {}
    for fn, (label, _) in nodes.items():
        color = "lightyellow" if label.startswith("AccumulateGrad") else "lightblue"
        text = ax.text(*pos[fn], label.replace(" (", "\n("), ha="center", va="center",
                       bbox=dict(boxstyle="round", fc=color))
        boxes[fn] = text.get_bbox_patch()
    return boxes


# %% [markdown] tags=["handout-only"]
# ## Drawing the graph: arrows
#
# Each edge is an `ax.annotate` arrow from parent to child, the direction in which the
# gradient flows. Edges that skip a row are bent outward so they do not cross boxes.

# %% tags=["handout-only"]
def draw(nodes, edges, title):
    pos = layout(nodes)
    fig, ax = plt.subplots(figsize=(7, 3.5))
    boxes = draw_boxes(ax, nodes, pos)
    for parent, child in edges:
        (x0, y0), (x1, y1) = pos[parent], pos[child]
        bend = (0.4 if x1 <= x0 else -0.4) if y0 - y1 > 1 else 0.0
        arrow = dict(arrowstyle="-|>", color="gray", patchA=boxes[parent], patchB=boxes[child],
                     connectionstyle=f"arc3,rad={bend}")
        ax.annotate("", xy=pos[child], xytext=pos[parent], arrowprops=arrow)
    depths = sorted({depth for _, depth in nodes.values()})
    ax.set(xlim=(-1.5, 1.5), ylim=(-depths[-1] - 0.5, 0.5), xticks=[], title=title)
    ax.set(yticks=[-k for k in depths], yticklabels=depths, xlabel="nodes at the same depth")
    ax.set_ylabel("depth (steps from output)")
    plt.show()


# %% [markdown]
# ## The backward graph of $L = (ab + a)^2$
#
# Drawn by `draw(nodes, edges, title)` (matplotlib; in the handout) from what `walk` found:
# blue boxes are operations, yellow boxes are leaves. Gradients flow along the arrows.

# %% alt="Backward graph of L = (a*b + a)**2, drawn top to bottom by depth. PowBackward0 at depth 0 points to AddBackward0 at depth 1. AddBackward0 points to MulBackward0 at depth 2 and directly to the leaf AccumulateGrad (a) at depth 3. MulBackward0 points to the leaves AccumulateGrad (a) and AccumulateGrad (b), so a receives gradient along two paths."
draw(nodes, edges, "Backward graph of L = (a*b + a)**2")

# %% [markdown] tags=["notes"]
# Point out that this is the graph autograd really stores, not a diagram someone drew:
# it was read from grad_fn and next_functions. The two arrows into AccumulateGrad (a)
# are the two paths whose gradients add up (16 + 48). Tools such as torchviz do the
# same walk; writing it yourself shows there is no magic.

# %% [markdown]
# ## Higher-order derivatives: `create_graph=True`
#
# Normally backward's own computations are not recorded. With `create_graph=True` they
# are, so the gradient is itself a graph output we can differentiate again.
# For $y = \sum_i x_i^3$: $\partial y / \partial x_i = 3x_i^2$ and
# $\partial^2 y / \partial x_i^2 = 6x_i$.

# %%
x = torch.tensor([-1.0, 0.5, 2.0], device=device, requires_grad=True)
y = (x**3).sum()  # a scalar
(dy,) = torch.autograd.grad(y, x, create_graph=True)
(d2y,) = torch.autograd.grad(dy.sum(), x)  # the gradient of sum_i dy_i
print("dy/dx   =", dy.tolist(), "  grad_fn:", node_name(dy.grad_fn))
print("d2y/dx2 =", d2y.tolist())
torch.testing.assert_close(dy, 3 * x**2)
torch.testing.assert_close(d2y, 6 * x)

# %% [markdown]
# ## `grad(dy.sum(), x)` is $H\mathbf{1}$, not the Hessian's diagonal
#
# Differentiating `dy.sum()` gives each row sum of the Hessian $H$. That equals the diagonal
# only when $H$ is diagonal, as for the element-wise $x^3$. For $y = x_0^2 x_1$ at $(1, 2)$,
# $H = \begin{bmatrix} 2x_1 & 2x_0 \\ 2x_0 & 0 \end{bmatrix}$:
# $H\mathbf{1} = (6, 2)$, but the diagonal is $(4, 0)$.

# %%
xy = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
(g,) = torch.autograd.grad(xy[0] ** 2 * xy[1], xy, create_graph=True)
(row_sums,) = torch.autograd.grad(g.sum(), xy)
H = torch.autograd.functional.hessian(lambda t: t[0] ** 2 * t[1], xy.detach())
print("grad(g.sum()) =", row_sums.tolist(), "| diag(H) =", H.diag().tolist())
torch.testing.assert_close(row_sums, H @ torch.ones(2, device=device))
assert row_sums.tolist() == [6.0, 2.0] and H.diag().tolist() == [4.0, 0.0]

# %% [markdown] tags=["handout-only"]
# ## Pitfall: second derivative without `create_graph`
#
# Without `create_graph=True`, the first gradient is a plain tensor with no history,
# so there is nothing to differentiate a second time.

# %% tags=["handout-only"]
(dy_plain,) = torch.autograd.grad((x**3).sum(), x)
print("dy_plain.requires_grad:", dy_plain.requires_grad)
raised = False
try:
    torch.autograd.grad(dy_plain.sum(), x)
except RuntimeError as err:
    raised = True
    print(type(err).__name__ + ":", str(err).splitlines()[0][:62] + "...")
assert raised and dy_plain.grad_fn is None

# %% [markdown] tags=["notes"]
# Use torch.autograd.grad for higher derivatives rather than x.grad: it returns the
# gradient without touching .grad, so nothing accumulates by accident. Second
# derivatives show up in practice in gradient penalties (WGAN-GP), meta-learning and
# physics-informed networks. They cost memory: the backward graph is kept as well.

# %% [markdown] tags=["handout-only"]
# ## Stopping the graph: `torch.no_grad()`
#
# Inside `torch.no_grad()`, nothing is recorded: results have no `grad_fn`.
# Use it for evaluation, and for updating parameters in place during training.

# %% tags=["handout-only"]
a, b, c, d, L = build()
L.backward()
with torch.no_grad():
    e = a * b + a  # same math, no graph
    a -= 0.01 * a.grad  # a gradient-descent step: 2 - 0.01 * 64
print("e.grad_fn:", node_name(e.grad_fn), "| e.requires_grad:", e.requires_grad)
print("a after the step:", round(a.item(), 2), "| still a leaf:", a.is_leaf)
assert e.grad_fn is None and not e.requires_grad
assert a.is_leaf and abs(a.item() - 1.36) < 1e-6

# %% [markdown] tags=["handout-only"]
# ## Pitfall: updating a parameter outside `no_grad`
#
# The same step without `no_grad` would record an in-place op on a leaf that requires
# grad, turning it into a non-leaf. Autograd refuses.

# %% tags=["handout-only"]
raised = False
try:
    a -= 0.01 * a.grad  # the same step, but recorded
except RuntimeError as err:
    raised = True
    print(type(err).__name__ + ":", str(err).splitlines()[0][:60] + "...")
assert raised

# %% [markdown]
# ## Stopping the graph: `detach()`
#
# `t.detach()` returns a tensor with the same data (shared memory) but no history, so
# autograd treats it as a constant. For $a = 3$: $\frac{d}{da}(a \cdot a) = 2a = 6$, but
# with one factor detached the gradient is just $a = 3$.

# %%
a = torch.tensor(3.0, device=device, requires_grad=True)
a_const = a.detach()
same_memory = a_const.data_ptr() == a.data_ptr()
print("a_const.requires_grad:", a_const.requires_grad, "| shares memory:", same_memory)
(a * a).backward()
print("d/da (a * a)          =", a.grad.item())
assert a.grad.item() == 2 * 3.0
a.grad = None
(a * a_const).backward()
print("d/da (a * a.detach()) =", a.grad.item())
assert a.grad.item() == 3.0 and a_const.data_ptr() == a.data_ptr()

# %% [markdown]
# ## In-place changes break saved values
#
# Some nodes save tensors for backward (`sigmoid` saves its output). Every tensor has a
# **version counter** that each in-place op bumps; backward checks that what it saved is
# unchanged, and refuses otherwise.

# %%
x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
s = x.sigmoid()  # SigmoidBackward0 saves s itself
s.mul_(2)  # in place: s is now at version 1
message = ""
try:
    s.sum().backward()
except RuntimeError as err:
    message = str(err)
    print(first_sentence(err))
assert "modified by an inplace operation" in message

# %% [markdown]
# ## `detach()` shares the counter; `clone()` copies
#
# A detached tensor shares memory *and* the counter: editing it in place breaks backward
# just the same. Edit a `.clone()` instead, and backward works.

# %%
x = torch.tensor([1.0, 2.0], device=device, requires_grad=True)
e = x.exp()  # ExpBackward0 saves its output e
e.detach().zero_()  # same memory, same counter
message = ""
try:
    e.sum().backward()
except RuntimeError as err:
    message = str(err)
    print(first_sentence(err))
assert "modified by an inplace operation" in message
e = x.exp()
e.detach().clone().zero_()  # a copy: e and its counter are untouched
e.sum().backward()
torch.testing.assert_close(x.grad, torch.exp(x.detach()))

# %% [markdown]
# ## `torch.inference_mode()`: `no_grad`, stricter
#
# For pure inference: nothing is recorded, and the results are *inference tensors* that
# autograd may never save. Use one in training code and the forward pass fails. Clone it
# first, or use `no_grad` where the result may meet autograd later.

# %%
w = torch.ones(2, device=device, requires_grad=True)
with torch.inference_mode():
    feats = torch.ones(2, device=device) * 3  # an inference tensor
print("is_inference:", feats.is_inference(), "| requires_grad:", feats.requires_grad)
message = ""
try:
    w * feats  # multiplication must save feats to compute w's gradient
except RuntimeError as err:
    message = str(err)
    print(first_sentence(err))
assert "Inference tensors cannot be saved for backward" in message
(w * feats.clone()).sum().backward()  # a clone is an ordinary tensor
torch.testing.assert_close(w.grad, torch.full((2,), 3.0, device=device))

# %% [markdown]
# ## `no_grad` or `detach`?
#
# | tool | what it stops | typical use |
# | --- | --- | --- |
# | `with torch.no_grad():` | recording of every op in the block | evaluation, parameter updates |
# | `with torch.inference_mode():` | the same; results never enter autograd | serving a model |
# | `t.detach()` | gradient flow through one tensor | targets, logging, stop-gradient tricks |
#
# Rule of thumb: if you never call backward on it, compute it under `no_grad`.

# %% [markdown] tags=["notes"]
# A detached tensor shares storage and the version counter with the original: an in-place
# change to one is visible in the other, and backward refuses if it needed the old value.
# Use .detach().clone() for an independent copy. inference_mode skips the version-counter
# and view bookkeeping that no_grad still does, which is why it is a little faster.

# %% [markdown] tags=["exercise"]
# ## Exercise: predict the graph
#
# For $y = e^{uv} - v$ at $u = 0$, $v = 2$, **before running anything**:
# (1) list the nodes from `y.grad_fn` down to the leaves, with their depths;
# (2) predict $\partial y / \partial u$ and $\partial y / \partial v$.
# Then check with `walk`, `draw` and `backward`.

# %% tags=["exercise"]
u = torch.tensor(0.0, device=device, requires_grad=True)
v = torch.tensor(2.0, device=device, requires_grad=True)
y = torch.exp(u * v) - v

# %% [markdown] tags=["solution"]
# Sub at depth 0, Exp at 1, Mul at 2, and the leaves at 3: `v` is used twice, so it sits
# below its deepest parent. Gradients: $\partial y/\partial u = v e^{uv} = 2$ and
# $\partial y/\partial v = u e^{uv} - 1 = -1$.

# %% tags=["solution"] alt="Backward graph of y = exp(u*v) - v, drawn top to bottom by depth. SubBackward0 at depth 0 points to ExpBackward0 at depth 1 and directly to the leaf AccumulateGrad (v) at depth 3. ExpBackward0 points to MulBackward0 at depth 2, which points to the leaves AccumulateGrad (u) and AccumulateGrad (v), so v receives gradient along two paths."
ex_nodes, ex_edges = walk(y.grad_fn, {"u": u, "v": v})
for label, depth in ex_nodes.values():
    print(f"depth {depth}: {label}")
y.backward()
print("du =", u.grad.item(), " dv =", v.grad.item())
assert [lbl for lbl, _ in ex_nodes.values()][:3] == ["SubBackward0", "ExpBackward0", "MulBackward0"]
assert u.grad.item() == 2.0 and v.grad.item() == -1.0
draw(ex_nodes, ex_edges, "Backward graph of y = exp(u*v) - v")

# %% [markdown] tags=["exercise"]
# ## Exercise: a second (and third) derivative
#
# For $g(x) = x e^x$, the derivatives are $g' = (x+1)e^x$, $g'' = (x+2)e^x$ and
# $g''' = (x+3)e^x$. Write `nth_derivative(y, x, n)` with `torch.autograd.grad`, compute
# $g''$ and $g'''$ at the points below, and check them against these formulas.

# %% tags=["exercise"]
x = torch.tensor([-2.0, 0.0, 1.0], device=device, requires_grad=True)

# %% tags=["solution"]
def nth_derivative(y, x, n):
    """d^n y / dx^n per element; the .sum() is valid because g acts on each x_i alone."""
    for _ in range(n):
        (grads,) = torch.autograd.grad(y, x, create_graph=True)  # keep the graph: go on
        y = grads.sum()
    return grads


g = (x * torch.exp(x)).sum()
g2, g3 = nth_derivative(g, x, 2), nth_derivative(g, x, 3)
print("g''  =", [round(val, 4) + 0.0 for val in g2.tolist()])
print("g''' =", [round(val, 4) + 0.0 for val in g3.tolist()])
torch.testing.assert_close(g2, (x + 2) * torch.exp(x))
torch.testing.assert_close(g3, (x + 3) * torch.exp(x))

# %% [markdown]
# ## Summary
#
# - Forward builds a DAG of backward nodes (`grad_fn`, `next_functions`); backward walks it
#   from the output to the `AccumulateGrad` leaves, adding gradients where paths meet.
# - Only leaves get `.grad`; use `retain_grad()` for intermediates. `.grad` accumulates: reset it.
# - The graph is freed after backward and rebuilt by every forward: define-by-run.
# - `create_graph=True` for higher derivatives (`grad(dy.sum(), x)` is $H\mathbf{1}$).
# - `no_grad()`, `inference_mode()` and `detach()` stop recording; in-place edits of saved
#   tensors (also through `detach()`) make backward fail: `clone()` first.
