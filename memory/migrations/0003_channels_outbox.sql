-- Channels: the outbox sweep finds outbound WhatsApp messages stored but never sent
-- (delivery_status 'pending') without scanning every message. The job queue's own tables
-- (procrastinate) are applied at start-up by server.jobs.app.ensure_job_schema, under the
-- same advisory lock as these migrations.
CREATE INDEX IF NOT EXISTS messages_unsent_outbound_idx ON messages (created_at)
    WHERE delivery_status = 'pending' AND direction = 'outbound';
