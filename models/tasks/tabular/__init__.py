"""Tabular tasks: `tabular_classification` and `tabular_regression` (raw columns in, FeatureSpace inside)."""
