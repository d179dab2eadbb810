"""Pre-train the course model on the letters task and save the checkpoint the course ships.

    python -m widgets.pretrain --seed 0 --out widgets/assets/course_cnn.pt

reproduces ``widgets/assets/course_cnn.pt`` (a few minutes on 2 CPU cores). A tiny run checks the pipeline:

    python -m widgets.pretrain --images 512 --epochs 1 --out /tmp/tiny.pt

The course's small ViT (lesson 08) is pre-trained the same way, on the same letters:

    python -m widgets.pretrain --model vit --seed 0 --images 80000 --epochs 6 --lr 1e-3 --threads 1 \
        --out widgets/assets/course_vit.pt
"""

import argparse
import time

import torch
import torch.nn.functional as F

from widgets.kit import checkpoint, data
from widgets.kit.model import CourseCNN
from widgets.kit.vit import CourseViT, vit_meta

WIDTH = 32
CONV1_INIT_SCALE = 0.1  # a small first-layer start, so the plotted filters show what was learned (lesson 03)
#: the ViT trains with AdamW and this decoupled weight decay (the CNN with plain Adam, as it always has)
VIT_WEIGHT_DECAY = 0.05


@torch.no_grad()
def accuracy(model, images, labels, batch_size=500):
    was_training = model.training
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch_size):
        logits = model(data.normalize(images[i : i + batch_size]))
        correct += (logits.argmax(1) == labels[i : i + batch_size]).sum().item()
    model.train(was_training)
    return correct / max(len(labels), 1)


def pretrain(seed=0, images=40_000, epochs=6, lr=2e-3, batch_size=64, log=print, architecture="cnn"):
    """Train a fresh :class:`CourseCNN` (``architecture="vit"``: :class:`CourseViT`) on ``images`` letter images; return
    ``(model, metadata)``."""
    started = time.perf_counter()
    source = data.source_dataset(images, seed=seed)
    test = data.source_test_set()
    generate_seconds = time.perf_counter() - started

    torch.manual_seed(seed)
    if architecture == "vit":
        model = CourseViT(num_classes=len(source.classes))
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=VIT_WEIGHT_DECAY)
    else:
        model = CourseCNN(num_classes=len(source.classes), width=WIDTH, conv1_init_scale=CONV1_INIT_SCALE)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    steps_per_epoch = len(source) // batch_size
    if steps_per_epoch < 1:
        raise ValueError(f"need at least one batch: {images} images < batch size {batch_size}")
    # One-cycle: warm up, then anneal. Reaches a good source accuracy in few epochs.
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=0.15
    )
    generator = torch.Generator().manual_seed(seed)
    model.train()
    train_started = time.perf_counter()
    for epoch in range(epochs):
        order = torch.randperm(len(source), generator=generator)
        for step in range(steps_per_epoch):
            batch = order[step * batch_size : (step + 1) * batch_size]
            loss = F.cross_entropy(model(data.normalize(source.images[batch])), source.labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        log(
            f"epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, held-out source accuracy "
            f"{accuracy(model, test.images, test.labels):.3f} ({time.perf_counter() - train_started:.0f} s)"
        )
    train_seconds = time.perf_counter() - train_started
    model.eval()
    meta = {
        "source_task": "letters A-Z on smooth backgrounds (procedural, widgets.kit.data.source_dataset)",
        "source_classes": list(source.classes),
        "source_accuracy": round(accuracy(model, test.images, test.labels), 4),
        "seed": seed,
        "images": images,
        "epochs": epochs,
        "lr": lr,
        "batch_size": batch_size,
        "width": WIDTH,
        "conv1_init_scale": CONV1_INIT_SCALE,
        "generate_seconds": round(generate_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "torch_version": str(torch.__version__),
    }
    if architecture == "vit":  # the ViT's shape, and no CNN-only settings
        del meta["conv1_init_scale"]
        meta.update(vit_meta(model), weight_decay=VIT_WEIGHT_DECAY)
    return model, meta


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m widgets.pretrain", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="course_cnn.pt", help="where to write the checkpoint")
    parser.add_argument("--images", type=int, default=40_000, help="number of source images to render")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--model", choices=("cnn", "vit"), default="cnn", help="the course CNN or the course ViT")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model, meta = pretrain(seed=args.seed, images=args.images, epochs=args.epochs, lr=args.lr,
                           architecture=args.model)
    size = checkpoint.save_checkpoint(model, meta, args.out)
    print(f"wrote {args.out} ({size:,} bytes): source accuracy {meta['source_accuracy']:.3f}, "
          f"{meta['generate_seconds'] + meta['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
