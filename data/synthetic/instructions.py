"""A small synthetic instruction-tuning set: questions (prompts) and one-sentence answers (responses).

Six templates over hand-written word lists (opposites, sums of small numbers, capitals, animal sounds,
plurals, colours), so the answers are right and the file is free to ship. Most answers repeat words of the
question (`What is the opposite of hot?` -> `The opposite of hot is cold.`): a model that reads the prompt beats
a bigram model of the answers, which cannot.

Usage:
    python -m data.synthetic.instructions data/samples/instructions.csv [--seed 0]

Example:
    >>> frame = instruction_pairs(seed=0)
    >>> list(frame.columns), len(frame)
    (['prompt', 'response'], 217)
"""

from __future__ import annotations

import argparse

OPPOSITES = [("hot", "cold"), ("big", "small"), ("fast", "slow"), ("happy", "sad"), ("light", "dark"),
             ("early", "late"), ("full", "empty"), ("hard", "soft"), ("high", "low"), ("long", "short"),
             ("old", "new"), ("open", "closed"), ("rich", "poor"), ("strong", "weak"), ("thick", "thin"),
             ("wet", "dry"), ("clean", "dirty"), ("loud", "quiet"), ("near", "far"), ("up", "down"),
             ("left", "right"), ("first", "last"), ("good", "bad"), ("heavy", "light"), ("wide", "narrow")]
CAPITALS = [("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
            ("Japan", "Tokyo"), ("Canada", "Ottawa"), ("Egypt", "Cairo"), ("Kenya", "Nairobi"),
            ("Peru", "Lima"), ("Norway", "Oslo"), ("Sweden", "Stockholm"), ("Greece", "Athens"),
            ("Portugal", "Lisbon"), ("Austria", "Vienna"), ("Poland", "Warsaw"), ("Ireland", "Dublin"),
            ("Chile", "Santiago"), ("Cuba", "Havana"), ("India", "New Delhi"), ("China", "Beijing")]
SOUNDS = [("dog", "woof"), ("cat", "meow"), ("cow", "moo"), ("duck", "quack"), ("sheep", "baa"),
          ("pig", "oink"), ("lion", "roar"), ("owl", "hoot"), ("horse", "neigh"), ("frog", "croak"),
          ("snake", "hiss"), ("bee", "buzz"), ("mouse", "squeak"), ("wolf", "howl")]
PLURALS = [("cat", "cats"), ("dog", "dogs"), ("box", "boxes"), ("child", "children"), ("mouse", "mice"),
           ("city", "cities"), ("leaf", "leaves"), ("man", "men"), ("woman", "women"), ("tooth", "teeth"),
           ("foot", "feet"), ("bus", "buses"), ("baby", "babies"), ("knife", "knives"), ("glass", "glasses"),
           ("book", "books"), ("tree", "trees"), ("wish", "wishes"), ("party", "parties"), ("goose", "geese")]
COLOURS = [("the sky", "blue"), ("grass", "green"), ("snow", "white"), ("coal", "black"), ("a banana", "yellow"),
           ("a tomato", "red"), ("an orange", "orange"), ("a carrot", "orange"), ("milk", "white"),
           ("a lemon", "yellow"), ("a strawberry", "red"), ("the sea", "blue"), ("a leaf", "green")]
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
           "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"]


def _pairs() -> list[tuple[str, str]]:
    rows = []
    for a, b in OPPOSITES:
        rows += [(f"What is the opposite of {a}?", f"The opposite of {a} is {b}."),
                 (f"What is the opposite of {b}?", f"The opposite of {b} is {a}.")]
    for x in range(10):
        for y in range(10):
            rows.append((f"What is {NUMBERS[x]} plus {NUMBERS[y]}?",
                         f"{NUMBERS[x].capitalize()} plus {NUMBERS[y]} is {NUMBERS[x + y]}."))
    rows += [(f"What is the capital of {c}?", f"The capital of {c} is {city}.") for c, city in CAPITALS]
    rows += [(f"What sound does a {a} make?", f"A {a} says {s}.") for a, s in SOUNDS]
    rows += [(f"What is the plural of {w}?", f"The plural of {w} is {p}.") for w, p in PLURALS]
    rows += [(f"What colour is {t}?", f"{t[0].upper() + t[1:]} is {c}.") for t, c in COLOURS]
    return rows


def instruction_pairs(seed: int = 0):
    """A DataFrame `prompt, response`, every template's rows, shuffled with `seed`."""
    import numpy as np
    import pandas as pd

    rows = _pairs()
    order = np.random.default_rng(seed).permutation(len(rows))
    return pd.DataFrame([rows[i] for i in order], columns=["prompt", "response"])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output", help="CSV file to write (columns prompt, response)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frame = instruction_pairs(seed=args.seed)
    frame.to_csv(args.output, index=False)
    print(f"Wrote {len(frame)} prompt/response pairs to {args.output}")


if __name__ == "__main__":
    main()
