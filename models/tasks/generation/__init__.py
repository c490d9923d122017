"""What generative text tasks share (causal and encoder-decoder models): sampler options, the decoding loop, the
strings-in, strings-out export and the table of generations.

- `sampling`: `SamplingOptions` (the spec's sampler, temperature, max new tokens, stop tokens) -> a keras-hub sampler.
- `decode`: `generate_ids` runs a sampler over a logits function inside one `tf.while_loop`; `generated_texts`
  cuts each row's new tokens at its first stop token and detokenizes them.
- `export`: `Generator`, a Keras layer holding the model, tokenizer and sampler, whose `generate(prompts)` is what
  the export's `serving_default` and the Keras-side reference both run.
- `encoder_decoder`: `EncoderDecoderGenerator`, the same for an encoder-decoder model (source texts in, the
  decoder started from the start token), exported with the same `generation_endpoints`.
- `table`: the per-epoch generations as CSV text.
"""
