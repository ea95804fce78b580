"""``quytac migrate``, ``quytac cases list|show|export``, ``quytac member``, ``quytac blocklist``
and ``quytac stats``: the database from the shell."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import Counter
from typing import Any, Awaitable, Callable

from bot.cli.common import load_engine
from bot.service import SqlStorage, describe, make_storage
from bot.service.export import export
from bot.service.texts import when


DB_HELP = "database (default: DATABASE_URL, else quytac.db in the user data directory)"


def register(sub: argparse._SubParsersAction) -> None:
    db_help = DB_HELP
    m = sub.add_parser("migrate", help="create or upgrade the database schema")
    m.add_argument("--database", help=db_help)
    m.add_argument("--to", metavar="URL",
                   help="copy the database into this (empty) one, e.g. postgresql://host/db")
    m.set_defaults(func=lambda a: _run(a, _migrate))

    c = sub.add_parser("cases", help="list, show and export cases")
    csub = c.add_subparsers(dest="cases_command", required=True)
    ls = csub.add_parser("list", help="list cases, newest first")
    ls.add_argument("--community")
    ls.add_argument("--member")
    ls.add_argument("--rule")
    ls.add_argument("--status", choices=("active", "expired", "pardoned", "overturned", "shadow"))
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=lambda a: _run(a, _list))
    sh = csub.add_parser("show", help="one case with its history and appeals")
    sh.add_argument("community")
    sh.add_argument("number", type=int)
    sh.set_defaults(func=lambda a: _run(a, _show))
    ex = csub.add_parser("export", help="a community's cases and audit log")
    ex.add_argument("community")
    ex.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    ex.add_argument("--output", help="file to write (default: standard output)")
    ex.set_defaults(func=lambda a: _run(a, _export))
    for p in (ls, sh, ex):
        p.add_argument("--database", help=db_help)

    mb = sub.add_parser("member", help="export or forget one member's data (Decree 13/2023)")
    msub = mb.add_subparsers(dest="member_command", required=True)
    me = msub.add_parser("export", help="everything stored about a member, as JSON")
    mf = msub.add_parser("forget", help="delete a member's texts and pseudonymise their id")
    for p in (me, mf):
        p.add_argument("community")
        p.add_argument("member")
        p.add_argument("--by", default="cli", help="who asked (recorded in the audit log)")
        p.add_argument("--database", help=db_help)
    me.add_argument("--output", help="file to write (default: standard output)")
    mf.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    me.set_defaults(func=lambda a: _run(a, _member_export))
    mf.set_defaults(func=lambda a: _run(a, _member_forget))

    bl = sub.add_parser("blocklist", help="a community's own block list: ids banned on joining")
    bsub = bl.add_subparsers(dest="blocklist_command", required=True)
    bi = bsub.add_parser("import", help="add ids from a file (one per line: id or id,reason)")
    bi.add_argument("community")
    bi.add_argument("file", help="the list ('-': standard input)")
    bi.add_argument("--by", default="cli", help="who asked (recorded in the audit log)")
    be = bsub.add_parser("export", help="the list and every member banned here, as id,reason")
    be.add_argument("community")
    be.add_argument("--output", help="file to write (default: standard output)")
    for p in (bi, be):
        p.add_argument("--database", help=db_help)
    bi.set_defaults(func=lambda a: _run(a, _blocklist_import))
    be.set_defaults(func=lambda a: _run(a, _blocklist_export))

    s = sub.add_parser("stats", help="counts by category, action, platform; overturn rate per rule")
    s.add_argument("--community")
    s.add_argument("--json", action="store_true")
    s.add_argument("--database", help=db_help)
    s.set_defaults(func=lambda a: _run(a, _stats))


def run_on_database(args: argparse.Namespace,
                    body: Callable[[SqlStorage, argparse.Namespace], Awaitable[int]]) -> int:
    """Open ``--database``, refuse one with no schema yet, and run ``body`` on it."""
    return _run(args, body)


def _run(args: argparse.Namespace, body: Callable[[SqlStorage, argparse.Namespace],
                                                   Awaitable[int]]) -> int:
    async def go() -> int:
        storage = make_storage(args.database)
        await storage.open()
        try:
            if body is not _migrate and await storage.schema_version() == 0:
                print(f"{describe(storage)}: no schema yet; run: quytac migrate", file=sys.stderr)
                return 2
            return await body(storage, args)
        finally:
            await storage.close()

    return asyncio.run(go())


async def _migrate(storage: SqlStorage, args: argparse.Namespace) -> int:
    applied = await storage.migrate()
    version = await storage.schema_version()
    done = f"applied {', '.join(map(str, applied))}" if applied else "already up to date"
    print(f"{describe(storage)}: schema version {version} ({done})")
    if not args.to:
        return 0
    from bot.service.storage.copy import copy_database

    target = make_storage(args.to)
    await target.open()
    try:
        counts = await copy_database(storage, target)
    except ValueError as exc:
        print(f"{describe(target)}: {exc}", file=sys.stderr)
        return 1
    finally:
        await target.close()
    print(f"copied to {describe(target)}: " + ", ".join(f"{t} {n}" for t, n in counts.items()))
    return 0


async def _list(storage: SqlStorage, args: argparse.Namespace) -> int:
    cases = await storage.list_cases(args.community, args.member, args.rule, args.status,
                                     args.limit)
    if args.json:  # one JSON array ([] when none), as a script expects
        rows = [json.loads(line) for line in export(cases, [], "jsonl").splitlines()]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for c in cases:
        print(f"{c.community_id} #{c.number:<5} {when(c.created_at)}  {c.platform:<8} "
              f"member {c.member_id:<12} {c.action:<11} {c.status:<10} {','.join(c.rule_ids)}")
    print(f"{len(cases)} case(s)")
    return 0


async def _show(storage: SqlStorage, args: argparse.Namespace) -> int:
    case = await storage.get_case(args.community, args.number)
    if case is None:
        print(f"no case #{args.number} in community {args.community}", file=sys.stderr)
        return 1
    fields: list[tuple[str, Any]] = [
        ("case", f"#{case.number} ({case.community_id}, {case.platform})"),
        ("member", case.member_id), ("rules", ", ".join(case.rule_ids)),
        ("clauses", ", ".join(case.clauses)), ("excerpt", case.excerpt),
        ("confidence", case.confidence), ("action", case.action),
        ("until", when(case.until) if case.until else "-"), ("actor", case.actor),
        ("reason", case.reason or "-"), ("status", case.status), ("points", case.points),
        ("created", when(case.created_at)),
    ]
    for name, value in fields:
        print(f"{name + ':':<12}{value}")
    for kind, state, reason in case.outcomes:
        print(f"{'outcome:':<12}{kind} {state}{': ' + reason if reason else ''}")
    for a in await storage.appeals_for_case(case.id):
        print(f"{'appeal:':<12}{a.status} {when(a.created_at)} {a.text!r}"
              + (f" -> {a.decided_by}: {a.decision}" if a.decided_by else ""))
    print("history:")
    for e in await storage.case_history(case.id):
        print(f"  {when(e.at)}  {e.actor:<12} {e.action:<18} {json.dumps(e.detail, ensure_ascii=False)}")
    return 0


async def _export(storage: SqlStorage, args: argparse.Namespace) -> int:
    cases = await storage.list_cases(args.community, limit=10**9)
    text = export(cases, await storage.audit_log(args.community), args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        print(f"wrote {len(cases)} cases to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _service(storage: SqlStorage):
    from bot.service import ModerationService

    engine = load_engine(None)
    return ModerationService(storage, engine) if engine else None


async def _member_export(storage: SqlStorage, args: argparse.Namespace) -> int:
    service = _service(storage)
    if service is None:
        return 2
    data = await service.export_member(args.community, args.member, args.by)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {len(data['cases'])} cases of member {args.member} to {args.output}",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


async def _member_forget(storage: SqlStorage, args: argparse.Namespace) -> int:
    if not args.yes:
        print("this deletes the member's texts and replaces their id for good; "
              "add --yes to confirm", file=sys.stderr)
        return 2
    service = _service(storage)
    if service is None:
        return 2
    counts = await service.forget_member(args.community, args.member, args.by)
    print("forgotten: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


async def _blocklist_import(storage: SqlStorage, args: argparse.Namespace) -> int:
    from bot.service import ServiceError

    service = _service(storage)
    if service is None:
        return 2
    try:
        if args.file == "-":
            lines = sys.stdin.read().splitlines()
        else:
            with open(args.file, encoding="utf-8") as f:
                lines = f.read().splitlines()
    except OSError as exc:
        print(f"{args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        read, added = await service.import_blocklist(args.community, lines, args.by)
    except ServiceError as exc:  # every bad line named; nothing added
        print(f"{args.file}: {exc}; nothing was added", file=sys.stderr)
        return 1
    print(f"{read} ids read, {added} added to the block list of {args.community}")
    return 0


async def _blocklist_export(storage: SqlStorage, args: argparse.Namespace) -> int:
    service = _service(storage)
    if service is None:
        return 2
    rows = await service.export_blocklist(args.community)
    text = "".join(f"{member},{reason.replace(',', ';')}\n" for member, reason in rows)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {len(rows)} ids to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


async def _stats(storage: SqlStorage, args: argparse.Namespace) -> int:
    stats = await storage.stats(args.community)
    engine = load_engine(None)
    by_category: Counter[str] = Counter()
    for rule, row in stats["by_rule"].items():
        try:
            category = engine.rule(rule).category if engine else "?"
        except KeyError:
            category = rule.split(".")[1] if rule.startswith("community.") else "?"
        by_category[category] += row["cases"]
    stats["by_category"] = dict(by_category.most_common())
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    for key in ("by_category", "by_action", "by_platform", "by_status"):
        print(key.replace("_", " ") + ":")
        for name, count in stats[key].items():
            print(f"  {name:<20} {count}")
    print("by rule (cases, appealed, overturned, overturn rate):")
    for rule, row in stats["by_rule"].items():
        print(f"  {rule:<34} {row['cases']:>6} {row['appealed']:>6} {row['overturned']:>6} "
              f"{row['overturn_rate']:>8.1%}")
    print("review queue (over_budget: held hits past the hourly budget, kept as shadow cases):")
    for status, count in stats["review_by_status"].items():
        print(f"  {status:<20} {count}")
    return 0
