"""What generative text tasks share (causal_lm now, seq2seq later): sampler options, the decoding loop, the
strings-in, strings-out export and the table of generations.

- `sampling`: `SamplingOptions` (the spec's sampler, temperature, max new tokens, stop tokens) -> a keras-hub sampler.
- `decode`: `generate_ids` runs a sampler over a logits function inside one `tf.while_loop`; `generated_texts`
  cuts each row's new tokens at its first stop token and detokenizes them.
- `export`: `Generator`, a Keras layer holding the model, tokenizer and sampler, whose `generate(prompts)` is what
  the export's `serving_default` and the Keras-side reference both run.
- `table`: the per-epoch generations as CSV text.
"""
