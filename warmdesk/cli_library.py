"""Library subcommands: runs, show, import, export, check, delete, restore,
trash, empty-trash, tag."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .cli_output import json_safe, parse_when, plural, print_row, print_run
from .core.display import printable
from .core.errors import WarmDeskError
from .core.kinds.registry import KIND_NAMES
from .core.library import SORTABLE, Library, RunQuery
from .core.runs import STATUSES

EXIT_OK, EXIT_PROBLEM, EXIT_BAD_INPUT = 0, 1, 2


def add_commands(sub: argparse._SubParsersAction, library_arg) -> None:  # type: ignore[type-arg]
    runs = sub.add_parser("runs", help="list runs, filtered and sorted")
    runs.add_argument("--kind", choices=KIND_NAMES)
    runs.add_argument("--status", choices=STATUSES)
    runs.add_argument("--method")
    runs.add_argument("--tag", action="append", default=[], help="carrying this tag (repeatable)")
    runs.add_argument("--text", help="text in the name or notes")
    runs.add_argument("--since", help="created on or after (2026-11-27 or 2026-11-27T08:30)")
    runs.add_argument("--until", help="created before")
    runs.add_argument("--problem-hash")
    runs.add_argument("--structure-hash")
    runs.add_argument("--sort", default="created_at", choices=SORTABLE)
    runs.add_argument("--asc", action="store_true", help="ascending (default: descending)")
    runs.add_argument("--limit", type=int, default=50)
    runs.add_argument("--offset", type=int, default=0)
    runs.add_argument("--deleted", action="store_true", help="list the trash")
    runs.add_argument("--json", action="store_true")
    library_arg(runs)

    show = sub.add_parser("show", help="show one run, with its lineage")
    show.add_argument("run_id")
    show.add_argument("--json", action="store_true")
    library_arg(show)

    imp = sub.add_parser("import", help="import .wdrun files (checked; nothing is executed)")
    imp.add_argument("files", nargs="+")
    imp.add_argument("--json", action="store_true")
    library_arg(imp)

    exp = sub.add_parser("export", help="export runs into one .wdrun file")
    exp.add_argument("run_ids", nargs="+")
    exp.add_argument("-o", "--output", required=True, help="the .wdrun file to write")
    library_arg(exp)

    check = sub.add_parser("check", help="check the library (integrity and checksums)")
    library_arg(check)

    for name, text in (("delete", "move runs to the trash"), ("restore", "bring runs back "
                                                                         "from the trash")):
        p = sub.add_parser(name, help=text)
        p.add_argument("run_ids", nargs="+")
        library_arg(p)
    empty = sub.add_parser("empty-trash", help="remove the runs in the trash for good")
    library_arg(empty)

    tag = sub.add_parser("tag", help="add or remove tags of a run")
    tag.add_argument("run_id")
    tag.add_argument("--add", action="append", default=[])
    tag.add_argument("--remove", action="append", default=[])
    library_arg(tag)


def open_library(args: argparse.Namespace) -> Library:
    return Library(args.library) if getattr(args, "library", None) else Library()


def cmd_runs(args: argparse.Namespace) -> int:
    try:
        since = parse_when(args.since) if args.since else None
        until = parse_when(args.until) if args.until else None
    except ValueError as exc:
        print(f"warmdesk: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    query = RunQuery(kind=args.kind, status=args.status, method=args.method, tags=args.tag,
                     text=args.text, since=since, until=until, problem_hash=args.problem_hash,
                     structure_hash=args.structure_hash, deleted=args.deleted, sort=args.sort,
                     descending=not args.asc, limit=args.limit, offset=args.offset)
    with open_library(args) as lib:
        rows = lib.query(query)
        total = lib.count(query)
    if args.json:
        print(json.dumps(json_safe(rows)))
        return EXIT_OK
    for r in rows:
        print_row(r)
    print(f"{len(rows)} of {plural(total, 'run')}", file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        run = lib.get_run(args.run_id)
        ancestors = lib.lineage(run.id, "ancestors")
        descendants = lib.lineage(run.id, "descendants")
    if args.json:
        out = run.summary()
        out.update(problem=run.problem, info=run.info, versions=run.versions, tags=run.tags,
                   notes=run.notes, warm=run.warm.to_dict() if run.warm else None,
                   history_rows=len(run.history), ancestors=ancestors,
                   descendants=descendants, created_at=run.created_at)
        print(json.dumps(json_safe(out)))
        return EXIT_OK
    print_run(run)
    for title, rows in (("came from", ancestors), ("seeded", descendants)):
        for r in rows:
            where = printable(r["name"]) or "(not in this library)"
            print(f"  {title} {'  ' * (r['depth'] - 1)}{r['id'][:12]} {where} "
                  f"[{', '.join(r['payload'])}]")
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .core.runfile import read_runfile

    refused = 0
    report = []
    with open_library(args) as lib:
        for name in args.files:
            try:
                runs = read_runfile(name)
                added, present = lib.import_runs(runs)
            except (WarmDeskError, OSError) as exc:  # RunFileError is a WarmDeskError
                refused += 1
                print(f"refused {printable(name)}: {printable(exc)}", file=sys.stderr)
                report.append({"file": name, "refused": str(exc)})
                continue
            report.append({"file": name, "added": added, "already_present": present})
            if not args.json:
                print(f"imported {printable(name)}: {len(added)} added, {len(present)} "
                      "already there")
                for run in runs:
                    if run.id in added and run.info.get("import_note"):
                        print(f"  run {run.id[:12]}: {printable(run.info['import_note'])}")
    if args.json:
        print(json.dumps(report))
    return EXIT_BAD_INPUT if refused else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .core.runfile import SUFFIX, write_runfile

    out = Path(args.output)
    if out.suffix != SUFFIX:
        out = out.with_name(out.name + SUFFIX)
    with open_library(args) as lib:
        runs = [lib.get_run(r) for r in args.run_ids]
    path = write_runfile(out, runs)
    print(f"exported {plural(len(runs), 'run')} to {path}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        problems = lib.check()
        count = lib.count()
    for p in problems:
        print(p)
    if problems:
        print(f"library {lib.folder}: {plural(len(problems), 'problem')}", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"library {lib.folder}: sound ({plural(count, 'run')})")
    return EXIT_OK


def cmd_delete(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        n = lib.delete(args.run_ids)
    print(f"moved {plural(n, 'run')} to the trash (warmdesk restore ID brings "
          "them back; warmdesk empty-trash removes them)")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore the given runs that are in the trash; name the ones that are not
    (exit 1 when none was)."""
    with open_library(args) as lib:
        ids = list(dict.fromkeys(lib.resolve_id(r) for r in args.run_ids))
        trashed = [i for i in ids if lib.in_trash(i)]
        if trashed:
            lib.restore(trashed)
    others = [i for i in ids if i not in trashed]
    if trashed:
        print(f"restored {plural(len(trashed), 'run')}: {' '.join(i[:12] for i in trashed)}")
    if others:
        print(f"warmdesk: not in the trash, so nothing to restore: "
              f"{' '.join(i[:12] for i in others)} ('warmdesk runs --deleted' lists the trash)",
              file=sys.stderr)
    return EXIT_OK if trashed else EXIT_PROBLEM


def cmd_empty_trash(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        n = lib.empty_trash()
    print(f"removed {plural(n, 'run')} for good")
    return EXIT_OK


def cmd_tag(args: argparse.Namespace) -> int:
    with open_library(args) as lib:
        run_id = lib.resolve_id(args.run_id)
        tags = [t for t in lib.get_meta(run_id).get("tags", []) if t not in args.remove]
        lib.set_tags(run_id, tags + args.add)
        print(printable(" ".join(lib.get_meta(run_id)["tags"])))
    return EXIT_OK


COMMANDS = {"runs": cmd_runs, "show": cmd_show, "import": cmd_import, "export": cmd_export,
            "check": cmd_check, "delete": cmd_delete, "restore": cmd_restore,
            "empty-trash": cmd_empty_trash, "tag": cmd_tag}
