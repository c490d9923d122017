"""Learn byte-pair merges for `keras_hub.tokenizers.BytePairTokenizer` (keras-hub has no BPE trainer).

Training follows what the tokenizer does inside a `tf.data` pipeline or a
serving graph (its TensorFlow path): texts are pre-split with keras-hub's own
`split_strings_for_bpe` (GPT-2 style: words keep their leading space, special
tokens stay whole), each byte becomes one character of keras-hub's
`bytes_to_unicode` map, and the most frequent adjacent pair is merged, again
and again (ties: the alphabetically smallest pair), until the vocabulary
reaches `vocabulary_size` or no pair occurs twice.

The vocabulary holds the special tokens (ids 0, 1, ...; `<pad>` is 0), then
all 256 byte characters (byte order), then one token per merge, in merge
order; ids are contiguous from 0. Merges are "left right" strings, in rank
order, one per line in `merges.txt`.

The tokenizer does not lowercase. With `lowercase=True` the trainer counts
`text.lower()`; the caller must lowercase its inputs the same way before the
tokenizer (`tf.strings.lower(texts, encoding="utf-8")` in a graph).

keras-hub 0.32 runs eager (non-`tf.function`) calls through the Hugging Face
`tokenizers` library with another pre-split (its regex is passed as a literal
string, so in effect none). Both paths round-trip every text exactly and use
the same merges; learned merges never span a TF pre-split boundary, so ids
agree on ordinary text and can differ only in the rare case of a merge that
also fits across such a boundary.

Example:
    >>> vocabulary, merges = train_byte_pair(["the cat sat on the mat"] * 5, 270)  # doctest: +SKIP
    >>> tokenizer = keras_hub.tokenizers.BytePairTokenizer(                         # doctest: +SKIP
    ...     vocabulary=vocabulary, merges=merges, unsplittable_tokens=SPECIAL_TOKENS)
    >>> save_byte_pair("tokenizer/", vocabulary, merges)                             # doctest: +SKIP
"""

from __future__ import annotations

import functools
import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

SPECIAL_TOKENS = ("<pad>", "<unk>", "<s>", "</s>")
VOCABULARY_FILE = "vocabulary.json"  # keras_hub.src.tokenizers.byte_pair_tokenizer.VOCAB_FILENAME
MERGES_FILE = "merges.txt"  # keras_hub.src.tokenizers.byte_pair_tokenizer.MERGES_FILENAME
BATCH = 1024


def byte_characters() -> list[str]:
    """The character keras-hub's `BytePairTokenizer` uses for each byte value 0..255.

    Example:
        >>> byte_characters()[ord(" ")], byte_characters()[ord("a")]
        ('Ġ', 'a')
    """
    from keras_hub.src.tokenizers.byte_pair_tokenizer import bytes_to_unicode

    byte_list, char_list = bytes_to_unicode()
    by_value = dict(zip((b[0] for b in byte_list), char_list))
    return [by_value[value] for value in range(256)]


def count_words(texts: Iterable[str], special_tokens: Sequence[str] = SPECIAL_TOKENS,
                lowercase: bool = False, add_prefix_space: bool = False) -> Counter:
    """Pre-split `texts` as the tokenizer does; counts of each pre-token (as bytes), special tokens left out.

    Example:
        >>> count_words(["hi there, hi"])  # doctest: +SKIP
        Counter({b'hi': 1, b' there': 1, b',': 1, b' hi': 1})
    """
    import tensorflow as tf

    special = {token.encode("utf-8") for token in special_tokens}
    counts: Counter = Counter()
    split = _splitter(tuple(special_tokens))

    def count(batch: list[str]) -> None:
        words = split(tf.constant(batch, tf.string)).numpy().tolist()
        counts.update(word for word in words if word not in special)

    batch = []
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"train_byte_pair: texts must be strings, got {type(text).__name__}")
        text = text.lower() if lowercase else text
        batch.append(" " + text if add_prefix_space else text)
        if len(batch) == BATCH:
            count(batch)
            batch = []
    if batch:
        count(batch)
    return counts


@functools.lru_cache(maxsize=8)
def _splitter(special_tokens: tuple[str, ...]):
    """keras-hub's pre-split as a traced function: strings [batch] -> all their pre-tokens [words]."""
    import tensorflow as tf
    from keras_hub.src.tokenizers.byte_pair_tokenizer import split_strings_for_bpe

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def split(batch):
        return split_strings_for_bpe(batch, list(special_tokens) or None).flat_values

    return split


def train_byte_pair(texts: Iterable[str], vocabulary_size: int, lowercase: bool = False,
                    special_tokens: Sequence[str] = SPECIAL_TOKENS, *,
                    add_prefix_space: bool = False) -> tuple[dict[str, int], list[str]]:
    """Learn a byte-pair vocabulary and merges from `texts`; returns `(vocabulary, merges)`.

    Args:
        texts: Training texts.
        vocabulary_size: Target size, special tokens and the 256 byte
            characters included (so at least `len(special_tokens) + 256`).
            Fewer when no pair occurs twice any more.
        lowercase: Count lowercased text (the caller lowercases inputs too).
        special_tokens: Get ids 0, 1, ...; pass the same list as the
            tokenizer's `unsplittable_tokens` so they are never split.
        add_prefix_space: Put a space before each text, as the tokenizer's
            `add_prefix_space=True` does.

    Example:
        >>> vocabulary, merges = train_byte_pair(["low lower lowest"] * 3, 263)
        >>> merges, vocabulary["<pad>"], vocabulary["lowe"]
        (['l o', 'lo w', 'low e'], 0, 262)
    """
    special_tokens = list(special_tokens)
    if len(set(special_tokens)) != len(special_tokens) or not all(special_tokens):
        raise ValueError(f"train_byte_pair: special tokens must be distinct and non-empty, got {special_tokens}")
    characters = byte_characters()
    vocabulary: dict[str, int] = {}
    for token in special_tokens + characters:
        vocabulary.setdefault(token, len(vocabulary))
    if vocabulary_size < len(vocabulary):
        raise ValueError(
            f"train_byte_pair: vocabulary_size must be at least {len(vocabulary)} "
            f"({len(special_tokens)} special tokens + 256 byte characters), got {vocabulary_size}"
        )

    counts = count_words(texts, special_tokens, lowercase, add_prefix_space)
    words = [[characters[value] for value in word] for word in sorted(counts)]
    frequencies = [counts[word] for word in sorted(counts)]
    merges = _learn_merges(words, frequencies, vocabulary, vocabulary_size)
    return vocabulary, merges


def _learn_merges(words: list[list[str]], frequencies: list[int], vocabulary: dict[str, int],
                  vocabulary_size: int) -> list[str]:
    """Merge the most frequent pair until the vocabulary is full; updates `words` and `vocabulary`."""
    pair_counts: Counter = Counter()
    containing: dict[tuple[str, str], set[int]] = defaultdict(set)
    for index, (word, frequency) in enumerate(zip(words, frequencies)):
        for pair in pairwise(word):
            pair_counts[pair] += frequency
            containing[pair].add(index)
    # Max-heap of (count, pair) with lazy deletion; ties pop the smallest pair.
    heap = [(-count, pair) for pair, count in pair_counts.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocabulary) < vocabulary_size and heap:
        negative, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negative:
            continue  # stale entry
        if -negative < 2:
            break
        left, right = pair
        merged = left + right
        merges.append(f"{left} {right}")
        vocabulary.setdefault(merged, len(vocabulary))
        changed = set()
        for index in containing.pop(pair):
            word, frequency = words[index], frequencies[index]
            new = _merge(word, left, right, merged)
            if len(new) == len(word):
                continue
            for old_pair in pairwise(word):
                pair_counts[old_pair] -= frequency
                changed.add(old_pair)
            for new_pair in pairwise(new):
                pair_counts[new_pair] += frequency
                containing[new_pair].add(index)
                changed.add(new_pair)
            words[index] = new
        pair_counts.pop(pair, None)
        changed.discard(pair)
        for changed_pair in changed:
            count = pair_counts[changed_pair]
            if count > 0:
                heapq.heappush(heap, (-count, changed_pair))
            else:
                del pair_counts[changed_pair]
    return merges


def _merge(word: list[str], left: str, right: str, merged: str) -> list[str]:
    """`word` with each non-overlapping `left right` (left to right) replaced by `merged`."""
    new, position = [], 0
    while position < len(word):
        if position + 1 < len(word) and word[position] == left and word[position + 1] == right:
            new.append(merged)
            position += 2
        else:
            new.append(word[position])
            position += 1
    return new


def save_byte_pair(directory: str | Path, vocabulary: dict[str, int], merges: Sequence[str]) -> list[Path]:
    """Write `vocabulary.json` and `merges.txt` into `directory` as `BytePairTokenizer.save_assets` does.

    Example:
        >>> save_byte_pair("tokenizer", vocabulary, merges)  # doctest: +SKIP
        [PosixPath('tokenizer/vocabulary.json'), PosixPath('tokenizer/merges.txt')]
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    vocabulary_path, merges_path = directory / VOCABULARY_FILE, directory / MERGES_FILE
    vocabulary_path.write_text(json.dumps(dict(vocabulary)), encoding="utf-8")
    merges_path.write_text("".join(f"{merge}\n" for merge in merges), encoding="utf-8")
    return [vocabulary_path, merges_path]


def load_byte_pair(directory: str | Path) -> tuple[dict[str, int], list[str]]:
    """Read `(vocabulary, merges)` back from a folder written by `save_byte_pair` or `save_assets`.

    Example:
        >>> vocabulary, merges = load_byte_pair("tokenizer")  # doctest: +SKIP
    """
    directory = Path(directory)
    vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
    with open(directory / MERGES_FILE, encoding="utf-8") as file:
        merges = [line.rstrip() for line in file]
    return vocabulary, merges
