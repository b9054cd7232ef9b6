"""`medkb kb stats|show` and `medkb export`: read the knowledge base."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from core.coverage import CellState, coverage
from core.knowledge import (
    SOURCE_LANGUAGE,
    Guideline,
    language_by_code,
    safe_filename,
    to_markdown,
)
from core.store.base import Store
from tui.cli import EXIT_OK, CommandFailed, Context, UsageError
from tui.plain import plain


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    kb = commands.add_parser("kb", help="what the knowledge base holds")
    verbs = kb.add_subparsers(title="verbs", metavar="VERB", required=True)
    stats = verbs.add_parser("stats", parents=[common], help="coverage per language")
    stats.set_defaults(command=show_stats)
    show = verbs.add_parser("show", parents=[common], help="a guideline as Markdown")
    show.add_argument("slug")
    show.add_argument("--lang", default=SOURCE_LANGUAGE, metavar="CODE")
    show.set_defaults(command=show_guideline)

    export = commands.add_parser(
        "export", parents=[common], help="write every guideline to files"
    )
    export.add_argument("--out", required=True, type=Path, metavar="DIR")
    export.add_argument("--format", choices=["markdown", "json"], default="markdown")
    export.add_argument("--force", action="store_true", help="replace existing files")
    export.set_defaults(command=export_guidelines)


def show_stats(args: argparse.Namespace, context: Context) -> int:
    grid = coverage(context.store)
    names = {code: lang.name for code, lang in language_by_code().items()}
    names[SOURCE_LANGUAGE] = "English"
    print(f"{'LANGUAGE':<22} {'SAVED':>6} {'STALE':>6} {'MISSING':>8} {'FAILED':>7}")
    for code in grid.languages:
        counts = grid.by_language(code)
        share = 100 * counts[CellState.SAVED] / max(1, len(grid.topics))
        print(
            f"{code + ' ' + names[code]:<22} {counts[CellState.SAVED]:>6}"
            f" {counts[CellState.STALE]:>6} {counts[CellState.MISSING]:>8}"
            f" {counts[CellState.FAILED]:>7}  {share:5.1f}%"
        )
    return EXIT_OK


def show_guideline(args: argparse.Namespace, context: Context) -> int:
    languages = language_by_code()
    if args.lang != SOURCE_LANGUAGE and args.lang not in languages:
        raise UsageError(f"unknown language {args.lang!r}; see `medkb kb stats`")
    item = context.store.get_item(args.slug, args.lang)
    if item is None:
        raise CommandFailed(
            f"no guideline for {args.slug!r} in {args.lang!r} yet; "
            "see `medkb kb stats`, or run `medkb train` / `medkb translate`"
        )
    guideline = Guideline.model_validate(item.data)
    print(plain(to_markdown(guideline, languages.get(args.lang))))
    return EXIT_OK


def export_guidelines(args: argparse.Namespace, context: Context) -> int:
    files = _planned_files(context.store, args.out, args.format)
    existing = [path for path in files if path.exists()]
    if existing and not args.force:
        raise CommandFailed(
            f"{len(existing)} file(s) already exist in {args.out} (such as "
            f"{existing[0]}); add --force to replace them"
        )
    index = [_write(path, guideline, args) for path, guideline in files.items()]
    _write_text(args.out / "index.json", json.dumps(index, indent=2))
    print(f"exported {len(index)} guidelines to {args.out}")
    return EXIT_OK


def _planned_files(store: Store, out: Path, fmt: str) -> dict[Path, Guideline]:
    suffix = "md" if fmt == "markdown" else "json"
    planned: dict[Path, Guideline] = {}
    for item in store.list_items():
        guideline = Guideline.model_validate(item.data)
        language = safe_filename(item.language)
        name = f"{safe_filename(item.topic)}.{suffix}"
        planned[out / language / name] = guideline
    return planned


def _write(
    path: Path, guideline: Guideline, args: argparse.Namespace
) -> dict[str, Any]:
    if args.format == "markdown":
        language = language_by_code().get(guideline.language)
        _write_text(path, to_markdown(guideline, language))
    else:
        _write_text(path, guideline.model_dump_json(indent=2))
    return {
        "topic": guideline.topic,
        "language": guideline.language,
        "title": guideline.content.title,
        "path": str(path.relative_to(args.out)),
        "source_hash": guideline.source_hash,
    }


def _write_text(path: Path, text: str) -> None:
    """Write through a temporary file so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
