"""TensorFlow/Keras beside PyTorch: the same fine-tuning settings, written and RUN in Keras 3.

Keras 3 runs on PyTorch here (``KERAS_BACKEND=torch``), so no TensorFlow is needed; ``tf.keras`` takes the same
arguments (``keras.optimizers.Adam(learning_rate=1e-4)``, ``keras.optimizers.schedules.ExponentialDecay``,
``layer.trainable = False``, ``model.compile``).

- ``keras_code`` / ``torch_code``: the two spellings of one setting, as code you can copy (and that runs).
- ``keras_schedule_curve``: Keras' ``ExponentialDecay``, step by step (it matches ``torch.optim``'s).
- ``unfreeze_without_compile`` and ``batchnorm_when_frozen``: the two Keras pitfalls, demonstrated live.

The models are tiny (8x8 images, a few hundred weights), so each demonstration runs in well under a second
once Keras is imported.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported anywhere

import numpy as np  # noqa: E402
import torch  # noqa: E402

from ..engine import checks, schedules  # noqa: E402
from ..engine.seeding import seeded  # noqa: E402


def keras():
    """The ``keras`` module (imported on first use: it takes a few seconds)."""
    import keras as _keras

    return _keras


def backend():
    return keras().backend.backend()


# --------------------------------------------------------------------------------------------- code side by side
#
# ``schedule`` below is a schedule from the course's one table (widgets.engine.schedules), e.g.
# {"name": "exponential", "decay_steps": 100, "decay_rate": 0.5}; ``steps``: the length of the run in batches.


def keras_code(lr=1e-4, frozen=("conv1", "conv2"), schedule=None, steps=100):
    """Keras code that freezes ``frozen`` layers and compiles with Adam at ``lr``, on ``schedule``."""
    lines = [f'model.get_layer("{name}").trainable = False' for name in frozen]
    rate = schedules.keras_line(schedule, lr, steps)
    callback = schedules.keras_callback(schedule)
    if rate is None and callback is not None:  # plateau: Keras lowers the rate from a callback, not a schedule
        rate = f"{checks.rate(lr):g}"
    if rate is None:
        raise checks.SettingError(f"Keras has no built-in schedule like {schedules.spec(schedule)[0]!r}; "
                                  "write a keras.optimizers.schedules.LearningRateSchedule for it.")
    lines.append(f"rate = {rate}")
    lines += [
        "model.compile(  # compile AFTER changing trainable: it takes effect at compile",
        "    optimizer=keras.optimizers.Adam(learning_rate=rate),",
        "    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),",
        '    metrics=["accuracy"],',
        ")",
    ]
    if callback is not None:
        lines += ["# it reads the validation loss after every epoch: pass validation data and the callback to fit",
                  f"callbacks = [{callback}]",
                  "model.fit(x, y, validation_data=(x_val, y_val), epochs=EPOCHS, callbacks=callbacks)"]
    return "\n".join(lines)


def torch_code(lr=1e-4, frozen=("conv1", "conv2"), schedule=None, steps=100):
    """The same setting in PyTorch: freeze, an optimizer of the trainable parameters, the scheduler."""
    lines = [f"for p in model.{name}.parameters():\n    p.requires_grad = False" for name in frozen]
    lines += [
        "optimizer = torch.optim.Adam(  # build it AFTER freezing: it only gets the trainable parameters",
        f"    [p for p in model.parameters() if p.requires_grad], lr={checks.rate(lr):g})",
    ]
    line = schedules.torch_line(schedule, steps)
    if line:
        when = ("# stepped with the validation loss after every evaluation: scheduler.step(val_loss)"
                if schedules.reads_validation_loss(schedule) else "# stepped after every batch: scheduler.step()")
        lines += [when, f"scheduler = {line}"]
    return "\n".join(lines)


def keras_schedule(schedule, lr, steps):
    """The Keras schedule object that :func:`keras_code` writes, built by running that very code."""
    rate = schedules.keras_line(schedule, lr, steps)
    callback = schedules.keras_callback(schedule)
    if rate is None and callback is not None:  # plateau: Keras lowers the rate from a callback, not a schedule
        rate = f"{checks.rate(lr):g}"
    if rate is None:
        raise checks.SettingError(f"Keras has no built-in schedule like {schedules.spec(schedule)[0]!r}.")
    return eval(rate, {"keras": keras()})  # noqa: S307 - our own generated line: running it proves it is right


def keras_schedule_curve(schedule, lr, steps):
    """The rate Keras uses at steps 0 .. steps-1 under ``schedule``, computed by Keras itself."""
    k = keras()
    rate = keras_schedule(schedule, lr, steps)
    if not callable(rate):
        return [float(rate)] * steps
    return [float(k.ops.convert_to_numpy(rate(step))) for step in range(steps)]


# --------------------------------------------------------------------------------------------- a tiny model


def tiny_model(num_classes=3, seed=0):
    """Input 8x8x3 -> ``conv1`` -> ``bn1`` -> ReLU -> global average -> ``head``: the Keras twin of a CNN."""
    k = keras()
    k.utils.set_random_seed(seed)
    inputs = k.Input((8, 8, 3))
    x = k.layers.Conv2D(4, 3, padding="same", name="conv1")(inputs)
    x = k.layers.BatchNormalization(name="bn1")(x)
    x = k.layers.ReLU(name="relu1")(x)
    x = k.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = k.layers.Dense(num_classes, name="head")(x)
    return k.Model(inputs, outputs, name="tiny")


def tiny_data(n=48, num_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % num_classes
    x = rng.normal(size=(n, 8, 8, 3)).astype("float32") + y[:, None, None, None].astype("float32")
    return x, y


def compile_model(model, lr=1e-2):
    k = keras()
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate=lr),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def _fit(model, data, epochs=1):
    x, y = data
    return model.fit(x, y, epochs=epochs, batch_size=16, verbose=0, shuffle=False)


# --------------------------------------------------------------------------------------------- the pitfalls


def unfreeze_without_compile(seed=0):
    """Freeze ``conv1``, compile, train; unfreeze it and train again WITHOUT ``compile``; then compile and train.

    Returns ``{"error": the message Keras gave (or None), "trains_after_compile": bool}``: the optimizer was
    built for the old list of trainable weights, so the unfrozen layer is unknown to it until ``compile``.
    """
    model, data = tiny_model(seed=seed), tiny_data(seed=seed)
    conv1 = model.get_layer("conv1")
    conv1.trainable = False
    compile_model(model)
    _fit(model, data)
    before = conv1.get_weights()[0].copy()
    conv1.trainable = True
    error = None
    try:
        _fit(model, data)
    except Exception as exc:  # Keras raises ValueError("Unknown variable ...") here
        error = f"{type(exc).__name__}: {str(exc).split(', shape=')[0].splitlines()[0][:100]}"
    changed_without_compile = not np.allclose(before, conv1.get_weights()[0])
    compile_model(model)
    _fit(model, data)
    return {
        "error": error,
        "changed_without_compile": changed_without_compile,
        "trains_after_compile": not np.allclose(before, conv1.get_weights()[0]),
    }


def batchnorm_when_frozen(seed=0):
    """BatchNorm with ``trainable = False`` in Keras 3 vs ``requires_grad = False`` in PyTorch.

    Keras runs a frozen BatchNormalization layer in inference mode: its moving statistics stay put and its
    output in training equals its output in inference. PyTorch's ``requires_grad_(False)`` only stops the
    gradients: in ``train()`` mode the running statistics still move (unless you call ``.eval()`` on it).
    """
    model, data = tiny_model(seed=seed), tiny_data(seed=seed)
    bn = model.get_layer("bn1")
    bn.trainable = False
    compile_model(model)
    k = keras()
    mean_before = k.ops.convert_to_numpy(bn.moving_mean).copy()
    _fit(model, data)
    mean_after = k.ops.convert_to_numpy(bn.moving_mean)
    x = data[0][:8]
    same_output = np.allclose(
        k.ops.convert_to_numpy(model(x, training=True)), k.ops.convert_to_numpy(model(x, training=False)), atol=1e-6
    )

    layer = torch.nn.BatchNorm2d(4)
    layer.requires_grad_(False)
    layer.train()
    with torch.no_grad(), seeded(seed):
        layer(torch.randn(16, 4, 8, 8) + 3)
    return {
        "keras_moving_mean_changed": not np.allclose(mean_before, mean_after),
        "keras_training_output_equals_inference": bool(same_output),
        "torch_running_mean_changed": not torch.equal(layer.running_mean, torch.zeros(4)),
    }


def fit_keras(lr=1e-2, frozen=(), epochs=3, schedule=None, seed=0):
    """Run the ``keras_code`` setting on the tiny model; returns the losses per epoch and the rate at the end."""
    k = keras()
    model, data = tiny_model(seed=seed), tiny_data(seed=seed)
    for name in frozen:
        model.get_layer(name).trainable = False
    batches = epochs * -(-len(data[1]) // 16)  # the run's length in batches (16 per batch)
    rate = keras_schedule(schedule, lr, batches)
    model.compile(
        optimizer=k.optimizers.Adam(learning_rate=rate),
        loss=k.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = _fit(model, data, epochs=epochs)
    optimizer = model.optimizer
    final_rate = float(k.ops.convert_to_numpy(optimizer.learning_rate))
    return {
        "loss": [float(v) for v in history.history["loss"]],
        "accuracy": [float(v) for v in history.history["accuracy"]],
        "final_rate": final_rate,
        "trainable_weights": len(model.trainable_weights),
        "model": model,
    }
