"""What one training run did: the curves, how it ended, and the model it left behind."""

import math
from dataclasses import dataclass, field

ENDINGS = ("done", "stopped", "early-stopped", "diverged")


@dataclass
class History:
    """What one ``Trainer.fit`` did.

    Per step: ``loss``, ``acc`` (on the batch), ``lr`` (the last block's rate). At each evaluation during the run
    (``eval_steps``, step 0 included): ``train_acc`` (the whole training set, no augmentation), ``val_acc`` and
    ``val_loss`` (with ``val``), ``source_acc`` (with ``source``: the forgetting meter) and ``drift`` (per block,
    relative change since the trainer was created). The curves show the run as it happened.

    ``final``: the same measures for the model as ``fit`` LEFT it. After early stopping that is the restored best
    model; after divergence, the restored starting point. ``blowup`` (after divergence only): the step, the loss
    and the same measures for the model where it blew up, before it was restored. ``status`` is one of
    :data:`ENDINGS`; ``message`` says it in words; ``notes`` lists what the trainer did on your behalf (cached
    features, rebuilt optimizer ...).
    """

    steps: list = field(default_factory=list)
    loss: list = field(default_factory=list)
    acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    source_acc: list = field(default_factory=list)
    drift: dict = field(default_factory=dict)
    final: dict = field(default_factory=dict)
    blowup: dict = field(default_factory=dict)
    status: str = "running"
    message: str = ""
    notes: list = field(default_factory=list)
    cached_blocks: int = 0
    seconds: float = 0.0
    cache_seconds: float = 0.0

    @property
    def diverged(self):
        return self.status == "diverged"

    @property
    def stopped(self):
        return self.status == "stopped"

    def end(self, status, message):
        """Mark how the run ended (the Trainer and its hooks call this)."""
        self.status, self.message = status, message

    def record_evaluation(self, step, measures, drift, on_curve=True):
        """Add one evaluation to the curves (``on_curve``) and make it the latest ``final``."""
        self.final = {"step": step, **measures}
        if not on_curve:
            return
        self.eval_steps.append(step)
        for key in ("train_acc", "val_acc", "val_loss", "source_acc"):
            if key in measures:
                getattr(self, key).append(measures[key])
        for name, value in drift.items():
            self.drift.setdefault(name, []).append(value)


def weight_drift(model, reference):
    """Per top-level block: how far its weights moved from ``reference`` (a state dict): ||w - w0|| / ||w0||."""
    drift = {}
    for name, module in model.named_children():
        moved = total = 0.0
        for pname, p in module.named_parameters():
            w0 = reference[f"{name}.{pname}"]
            moved += (p.detach().cpu() - w0).pow(2).sum().item()
            total += w0.pow(2).sum().item()
        if total > 0:
            drift[name] = math.sqrt(moved) / math.sqrt(total)
    return drift
