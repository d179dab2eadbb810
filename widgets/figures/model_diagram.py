"""A diagram of a model's blocks, drawn from the model itself: each block's name, layers and output shape.

The shapes are measured by running one image through the model (in eval mode, the model left as it was), so the
picture can never disagree with the code.
"""

import plotly.graph_objects as go
import torch
from torch import nn

from .style import MAX_WIDTH, PALETTE


def block_shapes(model, image_size=32):
    """``[(name, layer summary, output shape without the batch, parameters)]`` for each top-level block."""
    shapes, hooks = {}, []
    for name, block in model.named_children():
        hooks.append(block.register_forward_hook(
            lambda m, i, out, name=name: shapes.__setitem__(name, tuple(out.shape[1:]))))
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, image_size, image_size, device=next(model.parameters()).device))
    finally:
        for hook in hooks:
            hook.remove()
        for m, mode in modes:
            m.training = mode
    rows = []
    for name, block in model.named_children():
        layers = [type(m).__name__ for m in (block.children() if isinstance(block, nn.Sequential) else [block])]
        rows.append((name, " + ".join(layers), shapes[name], sum(p.numel() for p in block.parameters())))
    return rows


def _shape_text(shape):
    return " x ".join(str(s) for s in shape)


def model_diagram(model, image_size=32, title="The course model, block by block"):
    """Boxes left to right: the input, then each block with its layers, output shape and parameter count."""
    rows = [("input", "an RGB image", (3, image_size, image_size), 0)] + block_shapes(model, image_size)
    fig = go.Figure()
    width = 1.0
    for i, (name, layers, shape, count) in enumerate(rows):
        x0 = i * 1.25
        head = name == "head"
        colour = PALETTE[1] if head else PALETTE[0] if name != "input" else "#999999"
        fig.add_shape(type="rect", x0=x0, x1=x0 + width, y0=0, y1=1, line=dict(color=colour, width=2),
                      fillcolor=colour, opacity=0.15)
        shape_label = "shape" if name == "input" else "out"
        text = f"<b>{name}</b><br>{layers.replace(' + ', '<br>')}<br><i>{shape_label}: {_shape_text(shape)}</i>"
        if count:
            text += f"<br>{count:,} params"
        fig.add_annotation(x=x0 + width / 2, y=0.5, text=text, showarrow=False, font=dict(size=9))
        if i:
            fig.add_annotation(x=x0, y=0.5, ax=x0 - 0.25, ay=0.5, xref="x", yref="y", axref="x", ayref="y",
                               text="", showarrow=True, arrowhead=2, arrowwidth=1.5)
    fig.update_xaxes(visible=False, range=[-0.1, len(rows) * 1.25])
    fig.update_yaxes(visible=False, range=[-0.05, 1.05])
    fig.update_layout(title=title, template="plotly_white", height=280, width=MAX_WIDTH,
                      margin=dict(l=10, r=10, t=40, b=10))
    return fig
