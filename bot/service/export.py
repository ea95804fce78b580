"""Export a community's cases and audit log as CSV or JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict
from datetime import datetime, timezone

from bot.service.models import AuditEntry, Case

CASE_COLUMNS = ("number", "platform", "member_id", "channel_id", "message_id", "rule_ids",
                "clauses", "span", "excerpt", "confidence", "action", "until", "actor", "reason",
                "status", "points", "language", "created_at", "updated_at", "outcomes")
AUDIT_COLUMNS = ("id", "case_id", "actor", "action", "detail", "at")


# a spreadsheet reads times, not Unix seconds: CSV writes these as ISO 8601 in UTC
_TIMES = frozenset({"created_at", "updated_at", "until", "at", "decided_at"})


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).isoformat(timespec="seconds")


def _case_row(case: Case) -> dict:
    row = asdict(case)
    return {k: row[k] for k in CASE_COLUMNS}


def _audit_row(entry: AuditEntry) -> dict:
    row = asdict(entry)
    return {k: row[k] for k in AUDIT_COLUMNS}


def export(cases: list[Case], audit: list[AuditEntry], fmt: str) -> str:
    """``fmt`` is ``jsonl`` (one object per line, ``type`` case or audit) or ``csv`` (cases, a
    blank line, then the audit log)."""
    if fmt == "jsonl":
        lines = [json.dumps({"type": "case", **_case_row(c)}, ensure_ascii=False) for c in cases]
        lines += [json.dumps({"type": "audit", **_audit_row(a)}, ensure_ascii=False) for a in audit]
        return "\n".join(lines) + ("\n" if lines else "")
    if fmt == "csv":
        out = io.StringIO()
        for columns, rows in ((CASE_COLUMNS, [_case_row(c) for c in cases]),
                              (AUDIT_COLUMNS, [_audit_row(a) for a in audit])):
            writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: json.dumps(v, ensure_ascii=False)
                                 if isinstance(v, (list, tuple, dict))
                                 else _iso(v) if k in _TIMES and v is not None else v
                                 for k, v in row.items()})
            out.write("\n")
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r} (csv or jsonl)")
