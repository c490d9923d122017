"""generation_throughput: generated tokens/s of a causal LM's export against keras-hub's own `generate`.

The same tiny GPT-2 (random weights, built from a config: throughput does not depend on what it learned), the
same prompts (the first words of docstring paragraphs, data/samples/docstrings.csv), greedy decoding and the
same number of new tokens per prompt (no stop token). The export (`models.tasks.generation.export`: tokenizer,
decoding loop and detokenizer inside the SavedModel, the whole buffer recomputed at every step) is timed
through its `serving_default` signature, strings in and out. The baseline is `GPT2CausalLM.generate` in the same
process on the prompts' token ids: keras-hub's compiled loop with a key/value cache. The in-process Keras model
through the export's own loop (`tf.function`) is reported too (`keras_same_loop`), which isolates what the
SavedModel adds from what the missing cache costs, and so is the export with its decoding loop compiled by XLA
(`model.head.sampling.jit_compile`; `export_xla`, loaded in TensorFlow: TF Serving on CPU needs
--xla_cpu_compilation_enabled for it). Ratio: export tokens/s / keras-hub tokens/s.

    python -m benchmarks.generation_throughput
"""

from __future__ import annotations

import time

from benchmarks.common import REPO, record

PROMPTS = 16
MAX_NEW_TOKENS = 32
LENGTH = 64
REPEATS = 3


def tokens_per_second(call, repeats: int = REPEATS) -> float:
    """Best tokens/s over `repeats` calls of `call()` (which returns how many tokens it generated), after a warm-up."""
    call()
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        tokens = call()
        best = max(best, tokens / (time.perf_counter() - started))
    return best


def main(prompts: int = PROMPTS, max_new_tokens: int = MAX_NEW_TOKENS, repeats: int = REPEATS) -> dict:
    import tempfile

    import keras
    import keras_hub
    import pandas as pd
    import tensorflow as tf

    from data.text.encoder import TextEncoder
    from data.text.tokenizers import train_tokenizer
    from models.tasks.causal_lm.model import build_language_model
    from models.tasks.generation.decode import prompt_ids
    from models.tasks.generation.export import Generator, generation_endpoints
    from serving.publish import export_archive

    keras.utils.set_random_seed(0)
    texts = pd.read_csv(REPO / "data" / "samples" / "docstrings.csv")["text"].tolist()[:400]
    vocabulary = train_tokenizer("word_piece", texts, 1000, lowercase=True)
    encoder = TextEncoder(vocabulary, LENGTH, name="tokenize")
    backbone = keras_hub.models.GPT2Backbone(vocabulary_size=vocabulary.size, num_layers=2, num_heads=4,
                                             hidden_dim=128, intermediate_dim=256, max_sequence_length=LENGTH)
    model = build_language_model(backbone, vocabulary.size, "lm")
    generator = Generator(model, encoder, keras_hub.samplers.GreedySampler(), stop_ids=[],
                          max_new_tokens=max_new_tokens)
    batch = tf.constant([" ".join(text.split()[:4]) for text in texts[:prompts]])
    same_loop = tf.function(generator.generate)
    keras_loop = tokens_per_second(lambda: int(same_loop(batch)["num_tokens"].numpy().sum()), repeats)  # builds all
    folder = tempfile.TemporaryDirectory()
    export_archive(f"{folder.name}/export", [generator, encoder], generation_endpoints(generator))
    serve = tf.saved_model.load(f"{folder.name}/export").signatures["serving_default"]
    exported = tokens_per_second(lambda: int(serve(prompts=batch)["num_tokens"].numpy().sum()), repeats)
    compiled = Generator(model, encoder, keras_hub.samplers.GreedySampler(), stop_ids=[],
                         max_new_tokens=max_new_tokens, jit_compile=True)
    export_archive(f"{folder.name}/xla", [compiled, encoder], generation_endpoints(compiled))
    serve_xla = tf.saved_model.load(f"{folder.name}/xla").signatures["serving_default"]
    exported_xla = tokens_per_second(lambda: int(serve_xla(prompts=batch)["num_tokens"].numpy().sum()), repeats)

    ids, lengths = prompt_ids(encoder(batch), has_end_token=True)
    buffer = int(tf.reduce_max(lengths)) + max_new_tokens
    mask = tf.range(buffer)[None, :] < lengths[:, None]
    inputs = {"token_ids": tf.where(mask, ids[:, :buffer], 0).numpy(), "padding_mask": mask.numpy()}
    model.compile(sampler="greedy")
    new_tokens = int((buffer - lengths.numpy()).sum())  # keras-hub fills each row's buffer after its prompt
    cached = tokens_per_second(lambda: (model.generate(inputs, stop_token_ids=None), new_tokens)[1], repeats)
    folder.cleanup()
    return record("generation_throughput", value=exported, baseline=cached, unit="tokens/s",
                  keras_same_loop=keras_loop, export_xla=exported_xla, prompts=prompts, max_new_tokens=max_new_tokens)


if __name__ == "__main__":
    main()
