"""`seq2seq`: sequence-to-sequence models (keras-hub BART / T5 or the built-in encoder-decoder) that turn a source
text into a target text."""
