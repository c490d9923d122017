"""A mixed-type customer table with a churn label: numbers, categories, booleans, dates, and missing values.

Churn follows a known rule plus noise, so a model has something real to find:
short tenure, month-to-month contracts, high charges and many support calls
raise the odds; a yearly contract and the support plan lower them. About 5% of
the numbers, categories and dates are missing.

Usage:
    python -m data.synthetic.customers data/samples/customers.csv [--rows 1200] [--seed 7]

Example:
    >>> frame = customers_frame(rows=50, seed=0)
    >>> sorted(frame.columns)[:3], len(frame)
    (['churned', 'contract', 'has_support_plan'], 50)
"""

from __future__ import annotations

import argparse

import numpy as np


def customers_frame(rows: int = 1200, seed: int = 7):
    """The table as a pandas DataFrame (target column `churned`: yes/no)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    contract = rng.choice(["month-to-month", "one-year", "two-year"], rows, p=[0.55, 0.25, 0.2])
    region = rng.choice(["north", "south", "east", "west", "central"], rows)
    tenure = np.round(rng.gamma(2.0, 14.0, rows)).clip(1, 72)
    charges = np.round(rng.normal(65, 25, rows).clip(18, 130), 2)
    calls = rng.poisson(1.5, rows)
    support = rng.random(rows) < 0.4
    signup = pd.Timestamp("2024-06-30") - pd.to_timedelta(tenure * 30.4, unit="D")
    logit = (1.2 - 0.06 * tenure + 0.025 * (charges - 65) + 0.45 * calls - 1.1 * support
             + np.select([contract == "one-year", contract == "two-year"], [-1.3, -2.4], 0.0)
             + np.where(region == "south", 0.4, 0.0) + rng.normal(0, 0.6, rows))
    churned = np.where(rng.random(rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = pd.DataFrame({
        "tenure_months": tenure, "contract": contract, "region": region, "monthly_charges": charges,
        "support_calls": calls, "has_support_plan": np.where(support, "true", "false"),
        "signup_date": signup.strftime("%Y-%m-%d"), "churned": churned,
    })
    for column in ("tenure_months", "contract", "monthly_charges", "signup_date", "region"):
        frame.loc[rng.random(rows) < 0.05, column] = None
    return frame


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--rows", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    customers_frame(args.rows, args.seed).to_csv(args.path, index=False)


if __name__ == "__main__":
    main()
