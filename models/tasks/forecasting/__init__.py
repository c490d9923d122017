"""The `forecasting` task: the next values of one or many series, from a window of their history."""
