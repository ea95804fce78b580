"""The storage written once in SQL, over a small per-database connection interface.

Each dialect (``sqlite.py``, ``postgres.py``) supplies a connection with four calls (fetch one,
fetch all, execute, insert), transactions, its migration folder and the few expressions SQL
databases spell differently. Statements use ``?`` placeholders; a dialect may rewrite them.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, Callable, Protocol

from bot.service.models import (
    Appeal, AuditEntry, Case, CaseQuery, NewCase, Raid, ReviewItem, Trace,
)
from bot.core.learned import Example
from bot.service.storage.base import Storage
from bot.shipped import shipped_dir

_MIGRATION_NAME = re.compile(r"^(\d+)_[\w-]+\.sql$")


def migrations_root() -> Path:
    return shipped_dir("migrations")


class Conn(Protocol):
    async def fetchone(self, sql: str, *args: Any) -> Any: ...
    async def fetchall(self, sql: str, *args: Any) -> list[Any]: ...
    async def execute(self, sql: str, *args: Any) -> int: ...  # rows affected
    async def insert(self, sql: str, *args: Any) -> int: ...  # the new row's id


class Dialect(ABC):
    name: str
    skip_locked = ""  # appended to a claiming subquery where the database supports it

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def tx(self) -> AbstractAsyncContextManager[Conn]:
        """One transaction that serialises against other writers of the same rows."""

    @abstractmethod
    def read(self) -> AbstractAsyncContextManager[Conn]: ...

    def statement(self) -> AbstractAsyncContextManager[Conn]:
        """A connection for one writing statement, atomic on its own (no BEGIN and COMMIT
        around it: two round trips saved, and on SQLite two trips to its thread)."""
        return self.read()

    @abstractmethod
    async def apply_migration(self, version: int, script: str) -> bool:
        """Apply one migration unless another process already did; whether this one did."""

    async def migration_lock(self, conn: Conn) -> None:
        """Hold, until the transaction ends, the lock that serialises migrators (see Postgres)."""

    @abstractmethod
    def json_has(self, column: str) -> str:
        """An expression: the JSON list in ``column`` contains the next ``?`` parameter."""

    @abstractmethod
    def json_items(self, column: str) -> str:
        """A FROM item yielding ``j.value`` for each element of the JSON list in ``column``."""

    async def lock_row(self, conn: Conn, table: str, key: str) -> None:
        """Serialise writers of one community's row of ``table`` until the transaction ends
        (SQLite's one writer does already; PostgreSQL takes an advisory lock)."""

    async def reset_ids(self, conn: Conn, table: str) -> None:
        """After rows were copied in with their ids, new ids continue after the largest."""

    @abstractmethod
    async def lift_audit_guard(self, conn: Conn) -> None: ...

    @abstractmethod
    async def restore_audit_guard(self, conn: Conn) -> None: ...

    @property
    def migrations(self) -> Path:
        return migrations_root() / self.name


def _storable(number: int) -> bool:
    """Whether a number fits the databases' 64-bit integers (SQLite and PostgreSQL bigint)."""
    return -(2**63) <= number < 2**63


def _trace_json(trace: Trace | None) -> str | None:
    return None if trace is None else json.dumps({"b": list(trace.buckets), "n": trace.bits})


def _trace(row: Any) -> Trace | None:
    raw = row["features"]
    if not raw or row["prior"] is None:
        return None
    data = json.loads(raw)
    return Trace(tuple(data["b"]), data["n"], row["prior"])


def _case(row: Any, outcomes: tuple = ()) -> Case:
    span = (row["span_start"], row["span_end"]) if row["span_start"] is not None else None
    return Case(
        id=row["id"], community_id=row["community_id"], number=row["number"],
        platform=row["platform"], member_id=row["member_id"], channel_id=row["channel_id"],
        message_id=row["message_id"], rule_ids=tuple(json.loads(row["rule_ids"])),
        clauses=tuple(json.loads(row["clauses"])), span=span, excerpt=row["excerpt"],
        confidence=row["confidence"], action=row["action"], until=row["until"],
        actor=row["actor"], reason=row["reason"], status=row["status"], points=row["points"],
        language=row["language"], created_at=row["created_at"], updated_at=row["updated_at"],
        outcomes=outcomes, trace=_trace(row),
    )


def _weights(row: Any) -> dict[int, float]:
    return {int(k): float(v) for k, v in json.loads(row["weights"]).items()}


def _appeal(row: Any) -> Appeal:
    return Appeal(
        id=row["id"], case_id=row["case_id"], case_number=row["number"],
        community_id=row["community_id"], member_id=row["member_id"], text=row["text"],
        status=row["status"], decided_by=row["decided_by"], decision=row["decision"],
        created_at=row["created_at"], decided_at=row["decided_at"],
    )


def _review(row: Any) -> ReviewItem:
    return ReviewItem(
        id=row["id"], community_id=row["community_id"], platform=row["platform"],
        member_id=row["member_id"], channel_id=row["channel_id"], message_id=row["message_id"],
        rule_ids=tuple(json.loads(row["rule_ids"])), clauses=tuple(json.loads(row["clauses"])),
        excerpt=row["excerpt"], confidence=row["confidence"], severity=row["severity"],
        why=row["why"], language=row["language"], status=row["status"],
        created_at=row["created_at"], trace=_trace(row),
    )


def _audit(row: Any) -> AuditEntry:
    return AuditEntry(row["id"], row["community_id"], row["case_id"], row["actor"], row["action"],
                      json.loads(row["detail"]), row["at"])


def _raid(row: Any) -> Raid:
    return Raid(row["id"], row["community_id"], row["platform"], row["action"], row["since"],
                row["started_at"], row["started_by"], row["last_activity"], row["hold_until"],
                row["joins"], json.loads(row["changes"]), row["ended_at"], row["ended_by"])


_APPEAL_SELECT = ("SELECT a.*, c.number, c.community_id FROM appeals a "
                  "JOIN cases c ON c.id = a.case_id ")
_MUTE_SCHEDULES = "kind IN ('mute_expiry', 'mute_renew')"


class SqlStorage(Storage):
    def __init__(self, dialect: Dialect) -> None:
        self.d = dialect

    # -- connection and migrations ----------------------------------------------------------

    async def open(self) -> None:
        await self.d.open()

    async def close(self) -> None:
        await self.d.close()

    async def schema_version(self) -> int:
        async with self.d.tx() as db:
            # IF NOT EXISTS is not safe against a concurrent creator on PostgreSQL
            await self.d.migration_lock(db)
            await db.execute("CREATE TABLE IF NOT EXISTS schema_version "
                             "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        async with self.d.read() as db:
            row = await db.fetchone("SELECT MAX(version) AS v FROM schema_version")
        return row["v"] or 0

    async def migrate(self) -> list[int]:
        current = await self.schema_version()
        applied = []
        files = sorted((int(m.group(1)), p) for p in self.d.migrations.glob("*.sql")
                       if (m := _MIGRATION_NAME.match(p.name)))
        if not files:  # an install that lost them must not report a schema it never made
            raise FileNotFoundError(f"no migrations in {self.d.migrations} (reinstall quytac)")
        for version, path in files:
            if version > current and await self.d.apply_migration(
                    version, path.read_text(encoding="utf-8")):
                applied.append(version)
        return applied

    @staticmethod
    async def _add_audit(db: Conn, community: str, case_id: int | None, actor: str, action: str,
                         detail: dict, now: float) -> None:
        await db.execute(
            "INSERT INTO audit (community_id, case_id, actor, action, detail, at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            community, case_id, actor, action, json.dumps(detail, ensure_ascii=False), now)

    @staticmethod
    async def _track(db: Conn, case_id: int, kinds: tuple[str, ...], now: float) -> list[int]:
        if not kinds:
            return []
        # one statement for all of a case's actions (a round trip each was most of the cost of
        # recording a case); ids are handed out in row order, so sorted they follow ``kinds``
        rows = await db.fetchall(
            "INSERT INTO case_actions (case_id, kind, state, updated_at) VALUES "
            + ", ".join(["(?, ?, 'pending', ?)"] * len(kinds)) + " RETURNING id",
            *(v for kind in kinds for v in (case_id, kind, now)))
        return sorted(r["id"] for r in rows)

    # -- settings and moderators ------------------------------------------------------------

    async def load_settings(self, community: str) -> str | None:
        async with self.d.read() as db:
            row = await db.fetchone(
                "SELECT settings FROM community_settings WHERE community_id = ?", community)
        return row["settings"] if row else None

    async def save_settings(self, community: str, settings_json: str, actor: str, detail: dict,
                            now: float) -> None:
        async with self.d.tx() as db:
            await db.execute(
                "INSERT INTO community_settings VALUES (?, ?, ?) ON CONFLICT (community_id) "
                "DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
                community, settings_json, now)
            await self._add_audit(db, community, None, actor, "settings", detail, now)

    async def touch_moderator(self, community: str, user: str, now: float) -> None:
        async with self.d.tx() as db:
            await db.execute(
                "INSERT INTO moderators VALUES (?, ?, ?) ON CONFLICT (community_id, user_id) "
                "DO UPDATE SET seen_at = excluded.seen_at", community, user, now)

    async def moderators(self, community: str) -> list[str]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT user_id FROM moderators WHERE community_id = ? "
                                     "ORDER BY user_id", community)
        return [r["user_id"] for r in rows]

    # -- cases ------------------------------------------------------------------------------

    async def record_case(self, new: NewCase) -> tuple[Case, list[int]]:
        async with self.d.tx() as db:
            # the counter row's lock serialises writers of one community: numbers stay gapless
            row = await db.fetchone(
                "INSERT INTO community_counters VALUES (?, 2) ON CONFLICT (community_id) "
                "DO UPDATE SET next_case = community_counters.next_case + 1 "
                "RETURNING next_case - 1 AS number", new.community_id)
            number = row["number"]
            span = new.span or (None, None)
            row = await db.fetchone(
                "INSERT INTO cases (community_id, number, platform, member_id, channel_id, "
                "message_id, rule_ids, clauses, span_start, span_end, excerpt, confidence, "
                "action, until, actor, reason, status, points, language, created_at, updated_at, "
                "features, prior) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "RETURNING *",
                new.community_id, number, new.platform, new.member_id, new.channel_id,
                new.message_id, json.dumps(list(new.rule_ids)), json.dumps(list(new.clauses)),
                span[0], span[1], new.excerpt, new.confidence, new.action, new.until, new.actor,
                new.reason, new.status, float(new.points), new.language, new.now, new.now,
                _trace_json(new.trace), new.trace.prior if new.trace else None)
            case_id = row["id"]
            if new.points and new.status == "active":
                await db.execute("INSERT INTO points (community_id, member_id, case_id, points, at) "
                                 "VALUES (?, ?, ?, ?, ?)", new.community_id, new.member_id,
                                 case_id, float(new.points), new.now)
            ids = await self._track(db, case_id, new.action_kinds, new.now)
            for kind, due in new.schedule:
                await db.execute("INSERT INTO scheduled (community_id, kind, case_id, due_at, state) "
                                 "VALUES (?, ?, ?, ?, 'pending')", new.community_id, kind, case_id,
                                 due)
            detail = {"number": number, "action": new.action, "rules": list(new.rule_ids),
                      "status": new.status, "points": new.points, **new.audit_detail}
            await self._add_audit(db, new.community_id, case_id, new.actor, "case_created",
                                  detail, new.now)
        return _case(row), ids

    @staticmethod
    async def _outcomes(db: Conn, case_id: int) -> tuple:
        rows = await db.fetchall("SELECT kind, state, reason FROM case_actions WHERE case_id = ? "
                                 "ORDER BY id", case_id)
        return tuple((r["kind"], r["state"], r["reason"]) for r in rows)

    async def get_case(self, community: str, number: int) -> Case | None:
        if not _storable(number):
            return None  # a forged button or command: no such case, not an overflow
        async with self.d.read() as db:
            row = await db.fetchone("SELECT * FROM cases WHERE community_id = ? AND number = ?",
                                    community, number)
            return _case(row, await self._outcomes(db, row["id"])) if row else None

    async def get_case_by_id(self, case_id: int) -> Case | None:
        if not _storable(case_id):
            return None
        async with self.d.read() as db:
            row = await db.fetchone("SELECT * FROM cases WHERE id = ?", case_id)
            return _case(row, await self._outcomes(db, case_id)) if row else None

    async def case_for_message(self, community: str, platform: str,
                               message_id: str) -> Case | None:
        async with self.d.read() as db:
            row = await db.fetchone(
                "SELECT * FROM cases WHERE community_id = ? AND platform = ? AND message_id = ? "
                "AND actor = 'auto' ORDER BY id LIMIT 1", community, platform, message_id)
        return _case(row) if row else None

    async def pending_actions(self, older_than: float) -> list[tuple[int, int, str]]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT id, case_id, kind FROM case_actions "
                                     "WHERE state = 'pending' AND updated_at < ? ORDER BY id",
                                     older_than)
        return [(r["id"], r["case_id"], r["kind"]) for r in rows]

    async def list_cases(self, community: str | None = None, member: str | None = None,
                         rule: str | None = None, status: str | None = None,
                         limit: int = 50) -> list[Case]:
        where, args = [], []
        for column, value in (("community_id", community), ("member_id", member),
                              ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if rule is not None:
            where.append(self.d.json_has("cases.rule_ids"))
            args.append(rule)
        sql = "SELECT * FROM cases" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY community_id, number DESC LIMIT ?"
        async with self.d.read() as db:
            rows = await db.fetchall(sql, *args, limit)
        return [_case(r) for r in rows]

    async def search_cases(self, community: str, query: CaseQuery) -> tuple[list[Case], int]:
        where, args = ["community_id = ?"], [community]
        for column, op, value in (("member_id", "=", query.member), ("actor", "=", query.actor),
                                  ("status", "=", query.status),
                                  ("created_at", ">=", query.since),
                                  ("created_at", "<", query.until)):
            if value is not None:
                where.append(f"{column} {op} ?")
                args.append(value)
        if query.rules is not None:
            if not query.rules:
                return [], 0
            where.append("(" + " OR ".join([self.d.json_has("cases.rule_ids")] * len(query.rules))
                         + ")")
            args += list(query.rules)
        if query.text:
            escaped = re.sub(r"([\\%_])", r"\\\1", query.text.lower())
            where.append("LOWER(excerpt) LIKE ? ESCAPE '\\'")
            args.append(f"%{escaped}%")
        condition = " AND ".join(where)
        async with self.d.read() as db:
            total = await db.fetchone(f"SELECT COUNT(*) AS n FROM cases WHERE {condition}", *args)
            rows = await db.fetchall(f"SELECT * FROM cases WHERE {condition} "
                                     "ORDER BY number DESC LIMIT ? OFFSET ?",
                                     *args, query.limit, query.offset)
        return [_case(r) for r in rows], int(total["n"])

    async def activity(self, community: str, since: float) -> dict:
        async with self.d.read() as db:
            cases = await db.fetchall("SELECT created_at, rule_ids, status FROM cases "
                                      "WHERE community_id = ? AND created_at >= ?",
                                      community, since)
            reviews = await db.fetchall("SELECT created_at, status FROM review_queue "
                                        "WHERE community_id = ? AND created_at >= ?",
                                        community, since)
            appeals = await db.fetchall(
                "SELECT a.created_at, a.status FROM appeals a JOIN cases c ON c.id = a.case_id "
                "WHERE c.community_id = ? AND a.created_at >= ?", community, since)
        return {"cases": [(r["created_at"], tuple(json.loads(r["rule_ids"])), r["status"])
                          for r in cases],
                "reviews": [(r["created_at"], r["status"]) for r in reviews],
                "appeals": [(r["created_at"], r["status"]) for r in appeals]}

    async def communities(self) -> list[str]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT community_id FROM community_settings UNION "
                                     "SELECT DISTINCT community_id FROM cases")
        return sorted(r["community_id"] for r in rows)

    async def change_case(self, case_id: int, actor: str, audit_action: str, now: float, *,
                          status: str | None = None, reason: str | None = None,
                          refund: bool = False, cancel_schedule: bool = False,
                          action_kinds: tuple[str, ...] = (), detail: dict | None = None
                          ) -> list[int]:
        async with self.d.tx() as db:
            row = await db.fetchone("SELECT community_id, status, reason FROM cases WHERE id = ?",
                                    case_id)
            sets, args = ["updated_at = ?"], [now]
            if status is not None:
                sets.append("status = ?")
                args.append(status)
            if reason is not None:
                sets.append("reason = ?")
                args.append(reason)
            await db.execute(f"UPDATE cases SET {', '.join(sets)} WHERE id = ?", *args, case_id)
            if refund:
                await db.execute("UPDATE points SET refunded = 1 WHERE case_id = ?", case_id)
            if cancel_schedule:
                await db.execute("UPDATE scheduled SET state = 'cancelled', done_at = ? "
                                 f"WHERE case_id = ? AND state = 'pending' AND {_MUTE_SCHEDULES}",
                                 now, case_id)
            ids = await self._track(db, case_id, action_kinds, now)
            full = {"old_status": row["status"], **({"status": status} if status else {}),
                    **({"old_reason": row["reason"], "reason": reason} if reason is not None else {}),
                    **({"refunded": True} if refund else {}), **(detail or {})}
            await self._add_audit(db, row["community_id"], case_id, actor, audit_action, full, now)
        return ids

    async def set_action_state(self, action_id: int, state: str, reason: str, now: float
                               ) -> tuple[int, str] | None:
        # one statement, atomic on its own: the database writes the audit entry (migration 4)
        async with self.d.statement() as db:
            row = await db.fetchone("UPDATE case_actions SET state = ?, reason = ?, updated_at = ? "
                                    "WHERE id = ? RETURNING case_id, kind",
                                    state, reason, now, action_id)
        return (row["case_id"], row["kind"]) if row else None

    async def member_points(self, community: str, member: str) -> list[tuple[float, float]]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT points, at FROM points WHERE community_id = ? "
                                     "AND member_id = ? AND refunded = 0 ORDER BY id",
                                     community, member)
        return [(r["points"], r["at"]) for r in rows]

    async def case_history(self, case_id: int) -> list[AuditEntry]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT * FROM audit WHERE case_id = ? ORDER BY id", case_id)
        return [_audit(r) for r in rows]

    # -- appeals ----------------------------------------------------------------------------

    async def create_appeal(self, case: Case, member: str, text: str, now: float,
                            remind_at: float) -> Appeal:
        async with self.d.tx() as db:
            appeal_id = await db.insert(
                "INSERT INTO appeals (case_id, member_id, text, status, created_at) "
                "VALUES (?, ?, ?, 'open', ?)", case.id, member, text, now)
            await db.execute("INSERT INTO scheduled (community_id, kind, case_id, due_at, state) "
                             "VALUES (?, 'appeal_reminder', ?, ?, 'pending')",
                             case.community_id, case.id, remind_at)
            await self._add_audit(db, case.community_id, case.id, member, "appeal_opened",
                                  {"appeal": appeal_id, "length": len(text)}, now)
            row = await db.fetchone(_APPEAL_SELECT + "WHERE a.id = ?", appeal_id)
        return _appeal(row)

    async def appeals_for_case(self, case_id: int) -> list[Appeal]:
        async with self.d.read() as db:
            rows = await db.fetchall(_APPEAL_SELECT + "WHERE a.case_id = ? ORDER BY a.id", case_id)
        return [_appeal(r) for r in rows]

    async def save_appeal_draft(self, platform: str, member: str, community: str,
                                number: int, expires_at: float) -> None:
        async with self.d.tx() as db:
            await db.execute(
                "INSERT INTO appeal_drafts VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, "
                "member_id) DO UPDATE SET community_id = excluded.community_id, "
                "case_number = excluded.case_number, expires_at = excluded.expires_at",
                platform, member, community, number, expires_at)

    async def appeal_draft(self, platform: str, member: str, now: float) -> tuple[str, int] | None:
        async with self.d.read() as db:
            row = await db.fetchone(
                "SELECT community_id, case_number FROM appeal_drafts WHERE platform = ? AND "
                "member_id = ? AND expires_at > ?", platform, member, now)
        return (row["community_id"], row["case_number"]) if row else None

    async def drop_appeal_draft(self, platform: str, member: str, now: float) -> None:
        """This member's draft, and every draft that has expired."""
        async with self.d.tx() as db:
            await db.execute("DELETE FROM appeal_drafts WHERE (platform = ? AND member_id = ?) "
                             "OR expires_at <= ?", platform, member, now)

    async def appeals_since(self, community: str, member: str, since: float) -> int:
        async with self.d.read() as db:
            row = await db.fetchone(
                "SELECT COUNT(*) AS n FROM appeals a JOIN cases c ON c.id = a.case_id "
                "WHERE c.community_id = ? AND a.member_id = ? AND a.created_at >= ?",
                community, member, since)
        return row["n"]

    async def open_appeals(self, community: str) -> list[Appeal]:
        async with self.d.read() as db:
            rows = await db.fetchall(_APPEAL_SELECT + "WHERE c.community_id = ? "
                                     "AND a.status = 'open' ORDER BY a.id", community)
        return [_appeal(r) for r in rows]

    async def decide_appeal(self, appeal_id: int, moderator: str, approve: bool, reason: str,
                            now: float, action_kinds: tuple[str, ...]) -> tuple[Appeal, list[int]]:
        status = "approved" if approve else "rejected"
        async with self.d.tx() as db:
            row = await db.fetchone(_APPEAL_SELECT + "WHERE a.id = ?", appeal_id)
            case_id = row["case_id"]
            await db.execute("UPDATE appeals SET status = ?, decided_by = ?, decision = ?, "
                             "decided_at = ? WHERE id = ? AND status = 'open'",
                             status, moderator, reason, now, appeal_id)
            await db.execute("UPDATE scheduled SET state = 'cancelled', done_at = ? WHERE "
                             "case_id = ? AND kind = 'appeal_reminder' AND state = 'pending'",
                             now, case_id)
            if approve:
                await db.execute("UPDATE cases SET status = 'overturned', updated_at = ? "
                                 "WHERE id = ?", now, case_id)
                await db.execute("UPDATE points SET refunded = 1 WHERE case_id = ?", case_id)
                await db.execute("UPDATE scheduled SET state = 'cancelled', done_at = ? "
                                 f"WHERE case_id = ? AND {_MUTE_SCHEDULES} AND state = 'pending'",
                                 now, case_id)
            ids = await self._track(db, case_id, action_kinds, now)
            await self._add_audit(db, row["community_id"], case_id, moderator, f"appeal_{status}",
                                  {"appeal": appeal_id, "reason": reason,
                                   **({"refunded": True} if approve else {})}, now)
            row = await db.fetchone(_APPEAL_SELECT + "WHERE a.id = ?", appeal_id)
        return _appeal(row), ids

    # -- review queue -----------------------------------------------------------------------

    async def add_review(self, item: ReviewItem) -> ReviewItem:
        async with self.d.tx() as db:
            item_id = await db.insert(
                "INSERT INTO review_queue (community_id, platform, member_id, channel_id, "
                "message_id, rule_ids, clauses, excerpt, confidence, severity, why, language, "
                "status, created_at, features, prior) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                item.community_id, item.platform, item.member_id, item.channel_id,
                item.message_id, json.dumps(list(item.rule_ids)), json.dumps(list(item.clauses)),
                item.excerpt, float(item.confidence), item.severity, item.why, item.language,
                item.status, item.created_at, _trace_json(item.trace),
                item.trace.prior if item.trace else None)
            await self._add_audit(db, item.community_id, None, "auto",
                                  "review_added" if item.status == "open" else "review_over_budget",
                                  {"review": item_id, "rules": list(item.rule_ids),
                                   "why": item.why}, item.created_at)
            row = await db.fetchone("SELECT * FROM review_queue WHERE id = ?", item_id)
        return _review(row)

    async def open_reviews(self, community: str) -> list[ReviewItem]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT * FROM review_queue WHERE community_id = ? "
                                     "AND status = 'open' ORDER BY id", community)
        return [_review(r) for r in rows]

    async def review_load(self, community: str, since: float, confidence: float
                          ) -> tuple[int, int]:
        """Since ``since``: review items posted, and candidates (posted or not) more confident
        than ``confidence``."""
        async with self.d.read() as db:
            row = await db.fetchone(
                "SELECT COALESCE(SUM(CASE WHEN status != 'over_budget' THEN 1 ELSE 0 END), 0) "
                "AS posted, COALESCE(SUM(CASE WHEN confidence > ? THEN 1 ELSE 0 END), 0) "
                "AS higher FROM review_queue WHERE community_id = ? AND created_at >= ?",
                float(confidence), community, since)
        return int(row["posted"]), int(row["higher"])

    async def get_review(self, item_id: int) -> ReviewItem | None:
        if not _storable(item_id):
            return None
        async with self.d.read() as db:
            row = await db.fetchone("SELECT * FROM review_queue WHERE id = ?", item_id)
        return _review(row) if row else None

    async def close_review(self, item_id: int, status: str, moderator: str, case_id: int | None,
                           now: float) -> bool:
        async with self.d.tx() as db:
            changed = await db.execute(
                "UPDATE review_queue SET status = ?, decided_by = ?, case_id = ?, decided_at = ? "
                "WHERE id = ? AND status = 'open'", status, moderator, case_id, now, item_id)
            if changed != 1:
                return False
            row = await db.fetchone("SELECT community_id FROM review_queue WHERE id = ?", item_id)
            await self._add_audit(db, row["community_id"], case_id, moderator, f"review_{status}",
                                  {"review": item_id}, now)
        return True

    # -- learning -----------------------------------------------------------------------------

    async def learn(self, community: str, member: str, source: str, label: int, trace: Trace,
                    now: float, update: Callable[[dict[int, float], Example], dict[int, float]],
                    case_id: int | None = None, review_id: int | None = None
                    ) -> tuple[dict[int, float], int]:
        async with self.d.tx() as db:
            await self.d.lock_row(db, "learned_weights", community)
            await db.execute(
                "INSERT INTO learned_examples (community_id, member_id, source, label, prior, "
                "bits, features, case_id, review_id, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", community, member, source, int(label),
                float(trace.prior), trace.bits, json.dumps(list(trace.buckets)), case_id,
                review_id, now)
            row = await db.fetchone("SELECT bits, weights, examples, version FROM learned_weights "
                                    "WHERE community_id = ?", community)
            weights = _weights(row) if row and row["bits"] == trace.bits else {}
            weights = update(weights, Example(trace.buckets, trace.prior, int(label)))
            version = (row["version"] + 1) if row else 1
            examples = (row["examples"] + 1) if row else 1
            await self._save_weights(db, community, trace.bits, weights, examples, version, now)
            await self._add_audit(db, community, case_id, "auto", "learned",
                                  {"source": source, "label": int(label),
                                   **({"review": review_id} if review_id else {})}, now)
        return weights, version

    async def _save_weights(self, db: Conn, community: str, bits: int, weights: dict[int, float],
                            examples: int, version: int, now: float) -> None:
        await db.execute(
            "INSERT INTO learned_weights VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (community_id) "
            "DO UPDATE SET bits = excluded.bits, weights = excluded.weights, "
            "examples = excluded.examples, version = excluded.version, "
            "updated_at = excluded.updated_at",
            community, bits, json.dumps({str(k): round(v, 6) for k, v in weights.items()}),
            examples, version, now)

    async def learned_weights(self, community: str) -> tuple[int, dict[int, float], int] | None:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT bits, weights, version FROM learned_weights "
                                    "WHERE community_id = ?", community)
        return (row["bits"], _weights(row), row["version"]) if row else None

    async def learned_version(self, community: str) -> int:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT version FROM learned_weights WHERE community_id = ?",
                                    community)
        return row["version"] if row else 0

    async def relearn(self, community: str, bits: int, now: float,
                      replay: Callable[[list[Example]], dict[int, float]]) -> dict[int, float]:
        async with self.d.tx() as db:
            await self.d.lock_row(db, "learned_weights", community)
            rows = await db.fetchall("SELECT label, prior, features FROM learned_examples "
                                     "WHERE community_id = ? AND bits = ? ORDER BY id",
                                     community, bits)
            weights = replay([Example(tuple(json.loads(r["features"])), r["prior"], r["label"])
                              for r in rows])
            row = await db.fetchone("SELECT version FROM learned_weights WHERE community_id = ?",
                                    community)
            await self._save_weights(db, community, bits, weights, len(rows),
                                     (row["version"] + 1) if row else 1, now)
        return weights

    async def learning_stats(self, community: str | None = None) -> dict:
        scope, args = ("WHERE community_id = ?", (community,)) if community else ("", ())
        out: dict = {}
        async with self.d.read() as db:
            rows = await db.fetchall(
                "SELECT community_id, source, label, COUNT(*) AS n, MIN(created_at) AS first "
                f"FROM learned_examples {scope} GROUP BY community_id, source, label "
                "ORDER BY community_id, source, label", *args)
            for r in rows:
                c = out.setdefault(r["community_id"], {"decisions": {}, "since": r["first"]})
                c["decisions"][f"{r['source']}:{r['label']}"] = r["n"]
                c["since"] = min(c["since"], r["first"])
            for cid, c in out.items():
                c["overturn_before"], c["overturn_after"] = await self._overturns(db, cid,
                                                                                  c["since"])
        return out

    @staticmethod
    async def _overturns(db: Conn, community: str, since: float) -> tuple[dict, dict]:
        """Automatic decisions moderators reversed, before and after learning began: dismissed
        review items and pardoned or overturned automatic cases, over all of them."""
        out = []
        for op in ("<", ">="):
            row = await db.fetchone(
                "SELECT (SELECT COUNT(*) FROM review_queue WHERE community_id = ? AND "
                f"created_at {op} ? AND status IN ('confirmed', 'dismissed')) AS reviewed, "
                "(SELECT COUNT(*) FROM review_queue WHERE community_id = ? AND "
                f"created_at {op} ? AND status = 'dismissed') AS dismissed, "
                "(SELECT COUNT(*) FROM cases WHERE community_id = ? AND actor = 'auto' AND "
                f"status != 'shadow' AND created_at {op} ?) AS cases, "
                "(SELECT COUNT(*) FROM cases WHERE community_id = ? AND actor = 'auto' AND "
                f"status IN ('pardoned', 'overturned') AND created_at {op} ?) AS reversed",
                community, since, community, since, community, since, community, since)
            decided = row["reviewed"] + row["cases"]
            wrong = row["dismissed"] + row["reversed"]
            out.append({"decisions": decided, "overturned": wrong,
                        "rate": round(wrong / decided, 4) if decided else None})
        return out[0], out[1]

    # -- timed actions ----------------------------------------------------------------------

    async def due(self, now: float, lease: float = 60.0) -> list[tuple[int, str, str, int]]:
        async with self.d.tx() as db:
            rows = await db.fetchall(
                "UPDATE scheduled SET claimed_until = ? WHERE id IN (SELECT id FROM scheduled "
                "WHERE state = 'pending' AND due_at <= ? "
                "AND (claimed_until IS NULL OR claimed_until < ?) "
                f"ORDER BY due_at, id LIMIT 500{self.d.skip_locked}) "
                "RETURNING id, community_id, kind, case_id, due_at", now + lease, now, now)
        rows = sorted(rows, key=lambda r: (r["due_at"], r["id"]))
        return [(r["id"], r["community_id"], r["kind"], r["case_id"]) for r in rows]

    async def schedule(self, community: str, case_id: int, kind: str, due_at: float) -> None:
        async with self.d.tx() as db:
            await db.execute("INSERT INTO scheduled (community_id, kind, case_id, due_at, state) "
                             "VALUES (?, ?, ?, ?, 'pending')", community, kind, case_id, due_at)

    async def finish_scheduled(self, scheduled_id: int, now: float) -> None:
        async with self.d.tx() as db:
            await db.execute("UPDATE scheduled SET state = 'done', done_at = ? "
                             "WHERE id = ? AND state = 'pending'", now, scheduled_id)

    async def next_due(self) -> float | None:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT MIN(due_at) AS due FROM scheduled "
                                    "WHERE state = 'pending'")
        return row["due"]

    # -- joins and raids ------------------------------------------------------------------

    async def record_join(self, community: str, platform: str, member: str, now: float) -> None:
        async with self.d.statement() as db:
            await db.execute(
                "INSERT INTO member_joins (community_id, member_id, platform, joined_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (community_id, member_id) "
                "DO UPDATE SET joined_at = excluded.joined_at, messages = 0",
                community, member, platform, now)

    async def block_members(self, community: str, members: list[tuple[str, str]], actor: str,
                            now: float) -> int:
        added = 0
        async with self.d.tx() as db:
            for member, reason in members:
                added += await db.execute(
                    "INSERT INTO blocked_members (community_id, member_id, reason, added_by, "
                    "added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (community_id, member_id) "
                    "DO NOTHING", community, member, reason, actor, now)
            await self._add_audit(db, community, None, actor, "blocklist_import",
                                  {"members": len(members), "added": added}, now)
        return added

    async def is_blocked(self, community: str, member: str) -> str | None:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT reason FROM blocked_members WHERE community_id = ? "
                                    "AND member_id = ?", community, member)
        return None if row is None else row["reason"]

    async def blocked_members(self, community: str) -> list[tuple[str, str, float]]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT member_id, reason, added_at FROM blocked_members "
                                     "WHERE community_id = ? ORDER BY added_at, member_id",
                                     community)
        return [(r["member_id"], r["reason"], r["added_at"]) for r in rows]

    async def is_verified(self, community: str, member: str) -> bool:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT verified_at FROM member_joins WHERE community_id = ? "
                                    "AND member_id = ?", community, member)
        return bool(row and row["verified_at"] is not None)

    async def set_challenge(self, community: str, member: str, challenge: str | None,
                            until: float | None, verified_at: float | None = None) -> None:
        async with self.d.statement() as db:
            if challenge is None:
                await db.execute(
                    "UPDATE member_joins SET challenge = NULL, challenge_until = NULL, "
                    "challenge_post = NULL, verified_at = COALESCE(?, verified_at) "
                    "WHERE community_id = ? AND member_id = ?", verified_at, community, member)
            else:
                await db.execute(
                    "UPDATE member_joins SET challenge = ?, challenge_until = ?, "
                    "challenge_post = NULL WHERE community_id = ? AND member_id = ?",
                    challenge, until, community, member)

    async def request_challenge(self, community: str, platform: str, member: str,
                                challenge: str, until: float) -> None:
        async with self.d.statement() as db:
            await db.execute(
                "INSERT INTO member_joins (community_id, member_id, platform, joined_at, "
                "challenge, challenge_until) VALUES (?, ?, ?, 0, ?, ?) "
                "ON CONFLICT (community_id, member_id) DO UPDATE SET "
                "challenge = excluded.challenge, challenge_until = excluded.challenge_until, "
                "challenge_post = NULL", community, member, platform, challenge, until)

    async def set_challenge_post(self, community: str, member: str, post: str,
                                 until: float) -> None:
        async with self.d.statement() as db:
            await db.execute("UPDATE member_joins SET challenge_post = ?, challenge_until = ? "
                             "WHERE community_id = ? AND member_id = ? AND challenge IS NOT NULL",
                             post, until, community, member)

    async def challenge_of(self, community: str, member: str
                           ) -> tuple[str, float, str] | None:
        async with self.d.read() as db:
            row = await db.fetchone(
                "SELECT challenge, challenge_until, challenge_post FROM member_joins "
                "WHERE community_id = ? AND member_id = ? AND challenge IS NOT NULL",
                community, member)
        return None if row is None else (row["challenge"], row["challenge_until"],
                                         row["challenge_post"] or "")

    async def expired_challenges(self, now: float) -> list[tuple[str, str]]:
        async with self.d.read() as db:
            rows = await db.fetchall(
                "SELECT community_id, member_id FROM member_joins WHERE challenge IS NOT NULL "
                "AND challenge_until <= ? ORDER BY challenge_until LIMIT 500", now)
        return [(r["community_id"], r["member_id"]) for r in rows]

    async def next_challenge_end(self) -> float | None:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT MIN(challenge_until) AS due FROM member_joins "
                                    "WHERE challenge IS NOT NULL")
        return row["due"]

    async def newcomers(self, community: str, since: float) -> list[tuple[str, float, int]]:
        async with self.d.read() as db:
            rows = await db.fetchall(
                "SELECT member_id, joined_at, messages FROM member_joins WHERE community_id = ? "
                "AND joined_at >= ? AND joined_at > 0", community, since)
        return [(r["member_id"], r["joined_at"], r["messages"]) for r in rows]

    async def count_message(self, community: str, member: str) -> None:
        async with self.d.statement() as db:
            await db.execute("UPDATE member_joins SET messages = messages + 1 "
                             "WHERE community_id = ? AND member_id = ?", community, member)

    async def joins_since(self, community: str, since: float) -> list[tuple[str, float]]:
        async with self.d.read() as db:
            rows = await db.fetchall(
                "SELECT member_id, joined_at FROM member_joins WHERE community_id = ? "
                "AND joined_at >= ? AND joined_at > 0 ORDER BY joined_at, member_id",
                community, since)  # (0: asked to join, not in)
        return [(r["member_id"], r["joined_at"]) for r in rows]

    async def hold_members(self, community: str, members: list[str], raid_id: int | None
                           ) -> None:
        async with self.d.tx() as db:
            for member in members:
                await db.execute("UPDATE member_joins SET held_by = ? WHERE community_id = ? "
                                 "AND member_id = ?", raid_id, community, member)

    async def held_members(self, community: str, raid_id: int) -> list[str]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT member_id FROM member_joins WHERE community_id = ? "
                                     "AND held_by = ? ORDER BY joined_at", community, raid_id)
        return [r["member_id"] for r in rows]

    async def sanctioned_members(self, community: str, now: float) -> set[str]:
        async with self.d.read() as db:
            rows = await db.fetchall(
                "SELECT DISTINCT member_id FROM cases WHERE community_id = ? "
                "AND status = 'active' AND (action = 'ban' OR (action = 'mute' AND until > ?))",
                community, now)
        return {r["member_id"] for r in rows}

    async def open_raids(self) -> list[Raid]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT * FROM raids WHERE ended_at IS NULL ORDER BY id")
        return [_raid(r) for r in rows]

    async def get_raid(self, raid_id: int) -> Raid | None:
        async with self.d.read() as db:
            row = await db.fetchone("SELECT * FROM raids WHERE id = ?", raid_id)
        return _raid(row) if row else None

    async def start_raid(self, community: str, platform: str, action: str, since: float,
                         actor: str, joins: int, now: float) -> Raid | None:
        async with self.d.tx() as db:
            await self.d.lock_row(db, "raids", community)
            if await db.fetchone("SELECT id FROM raids WHERE community_id = ? AND ended_at IS NULL",
                                 community):
                return None
            raid_id = await db.insert(
                "INSERT INTO raids (community_id, platform, action, since, started_at, started_by,"
                " last_activity, joins) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                community, platform, action, since, now, actor, now, joins)
            await self._add_audit(db, community, None, actor, "raid_started",
                                  {"raid": raid_id, "action": action, "since": since,
                                   "joins": joins}, now)
            row = await db.fetchone("SELECT * FROM raids WHERE id = ?", raid_id)
        return _raid(row)

    async def update_raid(self, raid_id: int, *, last_activity: float | None = None,
                          hold_until: float | None = None, joins: int | None = None,
                          changes: dict | None = None) -> None:
        sets = {"last_activity": last_activity, "hold_until": hold_until, "joins": joins,
                "changes": None if changes is None else json.dumps(changes, ensure_ascii=False)}
        sets = {k: v for k, v in sets.items() if v is not None}
        if not sets:
            return
        async with self.d.statement() as db:
            await db.execute(f"UPDATE raids SET {', '.join(f'{k} = ?' for k in sets)} "
                             "WHERE id = ?", *sets.values(), raid_id)

    async def end_raid(self, raid_id: int, actor: str, now: float) -> Raid | None:
        async with self.d.tx() as db:
            changed = await db.execute("UPDATE raids SET ended_at = ?, ended_by = ? "
                                       "WHERE id = ? AND ended_at IS NULL", now, actor, raid_id)
            if not changed:
                return None
            row = await db.fetchone("SELECT * FROM raids WHERE id = ?", raid_id)
            await self._add_audit(db, row["community_id"], None, actor, "raid_ended",
                                  {"raid": raid_id, "joins": row["joins"],
                                   "since": row["since"]}, now)
        return _raid(row)

    # -- privacy ----------------------------------------------------------------------------

    async def audit(self, community: str, actor: str, action: str, detail: dict,
                    now: float) -> None:
        async with self.d.tx() as db:
            await self._add_audit(db, community, None, actor, action, detail, now)

    async def member_data(self, community: str, member: str) -> dict:
        async with self.d.read() as db:
            async def rows(sql: str, *args: Any) -> list[dict]:
                return [dict(r) for r in await db.fetchall(sql, *args)]

            return {
                "community": community, "member": member,
                "cases": await rows("SELECT * FROM cases WHERE community_id = ? AND member_id = ? "
                                    "ORDER BY number", community, member),
                "appeals": await rows("SELECT a.* FROM appeals a JOIN cases c ON c.id = a.case_id "
                                      "WHERE c.community_id = ? AND a.member_id = ? ORDER BY a.id",
                                      community, member),
                "review_items": await rows("SELECT * FROM review_queue WHERE community_id = ? "
                                           "AND member_id = ? ORDER BY id", community, member),
                "points": await rows("SELECT * FROM points WHERE community_id = ? AND member_id = ? "
                                     "ORDER BY id", community, member),
                "audit": await rows("SELECT * FROM audit WHERE community_id = ? AND actor = ? "
                                    "ORDER BY id", community, member),
                "learned_examples": await rows(
                    "SELECT id, source, label, created_at FROM learned_examples "
                    "WHERE community_id = ? AND member_id = ? ORDER BY id", community, member),
                "joins": await rows("SELECT * FROM member_joins WHERE community_id = ? "
                                    "AND member_id = ?", community, member),
                "blocked": await rows("SELECT * FROM blocked_members WHERE community_id = ? "
                                      "AND member_id = ?", community, member),
            }

    async def forget_member(self, community: str, member: str, pseudonym: str, actor: str,
                            now: float) -> dict:
        async with self.d.tx() as db:
            # first: an example points at the review item or case it was learned from
            learned = await db.execute(
                "DELETE FROM learned_examples WHERE community_id = ? AND member_id = ?",
                community, member)
            counts = {
                "appeals": await db.execute(
                    "UPDATE appeals SET member_id = ?, text = '' WHERE member_id = ? AND case_id IN "
                    "(SELECT id FROM cases WHERE community_id = ?)", pseudonym, member, community),
                "review_items": await db.execute(
                    "DELETE FROM review_queue WHERE community_id = ? AND member_id = ?",
                    community, member),
                "points": await db.execute(
                    "DELETE FROM points WHERE community_id = ? AND member_id = ?", community, member),
                "cases": await db.execute(
                    "UPDATE cases SET member_id = ?, excerpt = '', span_start = NULL, "
                    "span_end = NULL, excerpt_purged_at = ?, features = NULL, prior = NULL "
                    "WHERE community_id = ? AND member_id = ?",
                    pseudonym, now, community, member),
                "learned_examples": learned,
                "appeal_drafts": await db.execute(
                    "DELETE FROM appeal_drafts WHERE community_id = ? AND member_id = ?",
                    community, member),
                "joins": await db.execute(
                    "DELETE FROM member_joins WHERE community_id = ? AND member_id = ?",
                    community, member),
                "blocked": await db.execute(
                    "DELETE FROM blocked_members WHERE community_id = ? AND member_id = ?",
                    community, member),
            }
            # The audit log refuses edits; the law's right to erasure is the one exception, done
            # here with the guard lifted inside this transaction only.
            await self.d.lift_audit_guard(db)
            counts["audit"] = await db.execute(
                "UPDATE audit SET actor = ? WHERE community_id = ? AND actor = ?",
                pseudonym, community, member)
            await self.d.restore_audit_guard(db)
            await db.execute("INSERT INTO forgotten VALUES (?, ?, ?)", community, pseudonym, now)
            await self._add_audit(db, community, None, actor, "member_forgotten",
                                  {"member": pseudonym, **counts}, now)
        return counts

    async def purge_excerpts(self, before: float, now: float) -> int:
        async with self.d.tx() as db:
            purged = await db.execute(
                "UPDATE cases SET excerpt = '', excerpt_purged_at = ? "
                "WHERE created_at < ? AND excerpt_purged_at IS NULL AND excerpt != ''", now, before)
            await db.execute("UPDATE review_queue SET excerpt = '' WHERE created_at < ? "
                             "AND status != 'open'", before)
            # when a member joined matters for their first day and a raid, not for months
            await db.execute("DELETE FROM member_joins WHERE joined_at < ? AND held_by IS NULL "
                             "AND verified_at IS NULL AND challenge IS NULL", before)
        return purged

    # -- audit, stats -----------------------------------------------------------------------

    async def audit_log(self, community: str) -> list[AuditEntry]:
        async with self.d.read() as db:
            rows = await db.fetchall("SELECT * FROM audit WHERE community_id = ? ORDER BY id",
                                     community)
        return [_audit(r) for r in rows]

    async def stats(self, community: str | None = None) -> dict:
        scope, args = ("WHERE cases.community_id = ?", (community,)) if community else ("", ())
        out: dict = {}
        async with self.d.read() as db:
            for column in ("action", "platform", "status"):
                rows = await db.fetchall(
                    f"SELECT {column} AS k, COUNT(*) AS n FROM cases {scope} GROUP BY {column} "
                    f"ORDER BY COUNT(*) DESC, {column}", *args)
                out[f"by_{column}"] = {r["k"]: r["n"] for r in rows}
            rows = await db.fetchall(
                "SELECT j.value AS rule, COUNT(*) AS cases, "
                "SUM(CASE WHEN EXISTS (SELECT 1 FROM appeals a WHERE a.case_id = cases.id) "
                "THEN 1 ELSE 0 END) AS appealed, "
                "SUM(CASE WHEN cases.status = 'overturned' THEN 1 ELSE 0 END) AS overturned "
                f"FROM cases, {self.d.json_items('cases.rule_ids')} {scope} "
                "GROUP BY j.value ORDER BY COUNT(*) DESC, j.value", *args)
            out["by_rule"] = {
                r["rule"]: {"cases": r["cases"], "appealed": r["appealed"],
                            "overturned": r["overturned"],
                            "overturn_rate": round(r["overturned"] / r["cases"], 4)}
                for r in rows
            }
            rscope = "WHERE community_id = ?" if community else ""
            rows = await db.fetchall(
                f"SELECT status AS k, COUNT(*) AS n FROM review_queue {rscope} GROUP BY status "
                "ORDER BY COUNT(*) DESC, status", *args)
            # 'over_budget': held hits the hourly review budget left unposted (shadow cases)
            out["review_by_status"] = {r["k"]: r["n"] for r in rows}
        return out
