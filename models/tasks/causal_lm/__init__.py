"""`causal_lm`: next-token language models (keras-hub causal LMs or the built-in decoder) that generate text."""
