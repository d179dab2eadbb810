"""RecipeBuilder wiring, driven headless: set control values, read the script and the messages."""

from widgets.codegen.recipe import RECIPE_ARCHITECTURES, recipe_code
from widgets.ui.recipe_builder import RecipeBuilder


def test_changing_a_control_rewrites_the_script():
    builder = RecipeBuilder()
    builder.model.value = "mobilenet_v2"
    builder.unfreeze_last.value = 3
    builder.head_lr.value = "1e-2"
    assert builder.code == recipe_code(builder.recipe)
    assert "model.classifier[1] = nn.Linear" in builder.code
    assert "fine_tuned = [model.features[16], model.features[17], model.features[18]]" in builder.code
    assert '"lr": 0.01' in builder.code


def test_unfreeze_slider_follows_the_model_block_count():
    builder = RecipeBuilder()
    builder.model.value = "vit_b_16"
    builder.unfreeze_last.value = 12
    builder.model.value = "course"
    assert builder.unfreeze_last.max == len(RECIPE_ARCHITECTURES["course"].blocks) == 3
    assert builder.unfreeze_last.value == 3  # clamped, and the script agrees
    assert builder.code == recipe_code(builder.recipe)


def test_impossible_choice_shows_a_message_and_no_script():
    builder = RecipeBuilder()
    builder.num_classes.value = 1
    assert "at least 2 classes" in builder.message.value
    assert builder.code == "" and builder.code_view.value == ""
    builder.save_button.click()
    assert "Nothing to save" in builder.message.value
    builder.num_classes.value = 5
    assert "nn.Linear(model.fc.in_features, 5)" in builder.code


def test_backbone_rate_above_head_rate_gets_advice():
    builder = RecipeBuilder()
    builder.backbone_lr.value = "1e-2"
    assert "higher rate than the new head" in builder.message.value


def test_save_button_writes_the_script(tmp_path):
    builder = RecipeBuilder(save_as=str(tmp_path / "recipe.py"))
    builder.save_button.click()
    assert (tmp_path / "recipe.py").read_text() == builder.code
    assert "Saved to" in builder.message.value
    builder.save_path.value = str(tmp_path / "missing" / "dir" / "recipe.py")
    builder.save_button.click()
    assert "Could not save" in builder.message.value


def test_stage_two_boxes_are_greyed_out_when_nothing_is_unfrozen():
    builder = RecipeBuilder()
    builder.head_epochs.value = 2
    builder.patience.value = 5
    assert "HEAD_EPOCHS = 2" in builder.code and "PATIENCE = 5" in builder.code
    builder.unfreeze_last.value = 0
    assert builder.epochs.disabled and builder.backbone_lr.disabled
    assert "EPOCHS = " not in builder.code.replace("HEAD_EPOCHS = ", "")
    builder.unfreeze_last.value = 1
    assert not builder.epochs.disabled and "Stage two" in builder.code


def test_the_builder_offers_the_course_vit_and_timm_models_and_takes_any_timm_name():
    builder = RecipeBuilder()
    assert {"course", "course_vit", "resnet18", "timm:vit_small_patch16_224"} <= set(builder.model.options)
    builder.model.value = "course_vit"
    assert builder.unfreeze_last.max == 4 and "model = widgets.load_course_vit()" in builder.code
    builder.model.value = " timm:convnext_atto "  # typed, not picked from the list: spaces and all
    assert builder.model.value == "timm:convnext_atto" and builder.unfreeze_last.max == 4
    assert 'timm.create_model("convnext_atto", pretrained=True, num_classes=10)' in builder.code
    assert builder.code == recipe_code(builder.recipe) and builder.message.value == ""


def test_an_unknown_timm_name_is_a_message_with_the_nearest_names_and_no_script():
    builder = RecipeBuilder()
    builder.model.value = "timm:convnext_attto"
    assert "timm has no model &#x27;convnext_attto&#x27;" in builder.message.value
    assert "Did you mean timm:convnext_atto" in builder.message.value
    assert builder.code == "" and builder.code_view.value == ""
    builder.model.value = "timm:convnext_atto"  # corrected: the script is back, nothing else lost
    assert "convnext_atto" in builder.code and builder.num_classes.value == 10


def test_the_modern_optimizer_greys_out_the_backbone_rate_and_schedule_and_needs_a_timm_model():
    builder = RecipeBuilder()
    builder.optimizer.value = "modern"
    assert "The modern recipe is written with timm" in builder.message.value and builder.code == ""
    builder.model.value = "timm:vit_small_patch16_224"
    assert builder.backbone_lr.disabled and builder.schedule.disabled
    assert "create_optimizer_v2" in builder.code and "CosineLRScheduler" in builder.code
    builder.optimizer.value = "adam"
    assert not builder.backbone_lr.disabled and not builder.schedule.disabled
    assert "create_optimizer_v2" not in builder.code
