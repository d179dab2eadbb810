import numpy as np
import pytest
import torch

from widgets import CourseCNN
from widgets.codegen import keras_side
from widgets.engine.schedules import schedule_curve


@pytest.mark.slow
def test_keras_runs_on_the_torch_backend():
    assert keras_side.backend() == "torch"


EXPONENTIAL = {"name": "exponential", "decay_steps": 5, "decay_rate": 0.5}


@pytest.mark.parametrize("schedule", [
    "constant", EXPONENTIAL, "cosine", {"name": "cosine", "eta_min": 1e-4}, "step", {"name": "step", "step_size": 4,
                                                                                      "gamma": 0.5}])
def test_every_schedule_keras_has_built_in_gives_the_same_rates_as_torch(schedule):
    """The Keras line comes from the course's one schedule table; running it in Keras gives PyTorch's curve."""
    keras_curve = keras_side.keras_schedule_curve(schedule, 1e-2, 13)
    torch_curve = schedule_curve(schedule, 13, 1e-2)
    assert keras_curve == pytest.approx(torch_curve, rel=1e-5, abs=1e-9)


def test_a_schedule_keras_lacks_is_said_in_words():
    with pytest.raises(ValueError, match="Keras has no built-in schedule like 'onecycle'"):
        keras_side.keras_code(schedule="onecycle")


def test_unfreezing_after_compile_needs_a_new_compile():
    result = keras_side.unfreeze_without_compile()
    assert result["error"] is not None and "Unknown variable" in result["error"]
    assert not result["changed_without_compile"]
    assert result["trains_after_compile"]


def test_frozen_batchnorm_runs_in_inference_mode_in_keras_but_not_in_torch():
    result = keras_side.batchnorm_when_frozen()
    assert result == {
        "keras_moving_mean_changed": False,
        "keras_training_output_equals_inference": True,
        "torch_running_mean_changed": True,
    }


def test_the_keras_code_shown_is_the_code_that_runs():
    keras = keras_side.keras()
    model = keras_side.tiny_model()
    code = keras_side.keras_code(lr=3e-4, frozen=("conv1",),
                                 schedule={"name": "exponential", "decay_steps": 10, "decay_rate": 0.5})
    exec(code, {"keras": keras, "model": model})
    assert not model.get_layer("conv1").trainable and model.get_layer("head").trainable
    rate = model.optimizer.learning_rate
    assert float(keras.ops.convert_to_numpy(rate)) == pytest.approx(3e-4)


def test_the_torch_code_shown_is_the_code_that_runs():
    model = CourseCNN(width=8)
    scope = {"torch": torch, "model": model}
    exec(keras_side.torch_code(lr=1e-4, frozen=("conv1", "conv2"),
                               schedule={"name": "exponential", "decay_steps": 4, "decay_rate": 0.1}), scope)
    trained = {id(p) for group in scope["optimizer"].param_groups for p in group["params"]}
    assert trained == {id(p) for p in model.parameters() if p.requires_grad}
    assert not any(p.requires_grad for p in model.conv1.parameters())
    assert scope["scheduler"].gamma == pytest.approx(0.1 ** 0.25)


def test_fit_keras_keeps_frozen_layers_and_decays_the_rate():
    result = keras_side.fit_keras(lr=1e-2, frozen=("conv1",), epochs=2,
                                  schedule={"name": "exponential", "decay_steps": 3, "decay_rate": 0.5})
    model = result["model"]
    fresh = keras_side.tiny_model()
    assert np.array_equal(model.get_layer("conv1").get_weights()[0], fresh.get_layer("conv1").get_weights()[0])
    assert not np.array_equal(model.get_layer("head").get_weights()[0], fresh.get_layer("head").get_weights()[0])
    assert result["trainable_weights"] == 4  # bn1 gamma/beta, head kernel/bias
    assert result["final_rate"] == pytest.approx(1e-2 * 0.5 ** (6 / 3), rel=1e-4)  # 2 epochs x 3 batches
