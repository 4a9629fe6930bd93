-- Voice replies (HILO_VOICE_REPLIES): the synthesised audio of a reply to a voice note, served
-- once to Twilio at an unguessable URL until it expires (memory/voice_replies.py).
CREATE TABLE IF NOT EXISTS voice_replies (
    token        text PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    audio        bytea NOT NULL,
    content_type text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    fetched_at   timestamptz
);
CREATE INDEX IF NOT EXISTS voice_replies_expires_idx ON voice_replies (expires_at);
