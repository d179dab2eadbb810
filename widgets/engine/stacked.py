"""K copies of a model's trainable rest, trained as one: the machinery behind ``sweep``'s all-at-once runs.

The copies start from the same weights and see the same batches; each has its own learning rate. A rest that is one
linear head runs as ONE wide linear layer (K x classes outputs, its gradient written out); anything deeper runs with
``torch.func`` (``functional_call`` + ``vmap``). ``torch.optim.Adam`` cannot step K stacked copies with K rates, so
its update is written out here; a test checks it gives the same numbers as separate runs.

Each builder returns ``(step_fn, restart, finish, predict)``: ``step_fn(x, y, step, alive)`` takes one Adam step
for every copy still alive and returns each copy's loss BEFORE the update; ``restart(i, start)`` puts copy ``i``
back to ``start`` and stops it; ``finish()`` writes the trained copies back into the stacked parameters;
``predict(x)`` gives every copy's logits, shape ``(K, N, classes)``.
"""

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, vmap


def single_linear(rest):
    """``(the parameter-free layers before it, its name)`` when ``rest``'s only trainable layer is a final
    ``nn.Linear`` with a bias (a classification head), else ``None``."""
    children = list(rest.named_children())
    if not children or not isinstance(children[-1][1], nn.Linear) or children[-1][1].bias is None:
        return None
    if any(any(True for _ in module.parameters()) for _, module in children[:-1]):
        return None
    if not all(p.requires_grad for p in children[-1][1].parameters()):
        return None
    return nn.Sequential(*[module for _, module in children[:-1]]), children[-1][0]


def adam_step(params, grads, state, lrs, step, alive, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.Adam's update, written out for K stacked copies, each with its own rate (``lrs``: shape K)."""
    b1, b2 = betas
    bias1, bias2_sqrt = 1 - b1**step, math.sqrt(1 - b2**step)
    for name, p in params.items():
        g = grads[name]
        m, v = state[name]
        m.lerp_(g, 1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        rate = (lrs * alive / bias1).view(-1, *[1] * (p.dim() - 1))
        p.sub_(rate * m / (v.sqrt() / bias2_sqrt + eps))


def vmap_steps(rest, params, buffers, trainable, rates):
    """The general case: K copies of ``rest`` run as one with ``torch.func`` (``functional_call`` + ``vmap``)."""
    template = copy.deepcopy(rest).to("meta")
    batched = vmap(lambda p, b, x: functional_call(template, (p, b), (x,)), in_dims=(0, 0, None))
    state = {n: (torch.zeros_like(p), torch.zeros_like(p)) for n, p in trainable.items()}
    K = len(rates)

    def step_fn(x, y, step, alive):
        logits = batched(params, buffers, x)  # (K, B, classes)
        per_model = F.cross_entropy(logits.transpose(1, 2), y.expand(K, -1), reduction="none").mean(1)
        keep = alive.to(per_model.device)
        grads = torch.autograd.grad(torch.where(keep, per_model, 0).sum(), list(trainable.values()))
        with torch.no_grad():
            adam_step(trainable, dict(zip(trainable, grads)), state, rates, step, keep.to(rates.dtype))
        return per_model.detach()

    def restart(i, start):  # back to the start, with a fresh optimizer state (it may hold inf/NaN now)
        with torch.no_grad():
            for n, p in params.items():
                p[i] = start[n][i]
            for m, v in state.values():
                m[i], v[i] = 0, 0

    def predict(x):  # (K, N, classes)
        evaluating = copy.deepcopy(template).eval()
        with torch.no_grad():
            return vmap(lambda p, b, x: functional_call(evaluating, (p, b), (x,)),
                        in_dims=(0, 0, None))(params, buffers, x)

    return step_fn, restart, lambda: None, predict


def has_fused_adam(device):
    """True when this PyTorch has a fused Adam kernel for ``device`` (a CPU one since PyTorch 2.4)."""
    try:
        p, g = torch.zeros(1, device=device), torch.ones(1, device=device)
        torch._fused_adam_([p], [g], [torch.zeros_like(p)], [torch.zeros_like(p)], [], [torch.ones((), device=device)],
                           lr=1.0, beta1=0.9, beta2=0.999, weight_decay=0.0, eps=1e-8, amsgrad=False, maximize=False)
    except (AttributeError, NotImplementedError, RuntimeError):
        return False
    return True


def wide_head_steps(rest, wide, params, rates, betas=(0.9, 0.999), eps=1e-8):
    """K linear heads on the same input are ONE wide linear layer with K x classes outputs: one matrix product
    per step instead of K, the gradient written out (no autograd), and one Adam update (PyTorch's fused Adam kernel
    at rate 1, each copy's rows then scaled by its own rate; written out with ``torch._foreach_*`` where there is
    no fused kernel). Same numbers as K separate runs with ``torch.optim.Adam``, in about fifteen tensor operations
    per step: for a small head, per-operation overhead is where the time goes."""
    before, name = wide
    weight, bias = params[f"{name}.weight"], params[f"{name}.bias"]  # (K, C, D), (K, C)
    K, C, D = weight.shape
    W = weight.detach().reshape(K * C, D).clone()
    b = bias.detach().reshape(K * C).clone()
    tensors = [W, b]
    m = [torch.zeros_like(t) for t in tensors]
    v = [torch.zeros_like(t) for t in tensors]
    # the fused kernel's Adam step at rate 1 goes into `update`; each row is then scaled by its copy's own rate
    update = [torch.zeros_like(t) for t in tensors]
    steps_taken = [torch.zeros((), dtype=torch.float32, device=t.device) for t in tensors]
    row_rates = rates.repeat_interleave(C)  # a diverged copy gets rate 0 (see restart)
    per_tensor_rates = [row_rates[:, None], row_rates]
    b1, b2 = betas
    minus_one = {}

    def fused_update(grads, step):
        torch._foreach_zero_(update)
        torch._foreach_add_(steps_taken, 1)  # torch.optim.Adam counts the step before its fused kernel too
        torch._fused_adam_(update, grads, m, v, [], steps_taken, lr=1.0, beta1=b1, beta2=b2, weight_decay=0.0,
                           eps=eps, amsgrad=False, maximize=False)
        torch._foreach_addcmul_(tensors, update, per_tensor_rates)

    def written_out_update(grads, step):  # where this PyTorch has no fused Adam for the device (CPU before 2.4)
        torch._foreach_lerp_(m, grads, 1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_div_(denom, math.sqrt(1 - b2**step))
        torch._foreach_add_(denom, eps)
        scale = row_rates / (1 - b1**step)
        torch._foreach_addcdiv_(tensors, torch._foreach_mul(m, [scale[:, None], scale]), denom, value=-1)

    adam_update = fused_update if has_fused_adam(W.device) else written_out_update

    @torch.no_grad()
    def step_fn(x, y, step, alive):
        h = before(x) if len(before) else x
        logits = torch.addmm(b, h, W.T).view(-1, C)  # all K heads in one matrix product; rows (sample, copy)
        log_p = torch.log_softmax(logits, dim=1)
        targets = y.repeat_interleave(K)[:, None]
        per_model = -log_p.gather(1, targets).view(-1, K).mean(0)  # cross-entropy of each copy
        # The gradient of a softmax cross-entropy is (softmax - one_hot) / batch: written out, it skips the
        # autograd engine, the largest cost per step for a layer this small
        if len(targets) not in minus_one:
            minus_one[len(targets)] = torch.full((len(targets), 1), -1.0, dtype=log_p.dtype, device=log_p.device)
        g_logits = log_p.exp_().scatter_add_(1, targets, minus_one[len(targets)]).div_(len(h)).view(len(h), K * C)
        grads = [g_logits.T @ h, g_logits.sum(0)]
        adam_update(grads, step)
        return per_model

    def restart(i, start):
        with torch.no_grad():
            rows = slice(i * C, (i + 1) * C)
            W[rows] = start[f"{name}.weight"][i]
            b[rows] = start[f"{name}.bias"][i]
            for state in (*m, *v):
                state[rows] = 0  # a fresh optimizer state: the diverged one may hold inf/NaN
            row_rates[rows] = 0  # and no more steps for this copy

    def finish():  # write the trained heads back into the stacked parameters
        with torch.no_grad():
            weight.copy_(W.detach().view(K, C, D))
            bias.copy_(b.detach().view(K, C))

    def predict(x):  # (K, N, classes), all heads in one matrix product
        with torch.no_grad():
            h = before.eval()(x) if len(before) else x
            return torch.addmm(b, h, W.T).view(len(h), K, C).transpose(0, 1)

    return step_fn, restart, finish, predict
