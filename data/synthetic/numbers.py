"""A sequence-to-sequence set of any size: English number words and their digits.

`three hundred and twelve thousand and five` -> `312005`. Numbers from 0 up to `largest`, drawn without
repeats and with every digit count equally likely (so short numbers are not drowned by long ones); the mapping
is deterministic, so a model can reach exact match 1.0, while copying the source scores 0.

Usage:
    python -m data.synthetic.numbers data/samples/numbers.csv [--count 8000] [--largest 999999] [--seed 0]

Example:
    >>> number_words(312005)
    'three hundred and twelve thousand and five'
    >>> frame = number_pairs(count=5, seed=0)
    >>> list(frame.columns), len(frame)
    (['words', 'digits'], 5)
"""

from __future__ import annotations

import argparse

ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _below_hundred(n: int) -> str:
    if n < 20:
        return ONES[n]
    tens, ones = divmod(n, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    if not hundreds:
        return _below_hundred(rest)
    return f"{ONES[hundreds]} hundred" + (f" and {_below_hundred(rest)}" if rest else "")


def number_words(n: int) -> str:
    """British English words for 0 <= n < 1,000,000 ("and" before the last tens and ones).

    Example:
        >>> number_words(0), number_words(40), number_words(1999)
        ('zero', 'forty', 'one thousand nine hundred and ninety-nine')
    """
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words takes 0 <= n < 1000000, got {n}")
    thousands, rest = divmod(n, 1000)
    if not thousands:
        return _below_thousand(rest)
    words = f"{_below_thousand(thousands)} thousand"
    if rest:
        words += f" and {_below_hundred(rest)}" if rest < 100 else f" {_below_thousand(rest)}"
    return words


def number_pairs(count: int = 8000, largest: int = 999_999, seed: int = 0):
    """`count` distinct numbers as a frame of `words` (the source) and `digits` (the target).

    Example:
        >>> int(number_pairs(count=3, largest=9, seed=1)["digits"].map(len).max())
        1
    """
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    digits = len(str(largest))
    chosen: set[int] = set()
    most = largest + 1
    if count > most:
        raise ValueError(f"count {count} is more than the {most} numbers up to {largest}")
    while len(chosen) < count:
        length = int(rng.integers(1, digits + 1))
        low, high = (0 if length == 1 else 10 ** (length - 1)), min(10 ** length - 1, largest)
        if len([n for n in chosen if low <= n <= high]) < high - low + 1:  # this digit count has numbers left
            chosen.add(int(rng.integers(low, high + 1)))
    numbers = rng.permutation(sorted(chosen))
    return pd.DataFrame({"words": [number_words(int(n)) for n in numbers], "digits": [str(n) for n in numbers]})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output", help="CSV file to write (columns words, digits)")
    parser.add_argument("--count", type=int, default=8000)
    parser.add_argument("--largest", type=int, default=999_999)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frame = number_pairs(args.count, args.largest, args.seed)
    frame.to_csv(args.output, index=False)
    print(f"Wrote {len(frame)} number word/digit pairs to {args.output}")


if __name__ == "__main__":
    main()
