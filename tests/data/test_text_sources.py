"""Text sources: csv/parquet text and token modes, text_files, conll; bad records; shipped samples; splits."""

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from data.errors import BadRecordError
from data.examples import Examples
from data.labels import ragged
from data.sources.conll import ConllOptions, load_conll
from data.sources.csv import CsvOptions, load_csv
from data.sources.parquet import ParquetOptions, load_parquet
from data.sources.text_files import TextFilesOptions, load_text_files
from data.split import split_examples
from tests.helpers import REPO

SAMPLES = REPO / "data" / "samples"


def _write(tmp_path, text, name="t.csv", encoding="utf-8"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return str(path)


def _tags(examples):
    return [[examples.class_names[i] for i in ids] for ids in examples.labels]


# ---------------------------------------------------------------- csv / parquet: text classification


def test_text_column_gives_raw_texts_and_sorted_classes(tmp_path):
    path = _write(tmp_path, 'id,text,label\n1,"Great film, loved it.",pos\n2,  Awful  acting ,neg\n3,Fine.,pos\n')
    examples = load_csv(CsvOptions(path=path, text_column="text", label_column="label"))
    assert examples.kind == "text" and not examples.multi_label and examples.input_shape == ()
    assert examples.inputs.dtype == object and all(type(t) is str for t in examples.inputs)
    assert examples.inputs.tolist() == ["Great film, loved it.", "  Awful  acting ", "Fine."]
    assert examples.class_names == ["neg", "pos"] and examples.labels.tolist() == [1, 0, 1]
    assert examples.labels.dtype == np.int64 and examples.skipped == 0


def test_integer_text_labels_sort_numerically(tmp_path):
    path = _write(tmp_path, "text,stars\nok,10\nbad,2\ngood,9\n")
    examples = load_csv(CsvOptions(path=path, text_column="text", label_column="stars"))
    assert examples.class_names == ["2", "9", "10"] and examples.labels.tolist() == [2, 0, 1]


def test_label_separator_gives_multi_hot_labels(tmp_path):
    path = _write(tmp_path, "text,topics\nvote count,politics\nmatch tax,sports | politics|sports\nfinal,sports\n")
    examples = load_csv(CsvOptions(path=path, text_column="text", label_column="topics", label_separator="|"))
    assert examples.multi_label and examples.kind == "text"
    assert examples.class_names == ["politics", "sports"]
    assert examples.labels.dtype == np.int64 and examples.labels.tolist() == [[1, 0], [1, 1], [0, 1]]


def test_text_bad_records_are_named_by_file_and_row(tmp_path):
    path = _write(tmp_path, "text,label\nfine,a\n   ,b\ngood,a\n")
    with pytest.raises(BadRecordError) as caught:
        load_csv(CsvOptions(path=path, text_column="text", label_column="label"))
    assert f"{path} row 2" in str(caught.value) and "empty text in column 'text'" in str(caught.value)

    path = _write(tmp_path, "text,label\nfine,a\nno label,\n", name="u.csv")
    with pytest.raises(BadRecordError, match=r"u\.csv row 2: missing label in column 'label'"):
        load_csv(CsvOptions(path=path, text_column="text", label_column="label"))


def test_text_bad_records_are_counted_under_skip(tmp_path):
    # row 2: empty text, row 3: missing label, row 4: only separators, row 5: too many fields
    path = _write(tmp_path, "text,tags\nfine,a\n,b\nno label,\nodd,|\nx,a,b\nlast,b|a\n")
    examples = load_csv(
        CsvOptions(path=path, text_column="text", label_column="tags", label_separator="|"), on_bad_record="skip"
    )
    assert examples.inputs.tolist() == ["fine", "last"] and examples.labels.tolist() == [[1, 0], [1, 1]]
    assert examples.skipped == 4
    records = " | ".join(examples.skipped_records)
    for expected in ("row 2: empty text", "row 3: missing label", "row 4: missing label", "row 5: expected 2 fields"):
        assert expected in records


# ---------------------------------------------------------------- csv / parquet: token classification


def test_tokens_and_tags_as_space_separated_strings_or_json_lists(tmp_path):
    frame = pd.DataFrame({
        "tokens": ["Alice visited Paris", json.dumps(["Bob", "met", "Carol"]), '["New-York", "is", "big"]'],
        "tags": ["B-PER O B-LOC", "B-PER O B-PER", json.dumps(["B-LOC", "O", "O"])],
    })
    path = str(tmp_path / "ner.csv")
    frame.to_csv(path, index=False)
    examples = load_csv(CsvOptions(path=path, tokens_column="tokens", tags_column="tags"))
    assert examples.kind == "tokens" and examples.input_shape == ()
    assert examples.inputs.tolist() == ["Alice visited Paris", "Bob met Carol", "New-York is big"]
    assert examples.class_names == ["B-LOC", "B-PER", "O"]
    assert examples.labels.dtype == object and all(ids.dtype == np.int64 for ids in examples.labels)
    assert [ids.tolist() for ids in examples.labels] == [[1, 2, 0], [1, 2, 1], [0, 2, 2]]


def test_token_bad_records_under_error_and_skip(tmp_path):
    rows = [
        ("Alice runs", "B-PER O"),                      # row 1: good
        ("Bob runs fast", "B-PER O"),                   # row 2: 3 tokens, 2 tags
        ('["New York", "is"]', "B-LOC O"),              # row 3: token with a space
        ('["Oslo", "is"', "B-LOC O"),                   # row 4: broken JSON
        ("", "O"),                                      # row 5: no tokens
        ("Zoe sleeps", ""),                             # row 6: no tags
        ("Eve  sings", "B-PER O"),                      # row 7: good (runs of spaces split like any whitespace)
    ]
    path = str(tmp_path / "ner.csv")
    pd.DataFrame(rows, columns=["words", "labels"]).to_csv(path, index=False)
    options = CsvOptions(path=path, tokens_column="words", tags_column="labels")
    with pytest.raises(BadRecordError) as caught:
        load_csv(options)
    assert f"{path} row 2" in str(caught.value) and "3 tokens but 2 tags" in str(caught.value)

    examples = load_csv(options, on_bad_record="skip")
    assert examples.inputs.tolist() == ["Alice runs", "Eve sings"] and _tags(examples) == [["B-PER", "O"]] * 2
    assert examples.skipped == 5
    records = examples.skipped_records
    assert records[0] == f"{path} row 2: 3 tokens but 2 tags"
    assert records[1] == f"{path} row 3: token 'New York' contains whitespace"
    assert records[2].startswith(f"{path} row 4: column 'words': not a JSON list")
    assert records[3] == f"{path} row 5: column 'words': empty"
    assert records[4] == f"{path} row 6: column 'labels': empty"


def test_parquet_text_and_token_lists(tmp_path):
    path = str(tmp_path / "t.parquet")
    pd.DataFrame({
        "text": ["good", None, "bad"], "label": ["p", "p", "n"],
        "tokens": [["Ann", "ran"], ["Bo"], ["Cy", "sat"]], "tags": [["B-PER", "O"], ["B-PER"], ["B-PER", "O"]],
    }).to_parquet(path)
    text = load_parquet(ParquetOptions(path=path, text_column="text", label_column="label"), on_bad_record="skip")
    assert text.inputs.tolist() == ["good", "bad"] and text.class_names == ["n", "p"]
    assert text.skipped_records == [f"{path} row 2: empty text in column 'text'"]
    for load, options in ((load_parquet, ParquetOptions), (load_csv, CsvOptions)):
        tokens = load(options(path=path, tokens_column="tokens", tags_column="tags"))
        assert tokens.inputs.tolist() == ["Ann ran", "Bo", "Cy sat"] and _tags(tokens)[1] == ["B-PER"]


def test_options_take_exactly_one_mode():
    ok = [
        {"target_column": "y"},
        {"target_column": "y", "feature_columns": ["a"]},
        {"text_column": "t", "label_column": "y", "label_separator": ";"},
        {"tokens_column": "w", "tags_column": "t"},
    ]
    for options in ok:
        CsvOptions(path="x.csv", **options)
    bad = [
        ({}, "no target_column, text_column or tokens_column; give target_column"),
        ({"text_column": "t"}, "text_column needs a label_column"),
        ({"text_column": "t", "label_column": "y", "feature_columns": ["a"]}, "text_column cannot go with feature_columns"),
        ({"tokens_column": "w"}, "needs both tokens_column and tags_column"),
        ({"tags_column": "t"}, "needs both tokens_column and tags_column"),
        ({"tokens_column": "w", "tags_column": "t", "label_column": "y"}, "cannot go with label_column"),
        ({"tokens_column": "w", "tags_column": "t", "text_column": "x"}, "cannot go with text_column"),
        ({"tokens_column": "w", "tags_column": "w"}, "must be different columns"),
        ({"text_column": "y", "label_column": "y"}, "must be different columns"),
    ]
    for options, message in bad:
        with pytest.raises(ValidationError, match=message):
            ParquetOptions(path="x.parquet", **options)


def test_missing_text_or_tokens_column_suggests_a_name(tmp_path):
    path = _write(tmp_path, "review,label\nok,a\n")
    with pytest.raises(ValueError, match="no text column 'reviews'; did you mean 'review'"):
        load_csv(CsvOptions(path=path, text_column="reviews", label_column="label"))
    with pytest.raises(ValueError, match="no tokens column 'token'"):
        load_csv(CsvOptions(path=path, tokens_column="token", tags_column="label"))


# ---------------------------------------------------------------- text_files


@pytest.fixture
def documents(tmp_path):
    """neg: 2 documents, pos: 3 (one in a sub-folder) + a .md and a hidden file that are ignored."""
    root = tmp_path / "docs"
    _write(root, "Awful.\n", "neg/b.txt")
    _write(root, "Dull and slow.", "neg/a.txt")
    _write(root, "Great fun!", "pos/2.txt")
    _write(root, "Loved it.", "pos/1.TXT")
    _write(root, "Superb, in a folder.", "pos/more/3.txt")
    _write(root, "not a document", "pos/notes.md")
    _write(root, "hidden", "pos/.hidden.txt")
    return root


def test_text_files_read_class_folders_in_sorted_order(documents):
    examples = load_text_files(TextFilesOptions(path=str(documents)))
    assert examples.kind == "text" and examples.class_names == ["neg", "pos"]
    assert examples.inputs.tolist() == ["Dull and slow.", "Awful.\n", "Loved it.", "Great fun!", "Superb, in a folder."]
    assert examples.labels.tolist() == [0, 0, 1, 1, 1] and examples.inputs.dtype == object
    with_md = load_text_files(TextFilesOptions(path=str(documents), extensions=["md", ".txt"]))
    assert "not a document" in with_md.inputs.tolist() and len(with_md.inputs) == 6


def test_text_files_bad_documents_are_named_by_path(documents):
    (documents / "neg" / "c.txt").write_text("  \n\t")
    (documents / "pos" / "0.txt").write_bytes(b"caf\xe9 ok")
    with pytest.raises(BadRecordError) as caught:
        load_text_files(TextFilesOptions(path=str(documents)))
    assert str(documents / "neg" / "c.txt") in str(caught.value) and "empty document" in str(caught.value)

    examples = load_text_files(TextFilesOptions(path=str(documents)), on_bad_record="skip")
    assert examples.skipped == 2 and len(examples.inputs) == 5
    assert examples.skipped_records[0] == f"{documents / 'neg' / 'c.txt'}: empty document"
    assert examples.skipped_records[1].startswith(f"{documents / 'pos' / '0.txt'}: cannot decode as utf-8")

    latin = load_text_files(TextFilesOptions(path=str(documents), encoding="latin-1"), on_bad_record="skip")
    assert "café ok" in latin.inputs.tolist() and latin.skipped == 1


def test_text_files_folder_problems_are_clear(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        load_text_files(TextFilesOptions(path=str(tmp_path / "none")))
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_text_files(TextFilesOptions(path=str(tmp_path)))
    _write(tmp_path, "text", "a/1.txt")
    _write(tmp_path, "   ", "b/1.txt")
    with pytest.raises(ValueError, match="b has no readable documents"):
        load_text_files(TextFilesOptions(path=str(tmp_path)), on_bad_record="skip")
    _write(tmp_path, "csv, not text", "c/1.csv")
    with pytest.raises(ValueError, match="c has no documents"):
        load_text_files(TextFilesOptions(path=str(tmp_path)))
    with pytest.raises(ValidationError, match="unknown text encoding 'rot13'"):
        TextFilesOptions(path=".", encoding="rot13")


# ---------------------------------------------------------------- conll


CONLL = """-DOCSTART- -X- O

# a comment before a sentence
Alice NNP B-PER
Smith NNP I-PER
visited VBD O
Paris NNP B-LOC


# another comment
We PRP O
like VBP O
# NN O
tags NNS O
-DOCSTART- -X- O
Acme NNP B-ORG
hires VBZ O"""


def test_conll_reads_sentences_tokens_and_last_column_tags(tmp_path):
    path = _write(tmp_path, CONLL.replace("\n", "\r\n"), "a.conll")
    examples = load_conll(ConllOptions(path=path))
    assert examples.kind == "tokens" and examples.input_shape == ()
    assert examples.inputs.tolist() == ["Alice Smith visited Paris", "We like # tags", "Acme hires"]
    assert examples.class_names == ["B-LOC", "B-ORG", "B-PER", "I-PER", "O"]
    assert _tags(examples) == [["B-PER", "I-PER", "O", "B-LOC"], ["O"] * 4, ["B-ORG", "O"]]
    assert all(ids.dtype == np.int64 for ids in examples.labels)
    middle = load_conll(ConllOptions(path=path, tag_column=1))
    assert middle.class_names == ["NN", "NNP", "NNS", "PRP", "VBD", "VBP", "VBZ"]


def test_conll_delimiter_columns_and_folders(tmp_path):
    _write(tmp_path, "1\tNew York\tB-LOC\n2\tis\tO\n\n1\tOslo\tB-LOC\n", "corpus/b.tsv")
    _write(tmp_path, "Bob B-PER\n", "corpus/a.conll")
    _write(tmp_path, "ignored O\n", "corpus/notes.md")
    options = ConllOptions(path=str(tmp_path / "corpus"), delimiter="\t", token_column=1, tag_column=2)
    with pytest.raises(BadRecordError) as caught:
        load_conll(options)
    assert f"{tmp_path / 'corpus' / 'a.conll'} line 1: 1 column, too few" in str(caught.value)
    examples = load_conll(options, on_bad_record="skip")
    assert examples.skipped == 2
    assert examples.skipped_records[1] == f"{tmp_path / 'corpus' / 'b.tsv'} line 1: token 'New York' contains whitespace"
    assert examples.inputs.tolist() == ["Oslo"]
    spaces = load_conll(ConllOptions(path=str(tmp_path / "corpus" / "a.conll")))
    assert spaces.inputs.tolist() == ["Bob"] and spaces.class_names == ["B-PER"]


def test_conll_bad_lines_drop_their_sentence_under_skip(tmp_path):
    text = "Ann B-PER\nruns O\n\nBo\nsits O\nalone\n\nCy B-PER\n\xff\xfe O\n\nDi B-PER\n"
    path = tmp_path / "b.conll"
    path.write_bytes(text.encode("utf-8").replace("\xff\xfe".encode(), b"\xff\xfe"))
    with pytest.raises(BadRecordError) as caught:
        load_conll(ConllOptions(path=str(path)))
    assert str(caught.value) == (
        f"bad record in {path} line 4: 1 column, too few for token_column 0 and tag_column -1 "
        "(and 1 more bad line in this sentence)"
    )
    examples = load_conll(ConllOptions(path=str(path)), on_bad_record="skip")
    assert examples.inputs.tolist() == ["Ann runs", "Di"] and examples.skipped == 2
    assert examples.skipped_records[1] == f"{path} line 9: cannot decode as utf-8"


def test_conll_problems_are_clear(tmp_path):
    with pytest.raises(ValueError, match="no file or folder"):
        load_conll(ConllOptions(path=str(tmp_path / "none.conll")))
    with pytest.raises(ValueError, match="no files in"):
        load_conll(ConllOptions(path=str(tmp_path)))
    _write(tmp_path, "-DOCSTART- O\n\n# only a comment\n", "empty.conll")
    with pytest.raises(ValueError, match="no sentences"):
        load_conll(ConllOptions(path=str(tmp_path / "empty.conll")))
    with pytest.raises(ValidationError, match="must be different columns"):
        ConllOptions(path="x", token_column=1, tag_column=1)


# ---------------------------------------------------------------- shipped samples, registry, imports


def test_shipped_samples_load():
    sentiment = load_csv(CsvOptions(path=str(SAMPLES / "sentiment.csv"), text_column="text", label_column="label"))
    assert len(sentiment.inputs) == 400 and sentiment.class_names == ["negative", "positive"]
    assert np.bincount(sentiment.labels).tolist() == [200, 200] and sentiment.skipped == 0
    assert len(set(sentiment.inputs.tolist())) == 400

    from pipelines import components  # noqa: F401  (fills the registries)
    from pipelines.registry import sources

    ner = sources.get("conll").build(ConllOptions(path=str(SAMPLES / "ner.conll")))
    assert len(ner.inputs) == 300 and ner.skipped == 0
    assert ner.class_names == ["B-LOC", "B-ORG", "B-PER", "I-LOC", "I-ORG", "I-PER", "O"]
    counts = np.bincount(np.concatenate(ner.labels), minlength=7)
    assert (counts > 50).all()


def test_text_source_modules_import_nothing_heavy():
    code = (
        "import sys\n"
        "import data.sources.text_files, data.sources.conll, data.sources.csv\n"
        "from pipelines.registry import sources\n"
        "assert {'text_files', 'conll'} <= set(sources.names())\n"
        "assert all(c.summary for c in sources)\n"
        "heavy = {'tensorflow', 'pandas', 'keras'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# ---------------------------------------------------------------- Examples contract and splits


def test_examples_kinds_and_checks():
    assert Examples(np.zeros((2, 3), "float32"), [0, 1], ["a", "b"]).kind == "table"
    assert Examples(np.array(["x", "y"]), [0, 1], ["a", "b"]).kind == "text"
    tokens = Examples(np.array(["a b", "c"], object), ragged([[0, 1], [1]]), ["B", "O"])
    assert tokens.kind == "tokens" and tokens.subset(np.array([1])).labels[0].tolist() == [1]
    with pytest.raises(ValueError, match="2 tokens but 1 tags"):
        Examples(np.array(["a b"], object), ragged([[0]]), ["O"])
    with pytest.raises(ValueError, match="multi-hot labels have 3 columns but there are 2 classes"):
        Examples(np.array(["x"], object), np.ones((1, 3)), ["a", "b"])


def _texts(labels, class_names, kind="text"):
    inputs = np.array([f"t{i}" if kind == "text" else " ".join(["w"] * len(labels[i])) for i in range(len(labels))],
                      dtype=object)
    return Examples(inputs, labels, class_names, kind=kind)


def test_split_stratifies_class_ids_and_splits_other_labels_at_random():
    single = _texts(np.arange(100) % 4, ["a", "b", "c", "d"])
    train, validation, test = split_examples(single, validation=0.2, test=0.2, seed=0)
    assert [len(p.labels) for p in (train, validation, test)] == [60, 20, 20]
    assert np.bincount(test.labels).tolist() == [5, 5, 5, 5] and test.kind == "text"

    multi_hot = np.zeros((50, 3), "int64")
    multi_hot[:, 0] = 1
    multi_hot[0, 2] = 1  # a class on one example only: no stratification, so no error
    parts = split_examples(_texts(multi_hot, ["a", "b", "c"]), validation=0.2, test=0.2, seed=0)
    assert [p.labels.shape for p in parts] == [(30, 3), (10, 3), (10, 3)]
    assert sum(p.labels[:, 2].sum() for p in parts) == 1 and all(p.multi_label for p in parts)

    tags = ragged([[0] * (1 + i % 5) for i in range(40)])
    tags[0] = np.array([1], "int64")
    parts = split_examples(_texts(tags, ["O", "B-X"], kind="tokens"), validation=0.25, test=0.25, seed=3)
    assert [len(p.labels) for p in parts] == [20, 10, 10]
    for part in parts:
        assert part.kind == "tokens" and part.labels.dtype == object
        assert all(len(s.split(" ")) == len(t) for s, t in zip(part.inputs, part.labels))
    assert sorted(s for p in parts for s in p.inputs.tolist()) == sorted(_texts(tags, ["O", "B-X"], "tokens").inputs)
