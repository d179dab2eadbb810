"""The course's own small Vision Transformer (ViT): the 2020s architecture, small enough to fine-tune live on a CPU.

It reads the same 32 x 32 RGB images as :class:`~widgets.kit.model.CourseCNN` and is built from the same parts as
timm's ``VisionTransformer``, named the way timm names them (``patch_embed``, ``qkv``, ``proj``, ``fc1``, ``fc2``,
``norm``, ``head``), so code written for this model reads like code for a real one:

- ``patch_embed``: turn the image into a 4 x 4 grid of ``dim``-long tokens, one per 8 x 8 patch, put a learned
  CLASS token in front and add a learned POSITION embedding to every token. The patches are cut by a small
  convolutional STEM (two stride-2 3 x 3 convolutions, then a 2 x 2 patch projection) instead of one 8 x 8
  linear projection: "early convolutions help transformers see better" (Xiao et al., 2021), and a ViT this
  small learns its letters from far fewer images with them;
- ``block1`` ... ``blockN``: transformer blocks, each ``x + attn(norm1(x))`` then ``x + mlp(norm2(x))``
  (pre-norm, LayerNorm: no BatchNorm, so no running statistics to protect when freezing);
- ``norm``: a last LayerNorm; ``pool``: keep the class token; ``head``: a linear classifier on it.

It is an ``nn.Sequential`` of those top-level blocks, like the CNN: the freezing tools, the per-block learning
rates (``lr={"block4": 1e-4, "head": 1e-2}``) and the Trainer's frozen-prefix cache all work on it unchanged.
"""

import functools
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..engine import checks
from . import checkpoint

#: what the shipped checkpoint holds (the pre-training script and the loader read these)
PATCH, DIM, DEPTH, HEADS, MLP_RATIO = 8, 64, 4, 4, 2


def block_names(depth=DEPTH):
    """``("block1", ..., "blockN")``: the transformer blocks, early to late."""
    return tuple(f"block{i}" for i in range(1, depth + 1))


class PatchEmbed(nn.Module):
    """Image -> tokens: a convolutional stem that maps each ``patch`` x ``patch`` patch to one token (two stride-2
    3 x 3 convolutions with GELU, then a projection of each remaining 2 x 2 patch), the class token in front and
    the position embedding added. ``(N, 3, 32, 32)`` -> ``(N, 1 + grid * grid, dim)``."""

    def __init__(self, image_size=32, patch=PATCH, dim=DIM):
        super().__init__()
        if image_size % patch or patch % 4:
            raise ValueError(f"the image size {image_size} must be a multiple of the patch size {patch}, itself a "
                             "multiple of 4")
        self.proj = nn.Sequential(OrderedDict(
            conv1=nn.Conv2d(3, dim // 4, 3, stride=2, padding=1), act1=nn.GELU(),
            conv2=nn.Conv2d(dim // 4, dim // 2, 3, stride=2, padding=1), act2=nn.GELU(),
            patches=nn.Conv2d(dim // 2, dim, patch // 4, stride=patch // 4)))
        self.num_patches = (image_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + self.num_patches, dim) * 0.02)

    def forward(self, x):
        tokens = self.proj(x).flatten(2).transpose(1, 2)  # (N, dim, g, g) -> (N, g*g, dim)
        cls = self.cls_token.expand(len(tokens), -1, -1)
        return torch.cat([cls, tokens], dim=1) + self.pos_embed


class Attention(nn.Module):
    """Multi-head self-attention with one ``qkv`` projection (as timm writes it) and an output ``proj``."""

    def __init__(self, dim=DIM, heads=HEADS):
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim {dim} must be a multiple of heads {heads}")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(n, tokens, 3, self.heads, dim // self.heads).permute(2, 0, 3, 1, 4)
        mixed = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])  # softmax(q k^T / sqrt(d)) v, per head
        return self.proj(mixed.transpose(1, 2).reshape(n, tokens, dim))


class Mlp(nn.Sequential):
    def __init__(self, dim=DIM, hidden=DIM * MLP_RATIO):
        super().__init__(OrderedDict(fc1=nn.Linear(dim, hidden), act=nn.GELU(), fc2=nn.Linear(hidden, dim)))


class Block(nn.Module):
    """One pre-norm transformer block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``."""

    def __init__(self, dim=DIM, heads=HEADS, mlp_ratio=MLP_RATIO):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ClassToken(nn.Module):
    """Keep the class token, ``(N, tokens, dim)`` -> ``(N, dim)``: what the head reads (timm: global_pool="token")."""

    def forward(self, x):
        return x[:, 0]


class CourseViT(nn.Sequential):
    """``patch_embed`` -> ``block1`` ... ``blockN`` -> ``norm`` -> ``pool`` -> ``head``: a small ViT for 32 x 32 images.

    ``model[:-1]`` is the feature extractor (the class token's final ``dim`` numbers), as for :class:`CourseCNN`.
    """

    def __init__(self, num_classes=10, dim=DIM, depth=DEPTH, heads=HEADS, patch=PATCH, mlp_ratio=MLP_RATIO):
        blocks = [(name, Block(dim, heads, mlp_ratio)) for name in block_names(depth)]
        super().__init__(OrderedDict([("patch_embed", PatchEmbed(32, patch, dim)), *blocks,
                                      ("norm", nn.LayerNorm(dim)), ("pool", ClassToken()),
                                      ("head", nn.Linear(dim, num_classes))]))
        self.dim, self.depth, self.heads, self.patch, self.mlp_ratio = dim, depth, heads, patch, mlp_ratio
        self.apply(_init)

    @property
    def feature_dim(self):
        return self.head.in_features

    @property
    def num_classes(self):
        return self.head.out_features

    @property
    def blocks(self):
        """The transformer blocks' names, early to late (``("block1", ..., "block4")``)."""
        return block_names(self.depth)

    def __getitem__(self, idx):
        # as CourseCNN: a slice of blocks is a plain Sequential (nn.Sequential would call this constructor)
        if isinstance(idx, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def features(self, x):
        """The backbone's output for a batch: shape ``(N, feature_dim)``."""
        return self[:-1](x)


def _init(module):
    """timm's ViT start: small truncated-normal linear weights, zero biases (LayerNorm keeps its 1 and 0)."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        nn.init.zeros_(module.bias)


# --- the shipped, pre-trained ViT ------------------------------------------------------------------------------

ARCHITECTURE = "course_vit"
SHIPPED_VIT = Path(__file__).resolve().parent.parent / "assets" / "course_vit.pt"
RECREATE = ("Re-create it with: python -m widgets.pretrain --model vit --seed 0 --images 80000 --epochs 6 "
            "--lr 1e-3 --out {path}")


def vit_meta(model):
    """The shape of ``model`` as the checkpoint's metadata records it (``width`` is what every course checkpoint
    names its feature width)."""
    return {"architecture": ARCHITECTURE, "width": model.dim, "depth": model.depth, "heads": model.heads,
            "patch": model.patch, "mlp_ratio": model.mlp_ratio}


@functools.lru_cache(maxsize=4)
def _read(path, mtime_ns, size):
    """Read once per version of the file (a file saved again at the same path is read afresh)."""
    return checkpoint.read_checkpoint(path)


def read_vit_checkpoint(path=None):
    """``(state_dict, meta)`` of a ViT checkpoint: the course's safe format (``weights_only=True``), checked to
    hold a :class:`CourseViT` and not the course CNN."""
    path = Path(path or SHIPPED_VIT)
    if not path.is_file():
        raise checkpoint.CheckpointError(f"no checkpoint at {path}. " + RECREATE.format(path=path))
    stat = path.stat()
    state_dict, meta = _read(str(path), stat.st_mtime_ns, stat.st_size)
    if meta.get("architecture") != ARCHITECTURE:
        raise checkpoint.CheckpointError(
            f"{path} holds a course CNN, not the course ViT: load it with load_course_model(). "
            + RECREATE.format(path=path))
    return state_dict, meta


def load_course_vit(num_classes=None, path=None):
    """The course's pre-trained :class:`CourseViT` (letters A-Z), loaded safely from the shipped checkpoint.

    With ``num_classes`` the letters head is replaced by a fresh ``nn.Linear`` (initialised from the caller's torch
    random state, so ``torch.manual_seed`` makes it repeatable): ready to fine-tune on a new task.
    """
    state_dict, meta = read_vit_checkpoint(path)
    model = CourseViT(num_classes=len(meta["source_classes"]), dim=meta["width"], depth=meta["depth"],
                      heads=meta["heads"], patch=meta["patch"], mlp_ratio=meta["mlp_ratio"])
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as error:
        raise checkpoint.CheckpointError(f"{path or SHIPPED_VIT} does not fit the course ViT ({str(error)[:200]}). "
                                         + RECREATE.format(path=path or SHIPPED_VIT)) from None
    model.eval()
    if num_classes is not None:
        model.head = nn.Linear(model.feature_dim, checks.whole(num_classes, "num_classes"))
    return model


def course_vit_info(path=None):
    """What the shipped ViT is: source task and classes, held-out accuracy, shape, parameters, file size."""
    state_dict, meta = read_vit_checkpoint(path)
    info = dict(meta)
    info["parameters"] = sum(t.numel() for t in state_dict.values())
    info["checkpoint_bytes"] = Path(path or SHIPPED_VIT).stat().st_size
    info["description"] = (f"course ViT pre-trained on {len(meta['source_classes'])} letters "
                           f"(held-out accuracy {meta['source_accuracy']:.1%})")
    return info
