"""Tabular data: column types and raw column arrays (`columns`), Keras encoding layers (`layers`, `feature_space`).

Importing this package imports nothing heavy; `layers` and `feature_space` import Keras.
"""
