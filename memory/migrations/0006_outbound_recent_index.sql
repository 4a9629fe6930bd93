-- /metrics counts outbound WhatsApp of the last 24 hours by delivery state: this index keeps
-- that a range read of one day instead of a scan of every message ever stored.
CREATE INDEX IF NOT EXISTS messages_whatsapp_outbound_time_idx ON messages (created_at)
    WHERE channel = 'whatsapp' AND direction = 'outbound';
