"""Durable jobs on PostgreSQL (procrastinate): agent turns, WhatsApp sends, call ingest."""
