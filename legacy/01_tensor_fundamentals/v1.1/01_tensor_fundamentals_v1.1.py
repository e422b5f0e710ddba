# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     notebook_metadata_filter: lesson
#     text_representation: {extension: .py, format_name: percent}
#   kernelspec: {name: python3, display_name: Python 3, language: python}
#   lesson:
#     title: "Tensor Fundamentals"
#     version: "1.1"
#     date: "2026-11-28"
#     summary:
#       - "Creating tensors from Python and NumPy, and when memory is shared"
#       - "Shapes and indexing: reshape, view, ..., cat/stack, squeeze/unsqueeze, broadcasting"
#       - "dtypes, type promotion (0-dim tensors too) and device placement: CPU, CUDA, MPS"
#       - "Element-wise vs matrix products, reductions with dim/keepdim, .item()"
#       - "In-place operations, aliasing through views, slice and mask assignment"
#       - "Random sampling with seeds and torch.Generator"
#       - "Getting data back to NumPy safely"
# ---

# %% [markdown]
# ## What you will learn
#
# Every number in a PyTorch model lives in a **tensor**: an n-dimensional array that also
# knows its **shape**, its **dtype** (element type) and its **device** (where it is stored).
# Most beginner bugs come from one of these three being different from what you assumed.
# This lesson makes each one visible and triggers the errors you will meet, on purpose.

# %% [markdown] tags=["notes"]
# Frame the lesson as "the three facts of a tensor": shape, dtype, device. When something
# breaks later in the course, the first debugging step is printing those three.
# Ask the room: "How is a tensor different from a NumPy array?" Expected answers: it can live
# on a GPU, and it can record operations for autograd. Everything else feels very similar,
# which is exactly why the few differences (dtype defaults, memory sharing) bite.

# %% [markdown]
# ## Setup
#
# We seed the random generator so every run prints the same numbers, and pick a GPU only
# if one exists: CUDA (NVIDIA), else MPS (Apple silicon), else the CPU. Everything in this
# lesson also runs on a CPU-only machine.

# %%
import textwrap

import matplotlib.pyplot as plt
import numpy as np
import torch

torch.manual_seed(0)
if torch.cuda.is_available():
    device = torch.device("cuda")
elif torch.backends.mps.is_available():  # False on every machine without an Apple GPU
    device = torch.device("mps")
else:
    device = torch.device("cpu")
print("device used in this lesson:", device)

# %% [markdown] tags=["handout-only"]
# ## Errors, on purpose
#
# This lesson triggers the errors beginners meet, inside `try`/`except`, and asserts that they
# really happened. A small helper prints the error's type and the first line of its message,
# shortened: the first line is usually the one that tells you what went wrong.

# %% tags=["handout-only"]
def first_line(err: Exception, width: int = 88) -> str:
    """'Type: first line of the message', shortened to at most `width` characters."""
    text = f"{type(err).__name__}: {str(err).splitlines()[0]}"
    return textwrap.shorten(text, width, placeholder=" ...", break_on_hyphens=False)


raised = False
try:
    torch.tensor([1, 2]) + torch.tensor([1, 2, 3])  # lengths 2 and 3 do not match
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised


# %% [markdown]
# ## A tensor is data plus metadata
#
# `torch.tensor` copies Python data (numbers, nested lists) into a new tensor and infers the
# dtype from the values: whole numbers become `int64`, numbers with a decimal point `float32`.

# %%
ints = torch.tensor([[1, 2, 3], [4, 5, 6]])
floats = torch.tensor([1.0, 2.5])
for t in (ints, floats):
    print(f"shape={tuple(t.shape)}  ndim={t.ndim}  dtype={t.dtype}  device={t.device}")
assert ints.dtype == torch.int64 and floats.dtype == torch.float32
assert ints.shape == (2, 3) and ints.ndim == 2 and ints.numel() == 6

# %% [markdown]
# ## Factory functions
#
# Usually you ask for a shape instead of typing values. `zeros`, `ones`, `full`, `arange` and
# `linspace` build common patterns; the `*_like` versions (`zeros_like`, `full_like`,
# `rand_like`, ...) copy shape, dtype and device from another tensor.

# %%
print(torch.zeros(2, 3))
print(torch.arange(0, 10, 3))  # like range(): the end is excluded
print(torch.linspace(0, 1, steps=5))  # the end is included, evenly spaced
sevens = torch.full_like(ints, 7)  # int64 (2, 3), like ints
noise = torch.rand_like(floats)  # float32 (2,), uniform on [0, 1), like floats
print(sevens.dtype, tuple(sevens.shape), noise)
assert sevens.shape == ints.shape and sevens.dtype == ints.dtype
assert noise.shape == floats.shape and noise.dtype == floats.dtype
assert torch.arange(0, 10, 3)[-1] == 9 and torch.linspace(0, 1, steps=5)[-1] == 1.0

# %% [markdown]
# ## From NumPy: shared or copied?
#
# `torch.from_numpy(a)` wraps the array's memory: no copy, so a change on one side shows on the
# other. `torch.tensor(a)` always copies. Both keep NumPy's dtype, and NumPy's default
# float is `float64`, not `float32`.

# %%
a = np.array([1.0, 2.0, 3.0])
shared = torch.from_numpy(a)
copied = torch.tensor(a)
a[0] = 100.0  # mutate the NumPy array afterwards
print("shared:", shared)
print("copied:", copied)
assert shared[0] == 100.0  # saw the change: same memory
assert copied[0] == 1.0  # did not: its own memory
assert shared.dtype == copied.dtype == torch.float64

# %% [markdown] tags=["notes"]
# Misconception: "`torch.tensor(a)` is just a view of the array." It is always a copy, which
# is safe but costs memory and time for big arrays. `from_numpy` is free, but the link is
# live: preprocessing code that later edits the array also edits the tensor.
# Point at the dtype: data loaded with NumPy arrives as float64. Models use float32, so
# call `.float()` once, at the boundary (that call copies).

# %% [markdown] tags=["handout-only"]
# ## `.numpy()` and `as_tensor` share too
#
# Going the other way, `t.numpy()` returns an array over the same memory (CPU tensors only).
# `torch.as_tensor` shares when it can and copies only when it must, e.g. to change dtype.

# %% tags=["handout-only"]
t = torch.zeros(3)
arr = t.numpy()
t += 1  # in-place change on the tensor ...
print("array sees:", arr)  # ... shows up in the array
assert arr.tolist() == [1.0, 1.0, 1.0]

b = np.zeros(3, dtype=np.float32)
same = torch.as_tensor(b)  # dtype already matches: shares
converted = torch.as_tensor(b, dtype=torch.float64)  # must convert: copies
b[0] = 5.0
print("as_tensor: same[0] =", same[0].item(), " converted[0] =", converted[0].item())
assert same[0] == 5.0 and converted[0] == 0.0

# %% [markdown] tags=["handout-only"]
# ## Shared or copied: the rule
#
# | call | memory |
# | --- | --- |
# | `torch.tensor(x)` | always a new copy |
# | `torch.from_numpy(a)`, `t.numpy()` | shared (CPU only) |
# | `torch.as_tensor(a)` | shared if dtype and device already match, else a copy |
#
# Rule of thumb: copy when you want independence; share for big arrays, and remember the link.

# %% [markdown]
# ## Shape, `reshape` and `-1`
#
# `shape` lists the size of each dimension, `ndim` counts them, `numel()` multiplies them.
# `reshape` arranges the same elements into a new shape; one size may be `-1`, meaning
# "whatever makes the count work". The element count must stay the same.

# %%
x = torch.arange(12)
print(tuple(x.reshape(3, 4).shape), tuple(x.reshape(2, -1).shape), tuple(x.reshape(-1, 2, 3).shape))
raised = False
try:
    x.reshape(5, -1)  # 12 elements cannot fill rows of 5
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised
assert x.reshape(3, 4).numel() == x.numel() == 12

# %% [markdown]
# ## `view` shares memory, when the strides allow
#
# `view` never copies: it reinterprets the same memory, so the new shape must be reachable
# with strides. A transpose is not stored row by row: `mt.view(6)` refuses, but
# `mt.view(3, 1, 2)`, which only adds a size-1 dimension, works.

# %%
m = torch.arange(6).reshape(2, 3)
assert m.view(3, 2).data_ptr() == m.data_ptr()  # a view: the same memory, read differently
mt = m.T  # transpose: shape (3, 2), not contiguous
raised = False
try:
    mt.view(6)
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised and not mt.is_contiguous()
print(tuple(mt.view(3, 1, 2).shape), "shares m:", mt.view(3, 1, 2).data_ptr() == m.data_ptr())
assert mt.view(3, 1, 2).data_ptr() == m.data_ptr()

# %% [markdown]
# ## `reshape`: a view when it can, a copy when it must
#
# `reshape` returns a view whenever one is possible and copies only otherwise.
# `.contiguous().view(...)` is not the same: `.contiguous()` copies every non-contiguous tensor.

# %%
shares = {"mt.view(3, 1, 2)": mt.view(3, 1, 2), "mt.reshape(3, 1, 2)": mt.reshape(3, 1, 2),
          "mt.reshape(6)": mt.reshape(6), "mt.contiguous().view(6)": mt.contiguous().view(6),
          "mt.contiguous().view(3, 1, 2)": mt.contiguous().view(3, 1, 2)}
for call, result in shares.items():
    print(f"{call:30} shares memory with m: {result.data_ptr() == m.data_ptr()}")
shared = [r.data_ptr() == m.data_ptr() for r in shares.values()]
assert shared == [True, True, False, False, False]

# %% [markdown] tags=["notes"]
# Rule of thumb: use `reshape` by default. Use `view` only when you rely on sharing memory,
# and then the error is a feature: it tells you sharing is impossible.
# Misconception: "reshape always copies". It copies only when a view is impossible.

# %% [markdown]
# ## Indexing: each index peels off a dimension
#
# On a (2, 3, 4) tensor, one index picks a (3, 4) matrix, two pick a row of 4, three pick a
# number (a 0-dim tensor). `:` keeps a dimension whole, and `...` stands for "all the
# dimensions I did not name", so `cube[..., 2]` is the last-dimension index 2 of everything.

# %%
cube = torch.arange(24).reshape(2, 3, 4)  # (batch, rows, columns)
picks = {"cube[0]": cube[0], "cube[0, 1]": cube[0, 1], "cube[0, 1, 2]": cube[0, 1, 2],
         "cube[:, 1]": cube[:, 1], "cube[..., 2]": cube[..., 2]}
for expr, picked in picks.items():
    print(f"{expr:14} shape {tuple(picked.shape)}")
assert cube[0].shape == (3, 4) and cube[0, 1].shape == (4,) and cube[0, 1, 2].ndim == 0
assert cube[0, 1, 2] == 0 * 12 + 1 * 4 + 2  # row-major: offset = 12 i + 4 j + k
assert torch.equal(cube[..., 2], cube[:, :, 2]) and cube[:, 1].shape == (2, 4)

# %% [markdown]
# ## `squeeze` and `unsqueeze`
#
# `unsqueeze(d)` inserts a size-1 dimension at position `d`; `squeeze(d)` removes one.
# Indexing with `None` is a short way to unsqueeze. Prefer `squeeze(d)` with an explicit `d`:
# plain `squeeze()` drops *every* size-1 dimension, including a batch that happens to be 1.

# %%
v = torch.tensor([1.0, 2.0, 3.0])  # shape (3,)
col = v.unsqueeze(1)  # shape (3, 1)
row = v.unsqueeze(0)  # shape (1, 3)
print(tuple(col.shape), tuple(row.shape), tuple(v[:, None].shape))
batch_of_one = torch.zeros(1, 3, 1)
print(tuple(batch_of_one.squeeze(2).shape), tuple(batch_of_one.squeeze().shape))
assert torch.equal(v[:, None], col) and col.squeeze(1).shape == v.shape
assert batch_of_one.squeeze().shape == (3,)  # the batch dimension is gone too

# %% [markdown]
# ## Joining tensors: `cat` and `stack`
#
# `torch.cat` joins tensors along an **existing** dimension: the other sizes must match.
# `torch.stack` adds a **new** dimension and needs equal shapes: it is `unsqueeze`, then `cat`.

# %%
top, bottom = torch.zeros(2, 3), torch.ones(2, 3)
joined = {"torch.cat([top, bottom])": torch.cat([top, bottom]),
          "torch.cat([top, bottom], dim=1)": torch.cat([top, bottom], dim=1),
          "torch.stack([top, bottom])": torch.stack([top, bottom]),
          "torch.stack([top, bottom], dim=2)": torch.stack([top, bottom], dim=2)}
for call, result in joined.items():
    print(f"{call:34} shape {tuple(result.shape)}")
assert torch.cat([top, bottom]).shape == (4, 3) and torch.cat([top, bottom], 1).shape == (2, 6)
assert torch.stack([top, bottom]).shape == (2, 2, 3)  # a new dimension in front
assert torch.equal(torch.stack([top, bottom], dim=2),
                   torch.cat([top.unsqueeze(2), bottom.unsqueeze(2)], dim=2))

# %% [markdown]
# ## Broadcasting: the rules
#
# Element-wise ops line the shapes up **from the right**. Each pair of sizes must be equal,
# or one of them 1; a missing dimension counts as 1. Size-1 dimensions are stretched to match
# without copying: the stretched tensor has stride 0 along that dimension.

# %%
col = torch.arange(3.0).reshape(3, 1)  # (3, 1)
row = torch.arange(4.0).reshape(1, 4) * 10  # (1, 4)
grid = col + row  # (3, 1) with (1, 4) -> (3, 4)
print(grid)
print("strides of the stretched column:", col.expand(3, 4).stride())
assert grid.shape == (3, 4)
assert torch.equal(grid, col.expand(3, 4) + row.expand(3, 4))
assert col.expand(3, 4).stride()[1] == 0  # stride 0: the same element is reused

# %% [markdown]
# ## Broadcasting, pictured
#
# Black numbers are stored in memory; gray ones are the stretched copies, which are never
# stored: along a stride-0 dimension PyTorch reads the same element again. Only the result
# on the right is new memory.

# %% alt="Three heatmaps of 3 by 4 grids. Left, col (3, 1) stretched: rows read 0, 1, 2, with only the first column stored and the other three gray copies. Middle, row (1, 4) stretched: columns read 0, 10, 20, 30, with only the first row stored. Right, col + row (3, 4): every cell is stored and holds row value plus column value, from 0 to 32."
panels = {"col (3, 1) stretched": col.expand(3, 4), "row (1, 4) stretched": row.expand(3, 4),
          "col + row (3, 4)": grid}
fig, axes = plt.subplots(1, 3, figsize=(7, 3.5), layout="constrained")
for ax, (name, values) in zip(axes, panels.items(), strict=True):
    ax.imshow(values.numpy(), cmap="Blues", vmin=-10, vmax=100)
    for (i, j), value in np.ndenumerate(values.numpy()):
        stored = all(k == 0 for k, st in zip((i, j), values.stride(), strict=True) if st == 0)
        ax.text(j, i, f"{value:.0f}", ha="center", va="center", c="k" if stored else "0.55")
    ax.set(title=name, xlabel="column index", ylabel="row index")
fig.suptitle("Broadcasting: size-1 dimensions are stretched, not copied")
plt.show()

# %% [markdown] tags=["handout-only"]
# ## A shape error beginners hit
#
# A batch of 3 samples with 4 features has shape (3, 4); one weight per *sample* has shape (3,).
# Lined up from the right, 4 meets 3: error. Turn the weights into a column with `[:, None]`
# so that they line up with the samples.

# %% tags=["handout-only"]
batch = torch.ones(3, 4)  # 3 samples, 4 features
per_sample = torch.tensor([1.0, 2.0, 3.0])  # one number per sample: (3,)
raised = False
try:
    batch * per_sample
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised
scaled = batch * per_sample[:, None]  # (3, 4) with (3, 1): fine
print(scaled)
assert torch.equal(scaled[:, 0], per_sample)

# %% [markdown]
# ## The silent broadcasting bug
#
# Worse than an error is no error. Predictions of shape (N, 1) minus targets of shape (N,)
# broadcast to (N, N): every prediction against every target. The loss is still one number,
# so nothing complains. Here the predictions are perfect, yet the loss is not zero.

# %%
pred = torch.tensor([[1.0], [2.0], [3.0]])  # (3, 1): a typical model output
target = torch.tensor([1.0, 2.0, 3.0])  # (3,)
wrong = ((pred - target) ** 2).mean()
right = ((pred.squeeze(1) - target) ** 2).mean()
print("shape of pred - target:", tuple((pred - target).shape))
print(f"wrong loss {wrong.item():.3f}   right loss {right.item():.3f}")
assert (pred - target).shape == (3, 3)
assert right == 0 and wrong > 0

# %% [markdown] tags=["notes"]
# This is the most expensive bug in this lesson: training runs, the loss goes down, and the
# model quietly learns to predict the average target. Ask: "Which line would catch it?"
# Answer: `assert pred.shape == target.shape` right before the loss. Cheap, and it documents
# intent.
# Habit: write the expected shape as a comment next to every tensor you create.

# %% [markdown] tags=["handout-only"]
# ## dtype: what you get by default
#
# Python ints become `int64`, Python floats `float32` (the default float dtype), bools `bool`.
# NumPy arrays keep their dtype, so NumPy's `float64` arrives as `float64` and takes twice
# the memory; `.float()` converts to `float32`.

# %% tags=["handout-only"]
samples = [torch.tensor(3), torch.tensor(3.0), torch.tensor(True),
           torch.from_numpy(np.array([3.0])), torch.from_numpy(np.array([3.0])).float()]
for s in samples:
    print(f"{str(s.dtype):14} element_size() = {s.element_size()} bytes")
assert torch.get_default_dtype() == torch.float32
assert samples[0].dtype == torch.int64 and samples[3].dtype == torch.float64
assert samples[4].dtype == torch.float32
assert samples[3].element_size() == 2 * samples[4].element_size()

# %% [markdown]
# ## Mixing int and float: type promotion
#
# When dtypes mix, the result takes the higher category: bool < integer < float.
# `/` is true division and gives a float; `//` keeps integers. A Python number, and a 0-dim
# tensor too, never widens a tensor within its category: `float16` plus `1.5` stays `float16`.
# Between tensors with dimensions, the wider dtype wins.

# %%
i = torch.tensor([1, 2, 3])  # int64
print((i + 0.5).dtype, (i / 2).dtype, (i // 2).dtype)
half = torch.ones(2, dtype=torch.float16)
print((half + 1.5).dtype, (half + torch.tensor(1.5)).dtype, (half + torch.ones(2)).dtype)
print(torch.result_type(i, 2.0))  # ask for the result dtype without computing
assert (i + 0.5).dtype == torch.float32 and (i / 2).dtype == torch.float32
assert (i // 2).dtype == torch.int64
assert (half + 1.5).dtype == (half + torch.tensor(1.5)).dtype == torch.float16  # 0-dim: a scalar
assert (half + torch.ones(2)).dtype == torch.float32  # 1-dim float32 tensor: the wider wins

# %% [markdown] tags=["notes"]
# Point out that `int64 + 0.5` gives float32, not float64: the float comes from the default
# float dtype, unlike NumPy, where it would be float64.
# The float16 case matters for mixed-precision training: Python scalars do not upcast, so
# `half_tensor * 1e5` can overflow to inf where you expected a wider result.

# %% [markdown] tags=["handout-only"]
# ## Where promotion stops: in-place ops
#
# An in-place op writes into the existing tensor, so it cannot change its dtype:
# `int_tensor += 0.5` raises. Either convert first, or write `i = i + 0.5`, which builds a new
# float tensor.

# %% tags=["handout-only"]
i = torch.tensor([1, 2, 3])
raised = False
try:
    i += 0.5
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised and i.dtype == torch.int64
i = i + 0.5  # new tensor, promoted
print(i)
assert i.dtype == torch.float32

# %% [markdown] tags=["handout-only"]
# ## Where promotion stops: matrix products
#
# Element-wise ops promote `float64` with `float32`, but matrix multiplication does not: it
# raises. This is the classic "NumPy data meets model weights" error. Convert the data with
# `.float()` once, where it enters PyTorch.

# %% tags=["handout-only"]
data64 = torch.from_numpy(np.ones((2, 3)))  # float64, as NumPy made it
weights = torch.ones(3, 2)  # float32, as models use
print("element-wise:", (data64[:, :2] * weights[:2]).dtype)
assert (data64[:, :2] * weights[:2]).dtype == torch.float64  # promoted
raised = False
try:
    data64 @ weights
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised
assert (data64.float() @ weights).dtype == torch.float32

# %% [markdown]
# ## Device placement
#
# A tensor lives on exactly one device (`cpu`, `cuda`, ...). `x.to(device)` *returns* a tensor
# on that device (a copy if it has to move) and leaves `x` where it was, so reassign the
# result. Better still, create tensors on the right device directly with `device=`.

# %%
x_cpu = torch.arange(4.0)
x_dev = x_cpu.to(device)  # reassign: .to() does not move x_cpu
w_dev = torch.ones(4, device=device)  # created on the device directly
print("x_cpu is on", x_cpu.device.type, "| x_dev is on", x_dev.device.type)
print("sum of products:", (x_dev * w_dev).sum().item())
assert x_cpu.device.type == "cpu"
assert x_dev.device.type == w_dev.device.type == device.type

# %% [markdown]
# ## Mixing devices raises
#
# Operands must share a device. Without a GPU we show it on `meta` (shape and dtype, no data),
# which follows the same rule; on a GPU the cell checks the real case too. Exception: a 0-dim
# CPU tensor combines with a tensor on any device, like a Python number.

# %%
print(torch.ones(3, device="meta"))  # shape and dtype only, no values
gpus = {"cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
for other in ["meta"] + [name for name, present in gpus.items() if present]:
    raised = False
    try:
        torch.ones(3) + torch.ones(3, device=other)
    except RuntimeError as err:
        raised = True
        if other == "meta":  # print once, so CPU and GPU runs show the same output
            print("cpu + meta ->", first_line(err))
    assert raised, f"cpu + {other} should have raised"
    assert (torch.ones(3, device=other) + torch.tensor(2.0)).device.type == other  # 0-dim: fine

# %% [markdown] tags=["notes"]
# The fix is always the same: move one operand, `b = b.to(a.device)`. In practice the rule
# is "model and batch on the same device": move the model once, move each batch as it
# arrives. Mention that `meta` is also used for real: it lets PyTorch work out shapes
# of huge models without allocating any memory.

# %% [markdown]
# ## `*` is element-wise, `@` is the matrix product
#
# `A * B` multiplies matching entries and needs broadcastable shapes. `A @ B` needs the inner
# sizes to agree, $(n \times k)(k \times m) \to (n \times m)$, and each entry is a dot product:
# $(AB)_{ij} = \sum_k A_{ik} B_{kj}$.

# %%
A = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
B = torch.tensor([[10.0, 0.0], [0.0, 1.0]])
print(A * B)
print(A @ B)
assert torch.equal(A * B, torch.tensor([[10.0, 0.0], [0.0, 4.0]]))
assert (A @ B)[1, 0] == 3.0 * 10.0 + 4.0 * 0.0  # row 1 of A dot column 0 of B
assert torch.equal(A @ B, torch.matmul(A, B))

# %% [markdown] tags=["handout-only"]
# ## The inner sizes must agree
#
# A common error: a batch `X` of shape (4, 3) times weights stored as (2, 3), one row per
# output. The message names both shapes; read it. Transposing the weights makes the inner
# sizes meet: (4, 3) @ (3, 2) gives (4, 2).

# %% tags=["handout-only"]
X = torch.ones(4, 3)  # 4 samples, 3 features
W = torch.ones(2, 3)  # 2 outputs, 3 inputs each
raised = False
try:
    X @ W
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised
print("X @ W.T has shape", tuple((X @ W.T).shape))
assert (X @ W.T).shape == (4, 2)

# %% [markdown]
# ## Reductions: `dim` is the dimension that disappears
#
# `sum`, `mean`, `max`, ... reduce everything to one number without `dim`. With `dim=d` they
# collapse only dimension `d`. `keepdim=True` keeps it with size 1, which is exactly the shape
# broadcasting needs.

# %%
S = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])  # (2, 3)
print("sum()               ", S.sum())
print("sum(dim=0)          ", S.sum(dim=0))  # down the rows: one per column
print("sum(dim=1)          ", S.sum(dim=1))  # across the columns: one per row
print("sum(dim=1, keepdim) ", tuple(S.sum(dim=1, keepdim=True).shape))
assert S.sum(dim=0).shape == (3,) and S.sum(dim=1).shape == (2,)
assert S.sum(dim=1, keepdim=True).shape == (2, 1)
assert S.sum() == S.sum(dim=0).sum() == 21

# %% [markdown] tags=["handout-only"]
# ## `keepdim` makes broadcasting line up
#
# To center each row, subtract the row means. Without `keepdim` they have shape (2,), which
# lines up with the *columns*: here an error, and with a square matrix a silent wrong answer.

# %% tags=["handout-only"]
raised = False
try:
    S - S.mean(dim=1)  # (2, 3) - (2,): 3 meets 2
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised
centered = S - S.mean(dim=1, keepdim=True)  # (2, 3) - (2, 1): fine
print(centered)
torch.testing.assert_close(centered.mean(dim=1), torch.zeros(2))
Q = S[:, :2]  # square (2, 2): no error, but rows are not centered
assert (Q - Q.mean(dim=1)).mean(dim=1).abs().max() > 0

# %% [markdown] tags=["handout-only"]
# ## `.item()`: one number out
#
# `.item()` turns a one-element tensor into a plain Python number, for printing, logging and
# `if` tests. It refuses tensors with more than one element: reduce first, or use `.tolist()`.

# %% tags=["handout-only"]
s_total = S.sum()
print(s_total.item(), type(s_total.item()).__name__)
print(torch.tensor([[7]]).item())  # any shape is fine if numel() == 1
raised = False
try:
    S.item()
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised and isinstance(s_total.item(), float)
print(S.tolist())

# %% [markdown] tags=["exercise"]
# ## Exercise: standardize the columns
#
# `data` holds 5 samples with 3 features on very different scales. Without loops, give every
# column mean 0 and standard deviation 1: $z = (x - \mu) / \sigma$, per column. Check the result
# with asserts. Then explain: why does this work even without `keepdim=True`?

# %% tags=["exercise"]
data = torch.arange(15.0).reshape(5, 3) * torch.tensor([1.0, 10.0, 100.0])  # (5, 3)
print(data)
# your code: mu, sigma and the standardized z

# %% [markdown] tags=["solution"]
# ## Solution: standardize the columns
#
# Reducing dimension 0 leaves shape (3,). Broadcasting pads missing dimensions **on the left**,
# so (3,) acts as (1, 3) and lines up with the columns. Per row (dimension 1) it would leave
# (5,), which lines up wrongly: there `keepdim=True` is required. Writing it anyway says what
# you mean.

# %% tags=["solution"]
mu = data.mean(dim=0)  # (3,): one mean per column
sigma = data.std(dim=0)  # (3,)
z = (data - mu) / sigma  # (5, 3) with (3,): lines up with the columns
print("mu:", mu, " sigma:", sigma)
torch.testing.assert_close(z.mean(dim=0), torch.zeros(3))
torch.testing.assert_close(z.std(dim=0), torch.ones(3))
with_keepdim = (data - data.mean(dim=0, keepdim=True)) / data.std(dim=0, keepdim=True)
torch.testing.assert_close(z, with_keepdim)

# %% [markdown]
# ## In-place operations end in `_`
#
# `x.add(1)` returns a new tensor; `x.add_(1)` overwrites `x`. `x += 1` is in-place too, while
# `x = x + 1` builds a new tensor and rebinds the name. The difference shows as soon as a
# second name refers to the same tensor.

# %%
x = torch.zeros(3)
alias = x  # a second name for the same tensor, not a copy
y = x.add(1)  # new tensor; x untouched
assert x.sum() == 0 and y.sum() == 3
x.add_(1)  # overwrites x ... and alias sees it
x += 1  # also in-place
print("x:", x, " alias:", alias)
assert torch.equal(alias, x) and alias.sum() == 6
x = x + 1  # new tensor; alias keeps the old one
print("x:", x, " alias:", alias)
assert alias.sum() == 6 and x.sum() == 9

# %% [markdown] tags=["notes"]
# Why use in-place at all? Memory: `x.add_(1)` on a tensor of $N$ float32 values allocates
# nothing, `x + 1` allocates another $4N$ bytes. That matters for huge activations, rarely
# elsewhere. Rule of thumb: write out-of-place code by default; go in-place only where
# memory is measured to be the problem, and never on tensors autograd still needs.

# %% [markdown]
# ## Views alias their base
#
# Slicing, `view`, `.T` and `expand` return views: new shape, same memory. Writing into a view,
# or assigning into a slice or a column, writes into the base; `.clone()` gives an independent
# copy. *Reading* with a list or a mask copies, but *assigning* through one writes into the base.

# %%
base = torch.arange(6.0).reshape(2, 3)
base[0].zero_()  # in-place on a view (row 0) changes the base
base[:, 2] = 10.0  # assigning into a column writes into the base
base[1].clone().fill_(-1)  # a clone: the base is untouched
base[base > 3].fill_(-1)  # reading with a mask gives a copy: untouched too
print(base)
assert base.tolist() == [[0.0, 0.0, 10.0], [3.0, 4.0, 10.0]]
base[base > 3] = -1.0  # assigning through a mask writes into the base
print(base)
assert base.tolist() == [[0.0, 0.0, -1.0], [3.0, -1.0, -1.0]]

# %% [markdown] tags=["notes"]
# Typical real bug: `row = batch[0]; row -= row.mean()` to "normalize one example for a
# plot" silently edits the batch. Ask: "Is `base[0]` a copy?" Most people guess yes.
# The asymmetry between basic slicing (view) and list/mask indexing (copy when read) comes
# straight from NumPy; knowing it saves hours. `base[mask] = v` is a different call
# (`index_put_`), which is why assigning through a mask does reach the base.

# %% [markdown] tags=["handout-only"]
# ## In-place on a leaf that requires grad
#
# Parameters are leaf tensors with `requires_grad=True`. Autograd refuses to overwrite them in
# place while it records operations. Parameter updates therefore run inside `torch.no_grad()`,
# which is also how the built-in optimizers update parameters.

# %% tags=["handout-only"]
w = torch.ones(3, requires_grad=True)
raised = False
try:
    w.sub_(0.1)
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised
with torch.no_grad():  # not recorded: allowed
    w.sub_(0.1)
print(w)
assert w.is_leaf and torch.allclose(w, torch.full((3,), 0.9))

# %% [markdown] tags=["handout-only"]
# ## Seeds make random draws repeatable
#
# PyTorch's random numbers come from a pseudo-random generator: a deterministic sequence that
# starts from a seed. Same seed, same numbers. Every draw advances the sequence, so one extra
# draw anywhere changes all the numbers after it.

# %% tags=["handout-only"]
torch.manual_seed(0)
first = torch.rand(3)
torch.manual_seed(0)
again = torch.rand(3)
later = torch.rand(3)  # the sequence has moved on
print(first, again, later, sep="\n")
assert torch.equal(first, again)
assert not torch.equal(first, later)

# %% [markdown]
# ## `torch.Generator`: independent streams
#
# Random numbers come from a pseudo-random generator: same seed, same numbers.
# `torch.manual_seed` seeds the one global generator all code shares. A `torch.Generator` is a
# private stream: pass it with `generator=`; its draws depend only on its own seed.

# %%
g_noise = torch.Generator().manual_seed(42)
g_data = torch.Generator().manual_seed(7)
noise_1 = torch.randn(3, generator=g_noise)

g_noise.manual_seed(42)  # restart only the noise stream
_ = torch.rand(1000)  # other code draws from the global stream ...
_ = torch.rand(5, generator=g_data)  # ... and from another private stream
noise_2 = torch.randn(3, generator=g_noise)
print(noise_1, noise_2, sep="\n")
assert torch.equal(noise_1, noise_2)  # unaffected by the other draws

# %% [markdown] tags=["notes"]
# Why this matters: with only the global seed, adding one `torch.rand` call for debugging
# changes your data split, your initialization and your dropout masks at once.
# Give each concern (data split, initialization, augmentation) its own generator and results
# stay comparable while the code changes. Note that CUDA has separate generators per device;
# the lesson draws on the CPU so the numbers match on every machine.

# %% [markdown] tags=["handout-only"]
# ## `rand`, `randn`, `randint`
#
# `rand`: uniform on $[0, 1)$. `randn`: standard normal, mean 0 and standard deviation 1.
# `randint(low, high, shape)`: integers from `low` up to `high - 1`, like `range`.
# All three take `generator=`.

# %% tags=["handout-only"]
g = torch.Generator().manual_seed(0)
u = torch.rand(10_000, generator=g)
n = torch.randn(10_000, generator=g)
k = torch.randint(0, 6, (10_000,), generator=g)  # a die with faces 0..5
print(f"rand    min {u.min():.5f}  max {u.max():.5f}  mean {u.mean():.3f}")
print(f"randn   mean {n.mean():+.3f}  std {n.std():.3f}")
print(f"randint values {k.unique().tolist()}  dtype {k.dtype}")
assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02
assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
assert k.min() == 0 and k.max() == 5 and k.dtype == torch.int64

# %% [markdown] tags=["handout-only"]
# ## `rand` vs `randn`, pictured
#
# The same samples as a histogram: flat between 0 and 1 for `rand`, a bell curve centered at 0
# for `randn`, with about 68% of its values within one standard deviation.

# %% tags=["handout-only"] alt="Overlaid histograms of 10,000 samples. torch.rand is flat at density about 1 between 0 and 1 and zero elsewhere; torch.randn is a bell curve centered at 0, peaking near 0.4 and spreading from about -4 to 3."
within_one = (n.abs() < 1).float().mean().item()
print(f"randn samples with |value| < 1: {within_one:.1%}")
assert abs(within_one - 0.683) < 0.02
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.hist(u.numpy(), bins=60, density=True, alpha=0.6, label="torch.rand (uniform)")
ax.hist(n.numpy(), bins=60, density=True, alpha=0.6, label="torch.randn (normal)")
ax.set(title="10,000 samples from rand and randn", xlabel="value", ylabel="density")
ax.legend()
plt.show()

# %% [markdown] tags=["handout-only"]
# ## `bernoulli`: coin flips with given probabilities
#
# `torch.bernoulli(p)` flips one coin per entry of `p`: 1 with probability `p`, else 0.
# That is how a dropout mask or a random train/test split is made.

# %% tags=["handout-only"]
g = torch.Generator().manual_seed(0)
p = torch.tensor([0.0, 0.2, 0.5, 0.9, 1.0])
flips = torch.bernoulli(p.expand(10_000, 5), generator=g)  # 10,000 rows of 5 coins
print("first row: ", flips[0])
print("rate of 1s:", flips.mean(dim=0))
assert set(flips.unique().tolist()) <= {0.0, 1.0}
torch.testing.assert_close(flips.mean(dim=0), p, atol=0.02, rtol=0)

# %% [markdown] tags=["handout-only"]
# ## `multinomial`: drawing categories
#
# `torch.multinomial(weights, n, replacement=True)` draws `n` indices, each with probability
# proportional to its weight. The weights need not sum to 1. This is how a language model
# samples its next token.

# %% tags=["handout-only"]
g = torch.Generator().manual_seed(0)
weights = torch.tensor([1.0, 2.0, 7.0])  # probabilities 0.1, 0.2, 0.7
draws = torch.multinomial(weights, 10_000, replacement=True, generator=g)
freq = torch.bincount(draws, minlength=3) / draws.numel()
print("first draws:", draws[:10].tolist())
print("frequencies:", freq)
torch.testing.assert_close(freq, weights / weights.sum(), atol=0.02, rtol=0)

# %% [markdown] tags=["handout-only"]
# ## `multinomial` draws without replacement by default
#
# Leave out `replacement=True` and each index can be drawn at most once, like dealing cards.
# Drawing all 3 gives a weighted shuffle; asking for more draws than categories fails.

# %% tags=["handout-only"]
order = torch.multinomial(weights, 3, generator=g)  # replacement=False
print("weighted shuffle:", order.tolist())
assert sorted(order.tolist()) == [0, 1, 2]  # every index exactly once
raised = False
try:
    torch.multinomial(weights, 5, generator=g)
except RuntimeError as err:
    raised = True
    print(first_line(err))
assert raised

# %% [markdown] tags=["handout-only"]
# ## Filling in place: `normal_` and `uniform_`
#
# Initializing weights means filling an existing tensor with random values. `torch.empty`
# allocates without initializing (its contents are leftover memory: never read them);
# `normal_` and `uniform_` then fill it in place.

# %% tags=["handout-only"]
g = torch.Generator().manual_seed(0)
weight = torch.empty(256, 128).normal_(mean=0.0, std=0.02, generator=g)
bound = 1 / 128**0.5
bias = torch.empty(256).uniform_(-bound, bound, generator=g)
print(f"weight: mean {weight.mean():+.4f}  std {weight.std():.4f}")
print(f"bias:   range [{bias.min():.3f}, {bias.max():.3f}] inside +-{bound:.3f}")
assert abs(weight.mean()) < 0.001 and abs(weight.std() - 0.02) < 0.001
assert -bound <= bias.min() and bias.max() <= bound

# %% [markdown]
# ## Back to NumPy
#
# `.numpy()` works only on CPU tensors that do not require grad, and only for dtypes NumPy
# has (no `bfloat16`). The chain that works for any device is `.detach().cpu().numpy()`;
# `.numpy(force=True)` does the same in one call. Convert `bfloat16` with `.float()` first.

# %%
w = torch.ones(3, device=device, requires_grad=True)
failures = 0
for bad in (w, torch.ones(3, dtype=torch.bfloat16)):
    try:
        bad.numpy()
    except (RuntimeError, TypeError) as err:  # requires grad: RuntimeError; bfloat16: TypeError
        failures += 1
        print(first_line(err))
arr = w.detach().cpu().numpy()  # fine on any device, with or without grad
assert failures == 2 and np.array_equal(w.numpy(force=True), arr)  # force=True: one call
assert torch.ones(2, dtype=torch.bfloat16).float().numpy().dtype == np.float32  # convert first

# %% [markdown] tags=["handout-only"]
# ## The bridge can still share memory
#
# `.detach()` shares memory with the original, and on a CPU tensor `.cpu()` changes nothing.
# So the array is a window onto the parameter: writing to it edits the parameter behind
# autograd's back. Add `.copy()` when the array should be independent.

# %% tags=["handout-only"]
w = torch.ones(3, requires_grad=True)
linked = w.detach().cpu().numpy()
linked[0] = 42.0
print(w)
assert w[0].item() == 42.0  # the parameter changed
independent = w.detach().cpu().numpy().copy()
independent[1] = -1.0
assert w[1].item() == 1.0  # the copy is cut loose
if device.type == "cuda":  # on a GPU, .cpu() had to copy: no link
    w_gpu = torch.ones(3, device=device)
    w_gpu.cpu().numpy()[0] = 42.0
    assert w_gpu[0].item() == 1.0

# %% [markdown] tags=["notes"]
# The device-dependent part is the trap: the same line copies on a GPU machine and shares on
# a laptop, so a bug can appear only on CPU. Rule of thumb: treat arrays you get from
# `.numpy()` as read-only, or `.copy()` them. Also point out `.tolist()` and `.item()`:
# they always produce independent Python objects.

# %% [markdown] tags=["exercise"]
# ## Exercise: a reproducible dropout mask
#
# Write `dropout(x, p, seed)`: zero each entry with probability `p`, scale the survivors by
# $1 / (1 - p)$, use a private generator, and leave `x` unmodified (`torch.bernoulli(probs)`
# draws 1 with probability `probs`, elementwise). Assert that the same seed
# gives the same output despite other random draws in between, that about a fraction `p` is
# zero, that the mean stays near 1, and that `x` is unchanged.

# %% tags=["exercise"]
activations = torch.ones(1_000, 100)
p_drop = 0.3
# your code: def dropout(x, p, seed): ...

# %% [markdown] tags=["solution"]
# ## Solution: a reproducible dropout mask
#
# The mask is `bernoulli` with keep-probability $1 - p$; a generator created inside the
# function makes the mask depend on `seed` alone. Multiplying builds a new tensor, so `x`
# stays intact.

# %% tags=["solution"]
def dropout(x, p, seed):
    gen = torch.Generator(device=x.device).manual_seed(seed)
    keep = torch.bernoulli(torch.full_like(x, 1 - p), generator=gen)  # 1 = keep
    return x * keep / (1 - p)  # out of place: x is not modified


out_a = dropout(activations, p_drop, seed=3)
_ = torch.rand(10)  # unrelated draws from the global stream
out_b = dropout(activations, p_drop, seed=3)
zero_rate = (out_a == 0).float().mean().item()
print(f"zero rate {zero_rate:.3f}   mean {out_a.mean():.3f}")
assert torch.equal(out_a, out_b) and abs(zero_rate - p_drop) < 0.01
assert abs(out_a.mean() - 1.0) < 0.02 and bool((activations == 1).all())

# %% [markdown]
# ## Summary
#
# - A tensor is data plus **shape, dtype, device**: print those three first when debugging.
# - `from_numpy`, `.numpy()`, views, `.detach()` **share memory**; `torch.tensor`, `.clone()` copy.
# - Index to peel off dimensions (`...` for the rest); `cat` joins, `stack` adds a dimension.
# - Broadcasting aligns shapes from the right: use `keepdim=True`, assert shapes before a loss.
# - `int64`/`float32` by default, `float64` from NumPy; 0-dim tensors promote like scalars.
# - In-place ops (`_`) and slice or mask assignment write into the base tensor.
# - One seeded `torch.Generator` per random concern; leave with `.detach().cpu().numpy()`.
