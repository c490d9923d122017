"""Time series: regular grids and missing values (`regular`), time splits (`split`), windows (`windows`),
seasonality (`seasonality`) and NaN-padded sequences (`sequences`).

Importing this package imports nothing heavy; the modules import pandas only inside their functions.
"""
