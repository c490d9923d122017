"""`kpipe init DATA`: write a commented spec for annotated or captioned images, class sub-folders or a table."""

from __future__ import annotations

from pathlib import Path

from pipelines.cli.common import EXIT_OK
from pipelines.init import TASKS


def add_parser(commands) -> None:
    init = commands.add_parser(
        "init", help="Write a commented spec for your data.",
        description="Write a commented spec for annotated images (a COCO .json; a folder with VOC .xml, YOLO .txt "
                    "labels or PNG masks beside its images/), captioned images (a COCO captions .json; a folder "
                    "of images with a CSV of file names and captions, or that CSV: captioning, or dual_encoder "
                    "with --task), a folder of class sub-folders (images or .txt files), an interaction log (a "
                    "CSV/Parquet table with user and item id columns: retrieval, or ranking with --task) or "
                    "another CSV/Parquet table; it validates and runs as written. Annotated images are read and "
                    "measured first: the comments state their objects' sizes and the input size `resize: auto` "
                    "picks for them; captions and interactions are counted.")
    init.add_argument("data", help="a COCO .json (boxes or captions); a folder of annotated images (or its "
                                   "labels/, masks/ or XML folder, to pick one layout); a folder of images with "
                                   "a captions CSV, or that CSV; a folder with one sub-folder per class; or a "
                                   ".csv/.parquet table (an interaction log when it has user and item id columns)")
    init.add_argument("--target", metavar="COLUMN",
                      help="table column to predict (default: one named target/label/class/y, else the last)")
    init.add_argument("--task", choices=TASKS, help="override the task guessed from the data (for annotated "
                                                    "images: pick detection or segmentation in a folder with both; "
                                                    "dual_encoder for captioned images; ranking for interactions)")
    init.add_argument("--name", help="spec, experiment and export name (default: the file or folder name; "
                                     "for annotated or captioned images the data set's folder and the task, e.g. "
                                     "shapes-detection; for interactions the file's name and the task, e.g. "
                                     "plays-retrieval)")
    init.add_argument("--output", metavar="FILE", help="where to write the spec (default: <name>.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    init.set_defaults(handler=run)


def run(args) -> int:
    """Draft the spec, refuse to overwrite an existing file without --force, write it and say what's next."""
    from pipelines.init import draft_spec

    draft = draft_spec(args.data, target=args.target, task=args.task, name=args.name)
    output = Path(args.output or f"{draft.name}.yaml")
    if output.exists() and not args.force:
        raise ValueError(f"{output} exists; give --force to overwrite it, or --output another file")
    for note in draft.notes:
        print(note)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(draft.text, encoding="utf-8")
    print(f"wrote {output} ({draft.task})")
    print(f"next: kpipe run {output}")
    return EXIT_OK
