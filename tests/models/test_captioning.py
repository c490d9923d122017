"""The captioning task: grouping captions by image, teacher forcing, beam search with a context, the spec's rules,
and a tiny run whose export captions image bytes."""

import numpy as np
import pytest
import yaml

from data.examples import Examples
from data.split import split_by_group
from models.tasks.captioning.task import captions_table, images_with_references
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "captioned_shapes_captioning.yaml"


def test_an_image_with_several_captions_is_one_image_with_all_of_them_as_references():
    examples = Examples(np.array(["b.png", "a.png", "b.png", "c.png"]), np.array([2, 0, 1, 2]), ["x", "y", "z"])
    first, references = images_with_references(examples)
    assert first.tolist() == [0, 1, 3]  # first-seen order
    assert references == [["z", "y"], ["x"], ["z"]]
    table = captions_table(examples.inputs[first], references, [("z", 2), ("x", 2), ("q", 2)])
    assert table.splitlines()[1] == "b.png,z | y,z,2"


def test_the_split_keeps_every_caption_of_an_image_in_one_part():
    paths = np.repeat([f"{i}.png" for i in range(30)], 5)
    examples = Examples(paths, np.arange(150), [str(i) for i in range(150)])
    parts = split_by_group(examples, paths, validation=0.2, test=0.2, seed=3)
    images = [set(part.inputs.tolist()) for part in parts]
    assert [len(found) for found in images] == [18, 6, 6]
    assert not (images[0] & images[1] or images[0] & images[2] or images[1] & images[2])
    assert [part.size for part in parts] == [90, 30, 30]


def test_teacher_forcing_shifts_the_looked_up_caption_by_one():
    import tensorflow as tf

    from models.tasks.captioning.task import CaptioningTask

    task = CaptioningTask.__new__(CaptioningTask)
    task.tokens = {"token_ids": np.array([[2, 7, 8, 3], [2, 9, 3, 0]], "int32"),
                   "padding_mask": np.array([[1, 1, 1, 1], [1, 1, 1, 0]], bool)}
    inputs, target, weight = task.targets()(tf.zeros((4, 4, 3)), tf.constant(1))
    assert inputs["decoder_token_ids"].numpy().tolist() == [2, 9, 3]
    assert target.numpy().tolist() == [9, 3, 0] and weight.numpy().tolist() == [1.0, 1.0, 0.0]
    assert inputs["images"].shape == (4, 4, 3)


def _two_step_logits(ids, context):
    """Rows with context 0: token 1 first (p 0.6) leads to a coin toss (3 or 4), token 2 (p 0.4) to a sure 5, so
    beam search prefers 2 where greedy takes 1. Rows with context 1 have the first step's odds swapped. Each
    row's context must follow it through the beams."""
    import tensorflow as tf

    log = lambda p: tf.math.log(tf.constant(p) + 1e-9)  # noqa: E731
    first = tf.where(tf.cast(context, tf.bool)[:, None], log([0, 0.4, 0.6, 0, 0, 0]), log([0, 0.6, 0.4, 0, 0, 0]))
    previous = ids[:, :, None]
    after = tf.where(previous == 1, log([0, 0, 0, 0.5, 0.5, 0]), log([0, 0, 0, 0, 0, 1.0]))
    return tf.where(previous == 0, first[:, None, :], after)


@pytest.mark.parametrize("sampler, expected", [("greedy", [[0, 1, 3], [0, 2, 5]]), ("beam", [[0, 2, 5], [0, 2, 5]])])
def test_beam_search_finds_the_likelier_caption_greedy_misses(sampler, expected):
    import tensorflow as tf

    from models.tasks.generation.decode import uncached
    from models.tasks.generation.sampling import SamplingOptions, build_sampler

    decode = uncached(_two_step_logits, build_sampler(SamplingOptions(sampler=sampler, num_beams=3)),
                      context=tf.constant([0, 1]))
    prompt = tf.zeros((2, 3), tf.int32)
    out = decode(prompt, tf.constant([[True, False, False]] * 2), None)
    assert out.numpy().tolist() == expected


def test_a_tokenize_stage_and_a_tokenizer_that_cannot_detokenize_are_refused_naming_the_head_key():
    spec = yaml.safe_load(SPEC.read_text())
    spec["stages"].append({"tokenize": {"tokenizer": "word_piece"}})
    with pytest.raises(SpecError, match="model.head.tokenize"):
        load_spec(spec)
    spec = yaml.safe_load(SPEC.read_text())
    spec["model"]["head"]["tokenize"] = {"tokenizer": "text_vectorization"}
    with pytest.raises(SpecError, match="model.head.tokenize.tokenizer: text_vectorization"):
        load_spec(spec)
    spec = yaml.safe_load(SPEC.read_text())
    spec["model"]["head"]["sampling"]["sampler"] = "beams"
    with pytest.raises(SpecError, match="beam"):
        load_spec(spec)


@pytest.mark.slow
def test_a_tiny_run_exports_a_captioner_of_image_bytes_with_beam_search(in_tmp_dir):
    import tensorflow as tf

    from pipelines import components  # noqa: F401
    from pipelines.runner import run

    spec = yaml.safe_load(SPEC.read_text())
    spec["data"]["source"].update(folder=str(in_tmp_dir / "shapes"), count=60)
    spec["data"]["batch_size"] = 16
    spec["model"]["head"]["sampling"] = {"sampler": "beam", "num_beams": 2, "max_new_tokens": 15}
    spec["stages"].insert(0, {"resize": {"height": 32, "width": 64}})  # the model sees another shape than the source
    spec["training"].update(epochs=1, steps_per_epoch=2, verbose=0)
    spec["tracking"] = {"log_model": False}
    spec["export"].update(parity_samples=4, warmup_samples=2)
    result = run(spec)
    assert {"test_cider_d", "test_bleu_4", "test_rouge_l", "test_exact_match",
            "test_nearest_neighbour_cider_d", "test_nearest_neighbour_exact_match"} <= set(result.metrics)
    assert result.export_path is not None

    loaded = tf.saved_model.load(str(result.export_path))
    assert {"serving_default", "generate", "greedy"} <= set(loaded.signatures)
    rows = [line.split(",") for line in (in_tmp_dir / "shapes" / "captions.csv").read_text().splitlines()[1:4]]
    images = tf.constant([(in_tmp_dir / "shapes" / file).read_bytes() for file, _ in rows])
    served = loaded.signatures["serving_default"](image_bytes=images)
    assert served["generated"].shape == (3,) and served["generated"].dtype == tf.string
    assert all(0 <= n <= 15 for n in served["num_tokens"].numpy())
    short = loaded.signatures["generate"](image_bytes=images, max_new_tokens=tf.constant(2),
                                          temperature=tf.constant(1.0))
    assert all(n <= 2 for n in short["num_tokens"].numpy())


@pytest.mark.parametrize("make, tokens", [
    (lambda kh: kh.models.ResNetBackbone(input_conv_filters=[64], input_conv_kernel_sizes=[7],
                                         stackwise_num_filters=[64], stackwise_num_blocks=[1],
                                         stackwise_num_strides=[1], block_type="basic_block",
                                         image_shape=(32, 32, 3)), 64),
    (lambda kh: kh.models.ViTBackbone(image_shape=(32, 32, 3), patch_size=8, num_layers=1, num_heads=2,
                                      hidden_dim=16, mlp_dim=32), 17),
])
def test_a_keras_hub_feature_map_or_token_sequence_becomes_the_image_tokens(make, tokens):
    import keras_hub

    from models.tasks.captioning.head import CaptionDecoderOptions
    from models.tasks.captioning.model import build_captioner

    options = CaptionDecoderOptions(hidden_dim=16, num_heads=2, intermediate_dim=32, num_layers=1)
    model = build_captioner(make(keras_hub), (32, 32, 3), 30, 8, options, "tiny")
    assert model.get_layer("image_encoder").output.shape == (None, tokens, 16)
    logits = model({"images": np.zeros((2, 32, 32, 3), "float32"), "decoder_token_ids": np.ones((2, 7), "int32"),
                    "decoder_padding_mask": np.ones((2, 7), bool)})
    assert logits.shape == (2, 7, 30)
