"""Operational figures read from the database, for `/metrics`.

Everything here is a gauge of the shared state (the job queue, escalations, due work, outbound
WhatsApp in the last 24 hours), so any web process answers for the whole deployment: with
several processes or machines, each scrape sees the same numbers. Each query is bounded by an
index or by a table that stays small (procrastinate keeps only unfinished and failed jobs; open
escalations; open next actions), so a scrape every few seconds costs little. No personal data:
counts and ages only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from memory.store import Memory


@dataclass
class OperationalStats:
    jobs: dict[tuple[str, str], int] = field(default_factory=dict)  # (task, status) → count
    oldest_job_wait_seconds: float = 0.0  # the oldest job ready to run and not yet taken
    live_workers: int = 0
    escalations: dict[str, int] = field(default_factory=dict)  # open / assigned → count
    oldest_open_escalation_seconds: float = 0.0
    overdue_next_actions: int = 0
    whatsapp_outbound_24h: dict[str, int] = field(default_factory=dict)  # delivery status
    customers: int = 0
    opted_out_customers: int = 0


async def operational_stats(memory: Memory, *, heartbeat_seconds: float = 30) -> OperationalStats:
    stats = OperationalStats()
    async with memory.pool.connection() as conn:
        for group in await (
            await conn.execute(
                "SELECT task_name, status::text AS status, count(*) AS n "
                "FROM procrastinate_jobs GROUP BY 1, 2"
            )
        ).fetchall():
            stats.jobs[(group["task_name"], group["status"])] = int(group["n"])
        row = await (
            await conn.execute(
                """SELECT coalesce(extract(epoch FROM now() - min(
                          greatest(e.at, coalesce(j.scheduled_at, e.at)))), 0) AS wait
                   FROM procrastinate_jobs j
                   JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred'
                   WHERE j.status = 'todo'
                     AND (j.scheduled_at IS NULL OR j.scheduled_at <= now())"""
            )
        ).fetchone()
        stats.oldest_job_wait_seconds = max(0.0, float(row["wait"])) if row else 0.0
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM procrastinate_workers "
                "WHERE last_heartbeat > now() - make_interval(secs => %s)",
                (heartbeat_seconds,),
            )
        ).fetchone()
        stats.live_workers = int(row["n"]) if row else 0
        for group in await (
            await conn.execute(
                """SELECT status, count(*) AS n,
                          coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age
                   FROM escalations WHERE status <> 'resolved' GROUP BY status"""
            )
        ).fetchall():
            stats.escalations[group["status"]] = int(group["n"])
            if group["status"] == "open":
                stats.oldest_open_escalation_seconds = float(group["age"])
        row = await (
            await conn.execute(
                "SELECT count(*) AS n FROM next_actions WHERE status = 'open' AND due_at < now()"
            )
        ).fetchone()
        stats.overdue_next_actions = int(row["n"]) if row else 0
        # A range of one day on the partial index of migration 0006, not a scan of all messages.
        for group in await (
            await conn.execute(
                """SELECT coalesce(m.delivery_status, 'unknown') AS status, count(*) AS n
                   FROM messages m
                   WHERE m.channel = 'whatsapp' AND m.direction = 'outbound'
                     AND m.created_at > now() - interval '24 hours'
                   GROUP BY 1"""
            )
        ).fetchall():
            stats.whatsapp_outbound_24h[group["status"]] = int(group["n"])
        row = await (
            await conn.execute(
                "SELECT count(*) AS n, count(*) FILTER (WHERE opted_out) AS out FROM customers"
            )
        ).fetchone()
        if row:
            stats.customers, stats.opted_out_customers = int(row["n"]), int(row["out"])
    return stats
