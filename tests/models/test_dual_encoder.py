"""The dual_encoder task: recall@k, the captioned shapes it trains on, the captions source, and its export."""

import numpy as np
import pytest
import yaml

from data.sources.captions import CaptionsOptions, load_captions
from data.synthetic.captioned_shapes import COLOURS, captions, draw, parse, write_captioned_shapes
from models.tasks.dual_encoder.scoring import (chance_t2i_recall_at_1, recall_at_k, retrieval_metrics,
                                               zero_shot_accuracy)
from pipelines.spec_errors import SpecError
from pipelines.spec_loading import load_spec
from tests.helpers import DUAL_ENCODER_SPEC as SPEC
from tests.helpers import tiny_dual_encoder_spec as tiny_spec


def test_recall_at_k_counts_a_query_whose_relevant_column_ranks_within_k():
    similarity = np.array([[0.9, 0.5, 0.1], [0.2, 0.3, 0.8], [0.1, 0.2, 0.3]])
    relevant = np.array([[True, False, False], [True, False, False], [False, True, True]])
    assert recall_at_k(similarity, relevant, [1, 2, 3]) == {1: 2 / 3, 2: 2 / 3, 3: 1.0}


def test_retrieval_counts_any_image_with_the_caption_and_dedupes_captions():
    # four images, two captions (0 and 1) shared two by two; image 3 looks like caption 0
    images = np.array([[1, 0], [1, 0], [0, 1], [1, 0]], "float32")
    captions_of = np.array([0, 0, 1, 1])
    texts = np.eye(2, dtype="float32")
    found = retrieval_metrics(images, captions_of, lambda ids: texts[ids], [1, 2])
    assert found["t2i_recall_at_1"] == 1.0  # each caption's top image has that caption (ties in index order)
    assert found["i2t_recall_at_1"] == 0.75 and found["i2t_recall_at_2"] == 1.0  # over 2 distinct captions
    assert chance_t2i_recall_at_1(captions_of) == 0.5


def test_zero_shot_scores_only_images_whose_caption_names_one_class():
    images = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], "float32")
    prompts = np.eye(2, dtype="float32")  # circle, square
    texts = ["a red circle left of a blue circle", "a red square left of a blue square",
             "a red circle left of a blue square", "a red circle left of a green circle"]
    assert zero_shot_accuracy(images, texts, prompts, ["circle", "square"]) == (2 / 3, 3)


def test_there_are_72_captions_and_each_reads_back_as_what_it_names():
    texts = captions()
    assert len(texts) == len(set(texts)) == 72
    assert all(left != right for left, right in map(parse, texts))


def _form(mask: np.ndarray) -> str:
    """A coloured region's form from how much of its bounding box it fills."""
    rows, cols = np.nonzero(mask)
    fill = mask.sum() / ((np.ptp(rows) + 1) * (np.ptp(cols) + 1))
    return "square" if fill > 0.9 else "circle" if fill > 0.65 else "triangle"


@pytest.mark.parametrize("text", captions()[::7])
def test_the_generator_draws_what_the_caption_says(text):
    image = draw(*parse(text), np.random.default_rng(3)).astype(int)
    coloured = image.max(axis=2) - image.min(axis=2) > 80  # the noise is grey
    half = image.shape[1] // 2
    for (colour, shape), columns in zip(parse(text), (slice(0, half), slice(half, None))):
        mask, pixels = coloured[:, columns], image[:, columns][coloured[:, columns]]
        assert mask.sum() > 20
        assert int(np.argmax(pixels.mean(axis=0))) == int(np.argmax(COLOURS[colour])), text
        assert _form(mask) == shape, text


def test_the_source_reads_pairs_and_shares_an_id_between_images_of_one_caption(tmp_path):
    write_captioned_shapes(str(tmp_path), count=80, seed=1)
    examples = load_captions(CaptionsOptions(folder=str(tmp_path)))
    assert examples.size == 80 and examples.num_classes == 72 and examples.kind == "image"
    assert examples.image_shape == (128, 128, 3)  # a folder of its own: the photo default, not the drawn size
    first = (tmp_path / "captions.csv").read_text().splitlines()[1].split(",")
    assert examples.class_names[examples.labels[0]] == first[1]


def test_the_source_names_the_missing_column_and_the_bad_row(tmp_path):
    write_captioned_shapes(str(tmp_path), count=3, seed=0)
    with pytest.raises(ValueError, match=r"data.source.caption_column: .*captions.csv has no column 'text'"):
        load_captions(CaptionsOptions(folder=str(tmp_path), caption_column="text"))
    (tmp_path / "captions.csv").write_text("file,caption\nimages/00000.png,\nimages/00001.png,a cat\n")
    with pytest.raises(ValueError, match=r"captions.csv row 2: empty caption"):
        load_captions(CaptionsOptions(folder=str(tmp_path)))
    (tmp_path / "captions.csv").write_text("file,caption\nimages/missing.png,a cat\n")
    with pytest.raises(ValueError, match=r"captions.csv row 2 \(.*missing.png\): .*No such file"):
        load_captions(CaptionsOptions(folder=str(tmp_path)))
    (tmp_path / "captions.csv").write_text("file,caption\nimages/missing.png,a cat\nimages/00001.png,a dog\n")
    kept = load_captions(CaptionsOptions(folder=str(tmp_path)), on_bad_record="skip")
    assert kept.size == 1 and kept.class_names == ["a dog"] and kept.skipped == 1
    with pytest.raises(ValueError, match="no CSV at"):
        load_captions(CaptionsOptions(folder=str(tmp_path), captions="none.csv"))


def test_the_source_reads_a_coco_captions_file_one_example_per_caption(tmp_path):
    import json

    write_captioned_shapes(str(tmp_path), count=2, seed=0)
    coco = {"images": [{"id": 7, "file_name": "images/00000.png"}, {"id": 8, "file_name": "images/00001.png"}],
            "annotations": [{"id": 1, "image_id": 7, "caption": "a cat"}, {"id": 2, "image_id": 7, "caption": "a pet"},
                            {"id": 3, "image_id": 8, "caption": "a  cat "}]}
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    examples = load_captions(CaptionsOptions(folder=str(tmp_path), captions="coco.json", format="coco"))
    assert examples.size == 3 and examples.class_names == ["a cat", "a pet"] and examples.labels.tolist() == [0, 1, 0]
    coco["annotations"].append({"id": 4, "image_id": 9, "caption": "a dog"})
    (tmp_path / "coco.json").write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=r"coco.json annotation 3 \(id 4\): image_id 9"):
        load_captions(CaptionsOptions(folder=str(tmp_path), captions="coco.json", format="coco"))


def test_generating_refuses_a_folder_written_with_another_recipe(tmp_path):
    folder = str(tmp_path / "shapes")
    load_captions(CaptionsOptions(folder=folder, generate_shapes=True, count=4))
    with pytest.raises(ValueError, match="delete the folder"):
        load_captions(CaptionsOptions(folder=folder, generate_shapes=True, count=5))


def test_a_tokenize_stage_is_refused_naming_the_head_key():
    spec = yaml.safe_load(SPEC.read_text())
    spec["stages"].append({"tokenize": {"tokenizer": "word_piece"}})
    with pytest.raises(SpecError, match="model.head.tokenize"):
        load_spec(spec)


def test_info_nce_is_lower_for_matched_pairs_and_treats_a_shared_caption_as_positive():
    import tensorflow as tf

    from models.tasks.dual_encoder.model import info_nce

    z = tf.math.l2_normalize(tf.random.normal((6, 8), seed=1), axis=1)
    distinct = tf.range(6)
    assert float(info_nce(z, z, distinct, 10.0)) < float(info_nce(z, tf.roll(z, 1, axis=0), distinct, 10.0))
    pairs = tf.constant([0, 0, 1, 1, 2, 2])
    swapped = tf.gather(z, [1, 0, 3, 2, 5, 4])  # each image's text is its twin's: still a positive
    assert abs(float(info_nce(z, swapped, pairs, 10.0)) - float(info_nce(z, z, pairs, 10.0))) < 1e-5


@pytest.mark.slow
def test_a_tiny_run_exports_embeddings_that_match_the_model_and_zero_shot_probabilities(in_tmp_dir):
    import tensorflow as tf

    from pipelines import components  # noqa: F401
    from pipelines.runner import run

    spec = tiny_spec(in_tmp_dir)
    result = run(spec)
    assert {"test_t2i_recall_at_1", "test_i2t_recall_at_10", "test_zero_shot_accuracy"} <= set(result.metrics)
    assert result.export_path is not None

    loaded = tf.saved_model.load(str(result.export_path))
    assert {"serving_default", "embed_image", "embed_text", "zero_shot"} <= set(loaded.signatures)
    rows = [line.split(",") for line in (in_tmp_dir / "shapes" / "captions.csv").read_text().splitlines()[1:4]]
    images = tf.constant([(in_tmp_dir / "shapes" / file).read_bytes() for file, _ in rows])
    names = tf.constant([text for _, text in rows])
    embedded = loaded.signatures["embed_text"](texts=names)["embedding"].numpy()
    assert embedded.shape == (3, 64) and np.allclose(np.linalg.norm(embedded, axis=1), 1, atol=1e-4)
    served = loaded.signatures["embed_image"](image_bytes=images)["embedding"].numpy()
    assert np.allclose(served, loaded.signatures["serving_default"](image_bytes=images)["embedding"].numpy())
    assert np.allclose(np.linalg.norm(served, axis=1), 1, atol=1e-4)
    probabilities = loaded.signatures["zero_shot"](image_bytes=images, labels=names)["probabilities"].numpy()
    assert probabilities.shape == (3, 3) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
