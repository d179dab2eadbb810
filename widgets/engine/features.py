"""The frozen-prefix cache: when a model's leading blocks are frozen, their output is computed once, not every step.

Speed by design, and exact: a frozen block in eval mode gives the same output for the same image every time, so
``model[k:](cache(x))`` equals ``model(x)``. The cache notices when the prefix changes (a weight or a BatchNorm
statistic was written) and computes again.

    cache = FrozenFeatures(model)           # an nn.Sequential, e.g. the course's CourseCNN
    k = cache.depth()                       # how many leading blocks are frozen (0: nothing to cache)
    feats = cache.get("train", x)           # model[:k](x), computed once
"""

import copy
import hashlib

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from .freezing import frozen_prefix


@torch.no_grad()
def predict(module, x, batch_size=512):
    """``module``'s outputs for ``x``, in batches, with whatever train/eval mode the module is in."""
    device = next((p.device for p in module.parameters()), x.device)
    return torch.cat([module(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])


def inference_copy(module):
    """A copy of ``module`` for eval-mode inference only, with the same outputs (to float rounding) in less time.

    Inside each ``nn.Sequential``: a BatchNorm after a convolution is folded into the convolution's weights, and
    ReLU-then-MaxPool becomes MaxPool-then-ReLU (the same numbers, since ReLU never changes the order of values,
    but a quarter of the ReLUs).
    """

    def rebuild(seq):
        layers, out, i = list(seq.children()), [], 0
        while i < len(layers):
            layer, after = layers[i], layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(layer, nn.Conv2d) and isinstance(after, nn.BatchNorm2d) and after.track_running_stats:
                out.append(fuse_conv_bn_eval(layer, after))
                i += 2
            elif isinstance(layer, nn.ReLU) and isinstance(after, nn.MaxPool2d):
                out += [after, layer]
                i += 2
            else:
                out.append(rebuild(layer) if type(layer) is nn.Sequential else layer)
                i += 1
        return nn.Sequential(*out)

    module = copy.deepcopy(module).eval()
    return rebuild(module) if isinstance(module, nn.Sequential) else module


def fast_predict(module, x, batch_size=128):
    """``module``'s eval-mode outputs for ``x``, computed the fast way: an :func:`inference_copy`, channels-last
    memory layout (2-3x faster convolutions on a CPU) and batches of 128 (activations stay in the CPU cache). The
    same numbers as ``predict(module.eval(), x)`` to float rounding; ``module`` itself is not touched."""
    fast = inference_copy(module)
    layout = torch.channels_last if x.dim() == 4 else torch.contiguous_format
    fast = fast.to(memory_format=layout)
    device = next((p.device for p in fast.parameters()), x.device)
    with torch.no_grad():
        out = [fast(x[i : i + batch_size].to(device).contiguous(memory_format=layout))
               for i in range(0, len(x), batch_size)]
    return torch.cat(out).contiguous()


def digest(tensors):
    """A short fingerprint of ``tensors``: their shapes, types and values (equal fingerprints, equal tensors)."""
    found = hashlib.blake2b(digest_size=16)
    for t in tensors:
        found.update(f"{tuple(t.shape)} {t.dtype};".encode())
        found.update(t.detach().cpu().contiguous().numpy().tobytes())
    return found.hexdigest()


class FrozenFeatures:
    """The output of ``model[:k]`` (its frozen leading blocks) per named input, computed once per prefix state.

    ``shared``: a dict kept by the caller for several caches (one per run of an experiment, say). Outputs of
    ``share_from`` blocks or more are kept there too, keyed by the prefix's weights and statistics and by the images
    themselves, so runs that start from the same weights compute them once; a prefix that changed, or other images,
    are computed anew, so each run gets exactly what it would get alone.
    """

    def __init__(self, model, device=None, shared=None, share_from=1):
        self.model = model
        self.device = device or next((p.device for p in model.parameters()), torch.device("cpu"))
        self._entries = {}
        self.shared, self.share_from = shared, share_from

    def depth(self):
        """How many leading blocks can be cached: the frozen prefix of an ``nn.Sequential``, never the whole model."""
        if not isinstance(self.model, nn.Sequential):
            return 0
        return min(frozen_prefix(self.model), len(self.model) - 1)

    def _fingerprint(self, k):
        prefix = self.model[:k]
        return (k,) + tuple((id(t), t._version) for t in list(prefix.parameters()) + list(prefix.buffers()))

    def get(self, key, x, k=None):
        """``model[:k](x)`` (``k`` defaults to :meth:`depth`), computed once for ``key`` while the prefix is
        unchanged."""
        k = self.depth() if k is None else k
        if k == 0:
            return x.to(self.device)
        fingerprint = self._fingerprint(k)
        entry = self._entries.get(key)
        if entry is None or entry[0] != fingerprint:
            entry = (fingerprint, self._run(k, x))
            self._entries[key] = entry
        return entry[1]

    def _run(self, k, x):
        if self.shared is None or k < self.share_from:
            return fast_predict(self.model[:k], x).to(self.device)
        key = (k, digest(self.model[:k].state_dict().values()), digest([x]))
        if key not in self.shared:
            self.shared[key] = fast_predict(self.model[:k], x).to(self.device)
        return self.shared[key]
