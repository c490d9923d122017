"""The dual_encoder task with keras-hub towers: a text backbone (BERT) as the text tower, and a joint CLIP or SigLIP
model as both towers."""

import numpy as np
import pytest
import yaml

from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import DUAL_ENCODER_SPEC as SPEC
from tests.helpers import tiny_dual_encoder_spec as tiny_spec

# A keras-hub text tower (model.head.text.backbone) ---------------------------------------------------------------

TINY_BERT = {"num_layers": 1, "num_heads": 2, "hidden_dim": 16, "intermediate_dim": 32}


def _bert(**config) -> dict:
    return {"source": "keras_hub", "name": "BertBackbone", "config": {**TINY_BERT, **config}}


def _problems(head: dict) -> list[str]:
    spec = yaml.safe_load(SPEC.read_text())
    spec["model"]["head"].update(head)
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    return [str(problem) for problem in raised.value.problems]


def test_a_bert_text_tower_from_config_gives_unit_embeddings_and_feeds_segment_ids():
    from models.tasks.dual_encoder.head import TextTowerOptions
    from models.tasks.dual_encoder.model import build_text_tower

    options = TextTowerOptions(backbone=_bert(vocabulary_size=64, max_sequence_length=16))
    tower = build_text_tower(64, 12, options, embedding_dim=8)
    (backbone,) = [layer for layer in tower.layers if type(layer).__name__ == "BertBackbone"]
    assert backbone.vocabulary_size == 64 and backbone.max_sequence_length == 16
    rng = np.random.default_rng(0)
    mask = np.arange(12)[None, :] < np.array([[3], [12], [7]])
    embedded = np.asarray(tower({"token_ids": rng.integers(0, 64, (3, 12)).astype("int32"), "padding_mask": mask}))
    assert embedded.shape == (3, 8) and np.allclose(np.linalg.norm(embedded, axis=1), 1, atol=1e-5)


def test_a_bert_config_without_sizes_gets_the_tokenizers():
    from models.tasks.dual_encoder.head import TextBackboneOptions
    from models.tasks.dual_encoder.model import build_text_backbone

    backbone = build_text_backbone(TextBackboneOptions(**_bert()), vocabulary_size=40, sequence_length=10)
    assert (backbone.vocabulary_size, backbone.max_sequence_length) == (40, 10)


def test_a_bert_config_too_small_for_the_tokenizer_fails_naming_its_key_and_the_sizes():
    from models.tasks.dual_encoder.head import TextBackboneOptions
    from models.tasks.dual_encoder.model import build_text_backbone

    with pytest.raises(ValueError, match=r"model.head.text.backbone.config.vocabulary_size: BertBackbone embeds 32 "
                                         r"token ids but .* has 64"):
        build_text_backbone(TextBackboneOptions(**_bert(vocabulary_size=32)), vocabulary_size=64, sequence_length=8)
    with pytest.raises(ValueError, match=r"model.head.text.backbone.config.max_sequence_length: BertBackbone takes "
                                         r"at most 8 tokens but .* gives 12 \(model.head.tokenize.sequence_length\)"):
        build_text_backbone(TextBackboneOptions(**_bert(max_sequence_length=8)), vocabulary_size=64,
                            sequence_length=12)
    with pytest.raises(ValueError, match=r"model.head.text.backbone.name: 'BertBackbon' is not a keras_hub backbone"):
        build_text_backbone(TextBackboneOptions(**{**_bert(), "name": "BertBackbon"}), vocabulary_size=64,
                            sequence_length=8)



def test_a_bert_text_tower_from_a_local_preset_is_checked_against_the_tokenizer(tmp_path):
    import keras_hub

    from models.tasks.dual_encoder.head import TextBackboneOptions
    from models.tasks.dual_encoder.model import build_text_backbone

    keras_hub.models.BertBackbone(vocabulary_size=40, max_sequence_length=16, **TINY_BERT).save_to_preset(tmp_path)
    options = TextBackboneOptions(source="keras_hub", name="BertBackbone", preset=str(tmp_path))
    assert build_text_backbone(options, vocabulary_size=40, sequence_length=16).vocabulary_size == 40
    with pytest.raises(ValueError, match=r"model.head.text.backbone.preset: BertBackbone embeds 40 token ids but .* "
                                         r"has 64; tokenize with the same preset \(model.head.tokenize.preset\)"):
        build_text_backbone(options, vocabulary_size=64, sequence_length=16)
    with pytest.raises(ValueError, match=r"model.head.text.backbone.preset: BertBackbone takes at most 16 tokens but "
                                         r".* gives 24 \(model.head.tokenize.sequence_length\)"):
        build_text_backbone(options, vocabulary_size=40, sequence_length=24)

def test_text_backbone_spec_errors_name_their_keys():
    preset = {"source": "keras_hub", "name": "BertBackbone", "preset": "bert_tiny_en_uncased"}
    assert _problems({"text": {"backbone": preset}}) == [
        "model.head.tokenize.preset: model.head.text.backbone.preset bert_tiny_en_uncased reads its own "
        "tokenizer's ids; set model.head.tokenize.preset: bert_tiny_en_uncased (the same preset)"]
    problems = _problems({"text": {"backbone": _bert(), "width": 64, "heads": 2}})
    assert problems == ["model.head.text: width, heads: the built-in tower's options; with a backbone its config "
                        "sets the sizes (backbone.config), so remove them"]
    assert _problems({"text": {"backbone": _bert(vocabulary_size=32)}}) == [
        "model.head.text.backbone.config.vocabulary_size: 32 is less than model.head.tokenize.vocabulary_size 64; "
        "raise it, or leave it out to get the tokenizer's"]
    assert _problems({"text": {"backbone": _bert(max_sequence_length=8)}}) == [
        "model.head.text.backbone.config.max_sequence_length: 8 is less than model.head.tokenize.sequence_length "
        "12; raise it, or leave it out to get the tokenizer's"]
    assert any(p.startswith("model.head.text.backbone.source:") for p in _problems(
        {"text": {"backbone": {**_bert(), "source": "builtin"}}}))
    assert any(p.startswith("model.head.text.backbone:") and "preset" in p for p in _problems(
        {"text": {"backbone": {"source": "keras_hub", "name": "BertBackbone"}}}))


@pytest.mark.slow
def test_a_tiny_run_with_a_bert_text_tower_exports_a_working_embed_text(in_tmp_dir):
    import tensorflow as tf

    from pipelines import components  # noqa: F401
    from pipelines.runner import run

    spec = tiny_spec(in_tmp_dir)
    spec["model"]["head"]["text"] = {"backbone": _bert(max_sequence_length=16)}
    result = run(spec)
    assert {"test_t2i_recall_at_1", "test_zero_shot_accuracy"} <= set(result.metrics)
    assert result.export_path is not None

    loaded = tf.saved_model.load(str(result.export_path))
    texts = tf.constant(["a red circle left of a blue square", "a green triangle left of a red circle"])
    embedded = loaded.signatures["embed_text"](texts=texts)["embedding"].numpy()
    assert embedded.shape == (2, 64) and np.allclose(np.linalg.norm(embedded, axis=1), 1, atol=1e-4)
    assert not np.allclose(embedded[0], embedded[1])


# A joint keras-hub CLIP / SigLIP model as both towers (model.backbone: CLIPBackbone | SigLIPBackbone) -----------

TINY_ENCODER = {"num_layers": 1, "num_heads": 2, "intermediate_dim": 32}


def _joint(name: str = "CLIPBackbone", vocabulary_size: int = 64, max_sequence_length: int = 12, **config) -> dict:
    """A tiny CLIPBackbone or SigLIPBackbone spec from config (16-wide encoders, 8x8 patches)."""
    prefix = name.removesuffix("Backbone")
    text = {"embedding_dim": 16, "hidden_dim": 16, "vocabulary_size": vocabulary_size,
            "max_sequence_length": max_sequence_length, **TINY_ENCODER}
    joint = {"vision_encoder": {"name": f"{prefix}VisionEncoder",
                                "config": {"patch_size": 8, "hidden_dim": 16, **TINY_ENCODER}},
             "text_encoder": {"name": f"{prefix}TextEncoder", "config": text}}
    if name == "CLIPBackbone":
        joint["projection_dim"] = 8
    return {"source": "keras_hub", "name": name, "config": {**joint, **config}}


def _joint_towers(spec: dict, image_shape=(32, 32, 3), vocabulary_size=64, sequence_length=12):
    from models.backbones.keras_hub import KerasHubOptions, keras_hub_backbone
    from models.tasks.dual_encoder.joint_model import joint_towers

    options = KerasHubOptions(**{key: value for key, value in spec.items() if key != "source"})
    backbone = keras_hub_backbone(options, input_shape=image_shape)
    return backbone, joint_towers(backbone, options, image_shape, vocabulary_size, sequence_length)


def _tokens(rng, lengths, sequence_length=12, vocabulary_size=64):
    mask = np.arange(sequence_length)[None, :] < np.asarray(lengths)[:, None]
    return {"token_ids": np.where(mask, rng.integers(1, vocabulary_size, mask.shape), 0).astype("int32"),
            "padding_mask": mask}


def _unit(embedded, shape) -> bool:
    embedded = np.asarray(embedded)
    return embedded.shape == shape and np.allclose(np.linalg.norm(embedded, axis=1), 1, atol=1e-5)


@pytest.mark.parametrize("name", ["CLIPBackbone", "SigLIPBackbone"])
def test_a_tiny_joint_model_from_config_gives_unit_image_and_text_embeddings(name):
    backbone, towers = _joint_towers(_joint(name))
    rng = np.random.default_rng(0)
    width = 8 if name == "CLIPBackbone" else 16  # CLIP: projection_dim; SigLIP: the vision encoder's width
    assert _unit(towers.image_tower(rng.uniform(size=(3, 32, 32, 3)).astype("float32")), (3, width))
    assert _unit(towers.text_tower(_tokens(rng, [3, 12, 7])), (3, width))
    assert backbone.vision_encoder.image_shape == (32, 32, 3)  # the stages' shape, not keras-hub's 224
    assert towers.logit_scale == pytest.approx(1 / 0.07 if name == "CLIPBackbone" else 1.0, rel=1e-5)


def test_clip_s_text_tower_reads_the_last_real_token_not_the_largest_id():
    _, towers = _joint_towers(_joint())
    tokens = {"token_ids": np.array([[5, 63, 9, 2, 0, 0] + [0] * 6] * 2, "int32"),
              "padding_mask": np.arange(12)[None, :] < np.array([[4], [3]])}
    shorter = np.asarray(towers.text_tower(tokens))  # same ids, one real token less: read at position 2, not 3
    assert not np.allclose(shorter[0], shorter[1])


def test_joint_towers_check_the_tokenizer_and_the_widths_naming_their_keys():
    with pytest.raises(ValueError, match=r"model.backbone.config.text_encoder.config.vocabulary_size: CLIPBackbone "
                                         r"embeds 64 token ids but .* has 80; raise it"):
        _joint_towers(_joint(), vocabulary_size=80)
    with pytest.raises(ValueError, match=r"model.backbone.config.text_encoder.config.max_sequence_length: "
                                         r"CLIPBackbone takes at most 12 tokens but .* gives 16"):
        _joint_towers(_joint(), sequence_length=16)
    siglip = _joint("SigLIPBackbone")
    siglip["config"]["text_encoder"]["config"]["projection_dim"] = 8
    with pytest.raises(ValueError, match=r"model.backbone: SigLIPBackbone's vision side embeds into 16 dimensions "
                                         r"and its text side into 8"):
        _joint_towers(siglip)


def test_a_joint_model_from_config_takes_the_stages_square_images():
    from models.backbones.keras_hub import KerasHubOptions
    from models.tasks.dual_encoder.joint import check_image_shape

    options = KerasHubOptions(**{key: value for key, value in _joint().items() if key != "source"})
    check_image_shape(options, (32, 32, 3))
    with pytest.raises(ValueError, match=r"model.backbone.config.vision_encoder: CLIPBackbone takes square images "
                                         r"but the stages give 32x48; add a resize stage"):
        check_image_shape(options, (32, 48, 3))
    options.config["vision_encoder"]["config"]["image_shape"] = [64, 64, 3]
    with pytest.raises(ValueError, match=r"model.backbone.config.vision_encoder.config.image_shape: \(64, 64, 3\) "
                                         r"but the stages give images of shape \(32, 32, 3\)"):
        check_image_shape(options, (32, 32, 3))


def _joint_problems(backbone: dict, head: dict) -> list[str]:
    spec = yaml.safe_load(SPEC.read_text())
    spec["model"]["backbone"] = backbone
    spec["model"]["head"] = {"tokenize": spec["model"]["head"]["tokenize"], **head}
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    return [str(problem) for problem in raised.value.problems]


def test_joint_spec_errors_name_their_keys():
    preset = {"source": "keras_hub", "name": "CLIPBackbone", "preset": "clip_vit_base_patch16"}
    assert _joint_problems(preset, {}) == [
        "model.head.tokenize.preset: model.backbone.preset clip_vit_base_patch16 reads its own tokenizer's ids; "
        "set model.head.tokenize.preset: clip_vit_base_patch16 (the same preset)"]
    spec = yaml.safe_load(SPEC.read_text())
    spec["model"]["backbone"] = preset
    spec["model"]["head"] = {"tokenize": {"preset": "clip_vit_base_patch16", "sequence_length": 77}}
    with pytest.raises(SpecError) as raised:
        load_spec(spec)  # the captioned shapes' stages rescale
    assert [str(problem) for problem in raised.value.problems] == [
        "stages.0.rescale: model.backbone.preset clip_vit_base_patch16's image converter scales the pixels (from "
        "[0, 255]) inside the image tower; remove it"]
    assert _joint_problems(_joint(), {"embedding_dim": 32}) == [
        "model.head.embedding_dim: model.backbone is a joint CLIPBackbone and its projection sets the embedding "
        "width; remove it"]
    assert _joint_problems(_joint("SigLIPBackbone"), {"text": {"width": 32}}) == [
        "model.head.text: model.backbone is a joint SigLIPBackbone and its text side is the text tower; remove it"]
    no_size = _joint()
    del no_size["config"]["text_encoder"]["config"]["vocabulary_size"]
    assert _joint_problems(no_size, {}) == [
        "model.backbone.config.text_encoder.config.vocabulary_size: required (the captions' tokenizer's size, "
        "model.head.tokenize.vocabulary_size, or more)"]
    assert _joint_problems(_joint(vocabulary_size=32), {}) == [
        "model.backbone.config.text_encoder.config.vocabulary_size: 32 is less than "
        "model.head.tokenize.vocabulary_size 64; raise it"]
    assert _joint_problems(_joint(max_sequence_length=8), {}) == [
        "model.backbone.config.text_encoder.config.max_sequence_length: 8 is less than "
        "model.head.tokenize.sequence_length 12; raise it"]


def _tiny_clip_preset(folder) -> int:
    """Save a tiny CLIPBackbone with its CLIPTokenizer (the captioned shapes' words) and image converter (resize
    to 32x32, scale to [0, 1]) as a local preset in `folder`; returns the vocabulary size."""
    import keras_hub

    words = ["a", "red", "blue", "green", "circle", "square", "triangle", "left", "of"]
    vocabulary = {}
    for char in sorted({char for word in words for char in word}):
        vocabulary.setdefault(char, len(vocabulary))
        vocabulary.setdefault(char + "</w>", len(vocabulary))
    merges = []
    for word in words:  # merge each word left to right into one token
        parts = list(word[:-1]) + [word[-1] + "</w>"]
        while len(parts) > 1:
            merges.append(f"{parts[0]} {parts[1]}")
            vocabulary.setdefault(parts[0] + parts[1], len(vocabulary))
            parts = [parts[0] + parts[1], *parts[2:]]
    vocabulary.update({"<|startoftext|>": len(vocabulary), "<|endoftext|>": len(vocabulary) + 1})
    size = len(vocabulary)
    vision = keras_hub.models.CLIPVisionEncoder(patch_size=8, hidden_dim=16, image_shape=(32, 32, 3), **TINY_ENCODER)
    text = keras_hub.models.CLIPTextEncoder(vocabulary_size=size, embedding_dim=16, hidden_dim=16,
                                            max_sequence_length=16, **TINY_ENCODER)
    keras_hub.models.CLIPBackbone(vision, text, projection_dim=8).save_to_preset(str(folder))
    keras_hub.tokenizers.CLIPTokenizer(vocabulary=vocabulary, merges=list(dict.fromkeys(merges))).save_to_preset(
        str(folder))
    keras_hub.layers.CLIPImageConverter(image_size=(32, 32), scale=1 / 255).save_to_preset(str(folder))
    return size


def test_a_clip_from_a_local_preset_converts_images_and_reads_clip_s_end_token(tmp_path):
    import tensorflow as tf

    from data.text.encoder import TextEncoder
    from data.text.tokenizers import preset_tokenizer

    size = _tiny_clip_preset(tmp_path)
    spec = {"source": "keras_hub", "name": "CLIPBackbone", "preset": str(tmp_path)}
    backbone, towers = _joint_towers(spec, image_shape=(48, 64, 3), vocabulary_size=size, sequence_length=12)
    assert [layer.name for layer in towers.image_tower.layers][1] == "image_converter"
    images = np.random.default_rng(0).uniform(0, 255, (2, 48, 64, 3)).astype("float32")
    assert _unit(towers.image_tower(images), (2, 8))  # any image size: the preset's converter resizes
    tokens = TextEncoder(preset_tokenizer(str(tmp_path)), 12)(tf.constant(["a red circle left of a blue square",
                                                                           "a green triangle"]))
    tokens = {name: tokens[name] for name in ("token_ids", "padding_mask")}
    ours = np.asarray(towers.text_tower(tokens))
    theirs = np.asarray(tf.math.l2_normalize(backbone.get_text_embeddings(tokens["token_ids"]), axis=1))
    assert _unit(ours, (2, 8)) and np.allclose(ours, theirs, atol=1e-5)  # CLIP's tokenizer: the end token
    assert towers.logit_scale == pytest.approx(1 / 0.07, rel=1e-5)
    with pytest.raises(ValueError, match=r"model.backbone.preset: CLIPBackbone takes at most 16 tokens but .* "
                                         r"gives 24; lower model.head.tokenize.sequence_length to at most 16$"):
        _joint_towers(spec, vocabulary_size=size, sequence_length=24)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["config", "preset"])
def test_a_tiny_run_with_a_clip_exports_working_embeddings(in_tmp_dir, source):
    import tensorflow as tf

    from data.images import decode_image
    from pipelines import components  # noqa: F401
    from pipelines.runner import run

    spec = tiny_spec(in_tmp_dir)
    spec["model"]["head"] = {key: spec["model"]["head"][key] for key in ("tokenize", "class_prompts")}
    if source == "config":  # the stages resize to a square and rescale
        spec["stages"].insert(0, {"resize": {"height": 32, "width": 32}})
        spec["model"]["backbone"] = _joint()
    else:  # the preset's image converter does both, inside the image tower (and so the export)
        _tiny_clip_preset(in_tmp_dir / "preset")
        spec["stages"] = []
        preset = str(in_tmp_dir / "preset")
        spec["model"]["backbone"] = {"source": "keras_hub", "name": "CLIPBackbone", "preset": preset}
        spec["model"]["head"]["tokenize"] = {"preset": preset, "sequence_length": 12}
    result = run(spec)
    assert {"test_t2i_recall_at_1", "test_zero_shot_accuracy"} <= set(result.metrics)
    assert result.export_path is not None

    loaded = tf.saved_model.load(str(result.export_path))
    rows = [line.split(",") for line in (in_tmp_dir / "shapes" / "captions.csv").read_text().splitlines()[1:4]]
    images = tf.constant([(in_tmp_dir / "shapes" / file).read_bytes() for file, _ in rows])
    texts = tf.constant([text for _, text in rows])
    embedded = loaded.signatures["embed_text"](texts=texts)["embedding"].numpy()
    assert _unit(embedded, (3, 8)) and not np.allclose(embedded[0], embedded[1])
    served = loaded.signatures["embed_image"](image_bytes=images)["embedding"].numpy()
    decoded = tf.stack([decode_image(image, (32, 48, 3)) for image in images])
    assert _unit(served, (3, 8))
    assert np.allclose(served, result.model(result.preprocess(decoded)), atol=1e-5)  # the stages' resize inside
    probabilities = loaded.signatures["zero_shot"](image_bytes=images, labels=texts)["probabilities"].numpy()
    assert probabilities.shape == (3, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
