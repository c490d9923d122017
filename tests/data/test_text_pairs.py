"""The `text_pairs` source: two line-aligned files as source/target pairs, with errors that name the file and line."""

import pytest

from data.errors import BadRecordError
from data.sources.text_pairs import TextPairsOptions, load_text_pairs
from models.tasks.seq2seq.task import Seq2Seq


def write(folder, source: str, target: str) -> TextPairsOptions:
    (folder / "src.txt").write_text(source, encoding="utf-8")
    (folder / "tgt.txt").write_text(target, encoding="utf-8")
    return TextPairsOptions(source=str(folder / "src.txt"), target=str(folder / "tgt.txt"))


def test_line_n_of_the_source_goes_with_line_n_of_the_target_and_seq2seq_reads_the_pairs(tmp_path):
    pairs = load_text_pairs(write(tmp_path, "twelve\nforty-two\nseven\n", "12\n42\n7\n"))
    assert pairs.inputs["source"].tolist() == ["twelve", "forty-two", "seven"]
    assert pairs.labels.tolist() == ["12", "42", "7"]
    table = Seq2Seq.read_targets(None, pairs)
    assert table.inputs.tolist() == [["twelve", "12"], ["forty-two", "42"], ["seven", "7"]]


def test_files_of_different_lengths_are_an_error_naming_both(tmp_path):
    with pytest.raises(ValueError, match=r"src.txt has 2 lines but .*tgt.txt has 1"):
        load_text_pairs(write(tmp_path, "a\nb\n", "1\n"))


def test_an_empty_side_is_a_bad_record_named_by_file_and_line(tmp_path):
    options = write(tmp_path, "a\n\nc\n", "1\n2\n3\n")
    with pytest.raises(BadRecordError, match=r"src.txt line 2: empty line"):
        load_text_pairs(options)
    pairs = load_text_pairs(options, on_bad_record="skip")
    assert pairs.labels.tolist() == ["1", "3"] and pairs.skipped == 1


def test_a_missing_or_undecodable_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="nothing.txt does not exist"):
        load_text_pairs(TextPairsOptions(source=str(tmp_path / "nothing.txt"), target=str(tmp_path / "x.txt")))
    (tmp_path / "latin.txt").write_bytes("caf\xe9\n".encode("latin-1"))
    (tmp_path / "ok.txt").write_text("1\n")
    with pytest.raises(ValueError, match="latin.txt is not utf-8 text"):
        load_text_pairs(TextPairsOptions(source=str(tmp_path / "latin.txt"), target=str(tmp_path / "ok.txt")))
