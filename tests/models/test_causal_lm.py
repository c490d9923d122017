"""The causal_lm task: packing, response-only loss weights, the n-gram baselines, stopping, export parity, checks."""

import numpy as np
import pytest
import tensorflow as tf
import yaml

from models.tasks.causal_lm.baseline import NgramModel, ngram_baselines
from models.tasks.causal_lm.targets import instruction_example, pack, shifted_example
from models.tasks.generation.decode import generate_ids, uncached
from tests.helpers import REPO

TEXTS = ["the cat sat on the mat", "the dog sat on the log", "a cat and a dog", "the mat is red",
         "the log is brown", "a red cat sat"]


def test_packing_joins_texts_end_to_end_into_full_rows_without_losing_a_token():
    streams = [[2, 5, 6, 3], [2, 7, 3], [2, 8, 9, 10, 3], [2, 11, 12, 3]]
    dataset = tf.data.Dataset.from_tensor_slices(tf.ragged.constant(streams))
    batches = list(pack(dataset, batch_size=2, length=5))
    inputs = np.concatenate([b[0]["token_ids"].numpy() for b in batches])
    targets = np.concatenate([b[1].numpy() for b in batches])
    weights = np.concatenate([b[2].numpy() for b in batches])
    masks = np.concatenate([b[0]["padding_mask"].numpy() for b in batches])
    flat = [t for s in streams for t in s]  # 16 tokens: rows of 5 -> 3 full rows and 1 token
    assert inputs.shape == (4, 4) and len(batches) == 2
    np.testing.assert_array_equal(inputs[:3], [flat[0:4], flat[5:9], flat[10:14]])
    np.testing.assert_array_equal(targets[:3], [flat[1:5], flat[6:10], flat[11:15]])
    assert weights[:3].all() and masks[:3].all()  # full rows: every position trains
    assert weights[3].sum() == 0 and masks[3].tolist() == [True, False, False, False]  # the last token alone


def test_one_text_per_row_weighs_padding_zero():
    x, y, w = shifted_example({"token_ids": tf.constant([2, 5, 3, 0, 0]),
                               "padding_mask": tf.constant([True, True, True, False, False])})
    assert y.numpy().tolist() == [5, 3, 0, 0] and w.numpy().tolist() == [1, 1, 0, 0]


def test_instruction_pairs_weigh_only_the_response_tokens_and_its_end():
    features = {"token_ids": tf.constant([[2, 10, 11, 3, 0, 0], [2, 20, 21, 22, 3, 0]]),
                "padding_mask": tf.constant([[True, True, True, True, False, False],
                                             [True, True, True, True, True, False]])}
    x, y, w = instruction_example(features)
    # prompt 2 10 11 (its end dropped) + response 20 21 22 3 (its start dropped), cut at 6 tokens
    assert x["token_ids"].numpy().tolist() == [2, 10, 11, 20, 21]
    assert y.numpy().tolist() == [10, 11, 20, 21, 22]
    assert w.numpy().tolist() == [0, 0, 1, 1, 1]  # predicting prompt tokens costs nothing
    assert x["padding_mask"].numpy().all()


def test_bigram_baseline_learns_a_repeating_sequence_and_the_unigram_does_not():
    sequence = np.tile([0, 1, 2], 50)
    pairs = (sequence[:-1], sequence[1:])
    scores = ngram_baselines(5, pairs, pairs, pairs)
    assert scores["test_bigram_baseline_perplexity"] < 1.1
    assert 2.9 < scores["test_unigram_baseline_perplexity"] < 3.2
    model = NgramModel(5).fit(*pairs)  # an unseen previous token falls back to the unigram
    assert model.perplexity(np.array([4]), np.array([0]), lam=0.9) == pytest.approx(
        model.perplexity(np.array([4]), np.array([0]), lam=0.0))


def test_generation_keeps_prompts_stops_at_a_stop_token_and_caps_new_tokens():
    import keras_hub

    vocabulary = 8

    def count_up(ids):  # the next token is always the last one plus one
        return tf.one_hot((ids + 1) % vocabulary, vocabulary) * 10.0

    token_ids = tf.constant([[1, 0, 0, 0, 0, 0, 0, 0], [1, 2, 3, 0, 0, 0, 0, 0]])
    decode = uncached(count_up, keras_hub.samplers.GreedySampler())
    ids, kept = generate_ids(decode, token_ids, tf.constant([1, 3]), stop_ids=[5], max_new_tokens=6)
    assert ids.numpy()[0, :5].tolist() == [1, 2, 3, 4, 5] and ids.numpy()[1, :3].tolist() == [1, 2, 3]
    generated = [row[mask].tolist() for row, mask in zip(ids.numpy(), kept.numpy())]
    assert generated == [[2, 3, 4], [4]]  # each row stops before its first 5
    ids, kept = generate_ids(decode, token_ids, tf.constant([1, 3]), stop_ids=[], max_new_tokens=2)
    assert [row[mask].tolist() for row, mask in zip(ids.numpy(), kept.numpy())] == [[2, 3], [4, 5]]


def _generator(kind):
    """A tiny LM (the built-in decoder, or keras-hub's GPT-2 with its cached decoding) with a word-piece tokenizer
    trained on TEXTS, as a Generator."""
    import keras
    import keras_hub

    from data.text.encoder import TextEncoder
    from data.text.tokenizers import train_tokenizer
    from models.backbones.decoder_transformer import DecoderTransformerOptions, decoder_transformer
    from models.tasks.causal_lm.model import build_language_model
    from models.tasks.generation.export import Generator, stop_token_ids
    from models.tasks.generation.sampling import SamplingOptions, build_sampler

    keras.utils.set_random_seed(0)
    vocabulary = train_tokenizer("word_piece", TEXTS, 40, lowercase=True)
    encoder = TextEncoder(vocabulary, 16, name="tokenize")
    if kind == "builtin":
        backbone = decoder_transformer(DecoderTransformerOptions(hidden_dim=16, num_heads=2, intermediate_dim=32,
                                                                 num_layers=1), input_shape=(16,),
                                       vocabulary_size=vocabulary.size)
    else:
        backbone = keras_hub.models.GPT2Backbone(vocabulary_size=vocabulary.size, num_layers=1, num_heads=2,
                                                 hidden_dim=16, intermediate_dim=32, max_sequence_length=16)
    model = build_language_model(backbone, vocabulary.size, "lm")
    sampling = SamplingOptions(sampler="top_k", k=3, max_new_tokens=6)
    return Generator(model, encoder, build_sampler(sampling, 0), stop_token_ids(vocabulary, []), 6), encoder


@pytest.mark.slow  # traces the decoding loop four times (about 15 s)
@pytest.mark.parametrize("kind", ["builtin", "keras_hub"])
def test_the_export_generates_what_the_keras_model_generates(tmp_path, kind):
    from models.tasks.generation.export import generation_endpoints
    from serving.publish import export_archive

    generator, encoder = _generator(kind)
    prompts = tf.constant(["the cat", "a dog sat", "red"])
    endpoints = generation_endpoints(generator)
    expected = tf.function(endpoints["greedy"][0])(prompts)
    export_archive(tmp_path / "export", [generator, encoder], endpoints)
    loaded = tf.saved_model.load(str(tmp_path / "export"))
    served = loaded.signatures["greedy"](prompts=prompts)
    np.testing.assert_array_equal(served["generated"].numpy(), expected["generated"].numpy())
    np.testing.assert_array_equal(served["num_tokens"].numpy(), expected["num_tokens"].numpy())
    assert 0 < served["num_tokens"].numpy().max() <= 6
    sampled = loaded.signatures["serving_default"](prompts=prompts)
    assert sampled["generated"].dtype == tf.string and sampled["num_tokens"].shape == (3,)
    capped = loaded.signatures["generate"](prompts=prompts, max_new_tokens=tf.constant(2),
                                           temperature=tf.constant(0.5))
    assert capped["num_tokens"].numpy().max() <= 2



@pytest.mark.parametrize("sampler", ["greedy", "beam"])
def test_keras_hub_cached_decoding_generates_what_recomputing_the_whole_buffer_does(sampler):
    from models.tasks.generation.decode import cached, prompt_ids
    from models.tasks.generation.sampling import SamplingOptions, build_sampler

    generator, encoder = _generator("keras_hub")
    ids, lengths = prompt_ids(encoder(tf.constant(["the cat", "a dog sat on the", "red"])), has_end_token=True)
    chosen = build_sampler(SamplingOptions(sampler=sampler, num_beams=3))
    results = [generate_ids(decode, ids, lengths, stop_ids=[], max_new_tokens=5)
               for decode in (cached(generator.model, chosen), uncached(generator.logits, chosen))]
    (fast, fast_kept), (slow, slow_kept) = [(a.numpy(), k.numpy()) for a, k in results]
    np.testing.assert_array_equal(fast_kept, slow_kept)
    np.testing.assert_array_equal(fast[fast_kept], slow[slow_kept])


@pytest.mark.slow  # starts a run (MLflow) to reach the source
def test_the_spec_needs_a_tokenize_stage_with_a_sequence_length_and_a_table_of_two_columns(in_tmp_dir):
    from pipelines.runner import run
    from pipelines.spec_loading import load_spec

    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "instructions_lm.yaml").read_text())
    spec["stages"] = [{"tokenize": {"tokenizer": "word_piece", "vocabulary_size": 100}}]
    with pytest.raises(Exception, match="sequence_length: task causal_lm needs it set"):
        load_spec(spec)
    spec = yaml.safe_load((REPO / "pipelines" / "specs" / "instructions_lm.yaml").read_text())
    table = in_tmp_dir / "pairs.csv"
    table.write_text("prompt,context,response\nhi,x,hello\nbye,y,ciao\nyes,z,si\n")
    spec["data"]["source"] = {"type": "csv", "path": str(table), "target_column": "response"}
    with pytest.raises(ValueError, match=r"feature_columns: \[<prompt column>\]"):
        run(spec)


def test_lora_trains_only_the_adapters_even_after_the_training_phase_sets_the_backbone_trainable():
    import keras_hub

    from models.backbones import set_trainable
    from models.tasks.causal_lm.model import build_language_model, enable_lora, parameter_counts

    backbone = keras_hub.models.GPT2Backbone(vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=8,
                                             intermediate_dim=16, max_sequence_length=8)
    model = build_language_model(backbone, 50, "lm")
    assert type(model).__name__ == "GPT2CausalLM"
    full, total = parameter_counts(model)
    enable_lora(backbone, 2)
    adapters = sorted(v.path for v in model.trainable_weights)  # keras-hub's choice: LoRA kernels and their biases
    set_trainable(backbone, True)  # what each training phase does
    trainable, _ = parameter_counts(model)
    assert sorted(v.path for v in model.trainable_weights) == adapters
    assert any("lora_kernel" in name for name in adapters) and all("self_attention" in name for name in adapters)
    assert 0 < trainable < full == total


@pytest.mark.parametrize("kind", ["builtin", "keras_hub"])
def test_xla_compiled_decoding_generates_what_the_plain_loop_does(kind):
    import keras_hub

    from models.tasks.generation.decode import decoder_for, prompt_ids

    generator, encoder = _generator(kind)
    ids, lengths = prompt_ids(encoder(tf.constant(["the cat", "a dog sat on the", "red"])), has_end_token=True)
    decode = decoder_for(generator.model, generator.logits, keras_hub.samplers.GreedySampler())
    results = [generate_ids(decode, ids, lengths, stop_ids=[], max_new_tokens=5, jit_compile=jit)
               for jit in (False, True)]
    (plain, plain_kept), (xla, xla_kept) = [(a.numpy(), k.numpy()) for a, k in results]
    np.testing.assert_array_equal(plain_kept, xla_kept)
    np.testing.assert_array_equal(plain[plain_kept], xla[xla_kept])
