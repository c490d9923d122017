"""The seq2seq task: teacher forcing, the text scores, the copy baseline, the number words, export parity, checks."""

import numpy as np
import pytest
import tensorflow as tf
import yaml

from data.synthetic.numbers import number_pairs, number_words
from models.tasks.seq2seq.baseline import copy_baseline
from models.tasks.seq2seq.metrics import lcs_length, normalize, rouge_l, text_scores
from models.tasks.seq2seq.targets import teacher_forcing
from tests.helpers import REPO

SPEC = REPO / "pipelines" / "specs" / "numbers_seq2seq.yaml"
PAIRS = [("one hundred and two", "102"), ("seven", "7"), ("forty-two", "42"), ("twelve thousand", "12000"),
         ("nine hundred", "900"), ("sixty-one", "61")]


def test_teacher_forcing_feeds_the_whole_source_and_the_target_shifted_by_one():
    features = {"token_ids": tf.constant([[2, 10, 11, 12, 3], [2, 20, 21, 3, 0]]),
                "padding_mask": tf.constant([[True] * 5, [True, True, True, True, False]])}
    x, y, w = teacher_forcing(features)
    assert x["encoder_token_ids"].numpy().tolist() == [2, 10, 11, 12, 3]
    assert x["decoder_token_ids"].numpy().tolist() == [2, 20, 21, 3]  # starts with the start token
    assert y.numpy().tolist() == [20, 21, 3, 0]  # ends with the end token: the model learns to stop
    assert w.numpy().tolist() == [1, 1, 1, 0] and x["decoder_padding_mask"].numpy().tolist() == [True] * 4


def test_scores_of_known_strings():
    perfect = text_scores(["312", "the cat sat on the mat"], ["312", "the  cat sat on the mat "])
    assert perfect["exact_match"] == 1.0 and perfect["rouge_l"] == 1.0
    assert perfect["bleu"] == pytest.approx(100.0) and perfect["chrf"] == pytest.approx(100.0)
    wrong = text_scores(["abc"], ["xyz"])
    assert wrong["exact_match"] == 0.0 and wrong["rouge_l"] == 0.0 and wrong["bleu"] == 0.0 and wrong["chrf"] == 0.0
    half = text_scores(["the cat sat on it", "a dog ran to the park"],
                       ["the cat sat on it now", "a dog ran to the park"])
    assert half["exact_match"] == 0.5 and half["rouge_l"] == pytest.approx((10 / 11 + 1) / 2)
    assert 0 < half["chrf"] < 100 and 0 < half["bleu"] < 100
    assert text_scores(["312"], ["312"])["bleu"] == 0.0  # BLEU counts up to 4-grams: one word scores 0
    assert text_scores(["ABC"], ["abc"], lowercase=True)["exact_match"] == 1.0
    assert text_scores(["ABC"], ["abc"])["exact_match"] == 0.0


def test_rouge_l_is_the_f_measure_of_the_longest_common_subsequence():
    assert lcs_length("a b c d e".split(), "b x d e".split()) == 3
    assert rouge_l("a b c", "a c") == pytest.approx(2 * (2 / 3) * 1 / (2 / 3 + 1))
    assert rouge_l("", "") == 1.0 and rouge_l("a", "") == 0.0
    assert normalize(b" a \n b ") == "a b"


def test_the_copy_baseline_scores_the_sources_as_generations():
    scores = copy_baseline(["one", "42", "cat"], ["1", "42", "cats"])
    assert scores["test_copy_baseline_exact_match"] == pytest.approx(1 / 3)
    assert set(scores) == {"test_copy_baseline_exact_match", "test_copy_baseline_bleu", "test_copy_baseline_chrf",
                           "test_copy_baseline_rouge_l"}


def test_number_words_and_the_generated_set():
    assert number_words(312005) == "three hundred and twelve thousand and five"
    assert number_words(100100) == "one hundred thousand one hundred"
    assert number_words(7) == "seven" and number_words(999999).startswith("nine hundred and ninety-nine thousand")
    frame = number_pairs(count=300, seed=3)
    assert frame["digits"].is_unique and frame["digits"].str.len().nunique() == 6  # every digit count drawn
    with pytest.raises(ValueError, match="count 20 is more than the 10 numbers"):
        number_pairs(count=20, largest=9)


def _generator(kind="builtin"):
    """A tiny encoder-decoder (built-in, or keras-hub BART) with a byte-pair tokenizer trained on PAIRS."""
    import keras
    import keras_hub

    from data.text.encoder import TextEncoder
    from data.text.tokenizers import train_tokenizer
    from models.backbones.encoder_decoder_transformer import (EncoderDecoderTransformerOptions,
                                                              encoder_decoder_transformer)
    from models.tasks.generation.encoder_decoder import EncoderDecoderGenerator
    from models.tasks.generation.export import stop_token_ids
    from models.tasks.generation.sampling import SamplingOptions, build_sampler
    from models.tasks.seq2seq.model import build_seq2seq_model

    keras.utils.set_random_seed(0)
    vocabulary = train_tokenizer("byte_pair", [t for pair in PAIRS for t in pair], 280, lowercase=False)
    encoder = TextEncoder(vocabulary, 12, name="tokenize")
    if kind == "builtin":
        options = EncoderDecoderTransformerOptions(hidden_dim=16, num_heads=2, intermediate_dim=32, num_layers=1)
        backbone = encoder_decoder_transformer(options, input_shape=(12,), vocabulary_size=vocabulary.size)
    else:
        backbone = keras_hub.models.BartBackbone(vocabulary_size=vocabulary.size, num_layers=1, num_heads=2,
                                                 hidden_dim=16, intermediate_dim=32, max_sequence_length=12)
    model = build_seq2seq_model(backbone, vocabulary.size, "s2s")
    sampling = SamplingOptions(sampler="top_k", k=3, max_new_tokens=5)
    generator = EncoderDecoderGenerator(model, encoder, build_sampler(sampling, 0),
                                        stop_token_ids(vocabulary, []), 5)
    return generator, encoder, model


@pytest.mark.slow  # builds BART and traces its decoding (about 10 s)
def test_a_keras_hub_bart_backbone_gets_keras_hubs_seq2seq_lm_and_generates():
    from models.tasks.generation.sampling import SamplingOptions, build_sampler

    generator, _, model = _generator("bart")
    assert type(model).__name__ == "BartSeq2SeqLM"
    out = generator.generate(tf.constant(["seven", "nine hundred"]),
                             sampler=build_sampler(SamplingOptions(sampler="greedy")))
    assert out["generated"].shape == (2,) and 0 < out["num_tokens"].numpy().max() <= 5


def test_a_decoder_only_backbone_is_refused_naming_the_key():
    from models.backbones.decoder_transformer import DecoderTransformerOptions, decoder_transformer
    from models.tasks.seq2seq.model import build_seq2seq_model

    backbone = decoder_transformer(DecoderTransformerOptions(hidden_dim=8, num_heads=2, intermediate_dim=8,
                                                             num_layers=1), input_shape=(8,), vocabulary_size=20)
    with pytest.raises(ValueError, match="model.backbone: task seq2seq needs an encoder-decoder backbone"):
        build_seq2seq_model(backbone, 20, "s2s")


@pytest.mark.slow  # traces the decoding loop three times and writes a SavedModel (about 15 s)
def test_the_export_generates_what_the_keras_model_generates(tmp_path):
    from models.tasks.generation.export import generation_endpoints
    from serving.publish import export_archive

    generator, encoder, _ = _generator()
    sources = tf.constant(["one hundred and two", "seven", "twelve thousand"])
    endpoints = generation_endpoints(generator, "inputs")
    expected = tf.function(endpoints["greedy"][0])(sources)
    export_archive(tmp_path / "export", [generator, encoder], endpoints)
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    served = loaded.signatures["greedy"](inputs=sources)
    np.testing.assert_array_equal(served["generated"].numpy(), expected["generated"].numpy())
    np.testing.assert_array_equal(served["num_tokens"].numpy(), expected["num_tokens"].numpy())
    assert 0 < served["num_tokens"].numpy().max() <= 5
    sampled = loaded.signatures["serving_default"](inputs=sources)
    assert sampled["generated"].dtype == tf.string and sampled["num_tokens"].shape == (3,)
    capped = loaded.signatures["generate"](inputs=sources, max_new_tokens=tf.constant(2),
                                           temperature=tf.constant(0.5))
    assert capped["num_tokens"].numpy().max() <= 2


def test_the_spec_needs_a_tokenize_stage_with_a_sequence_length():
    from pipelines.spec_loading import load_spec

    spec = yaml.safe_load(SPEC.read_text())
    spec["stages"] = []
    with pytest.raises(Exception, match="stages: task seq2seq needs a tokenize stage"):
        load_spec(spec)
    spec["stages"] = [{"tokenize": {"tokenizer": "byte_pair", "vocabulary_size": 300}}]
    with pytest.raises(Exception, match="sequence_length: task seq2seq needs it set"):
        load_spec(spec)


def test_a_table_is_read_as_pairs_and_numeric_targets_come_back_as_text():
    from data.examples import Examples
    from models.tasks.seq2seq.task import Seq2Seq
    from pipelines.spec_loading import load_spec

    task = Seq2Seq(load_spec(yaml.safe_load(SPEC.read_text())))
    table = Examples({"words": np.array(["seven", "one and a half"], object)}, np.array([7.0, 1.5]), [],
                     kind="columns", columns={"words": "text"})
    pairs = task.read_targets(table)
    assert pairs.inputs.tolist() == [["seven", "7"], ["one and a half", "1.5"]]
    with pytest.raises(ValueError, match=r"feature_columns: \[<source column>\]"):
        task.read_targets(Examples({"a": np.array(["x"], object), "b": np.array(["y"], object)},
                                   np.array(["z"], object), [], kind="columns", columns={"a": "text", "b": "text"}))
