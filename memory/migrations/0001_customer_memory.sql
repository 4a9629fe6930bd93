-- Customer memory: one thread per customer across calls, WhatsApp and human operators.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE customers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone           text NOT NULL UNIQUE CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    name            text,
    language        text NOT NULL DEFAULT 'es',
    profile         jsonb NOT NULL DEFAULT '{}'::jsonb,
    opted_out       boolean NOT NULL DEFAULT false,
    opted_out_at    timestamptz,
    wa_id           text,
    last_inbound_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_name_idx ON customers (lower(name));

CREATE TABLE interactions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    channel      text NOT NULL CHECK (channel IN ('call', 'whatsapp', 'human', 'console')),
    platform     text NOT NULL,
    external_id  text,
    direction    text CHECK (direction IN ('inbound', 'outbound')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    duration_secs integer,
    summary      text,
    intent       text,
    sentiment    text,
    status       text NOT NULL DEFAULT 'open',
    analysis     jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (platform, external_id)
);
CREATE INDEX interactions_customer_idx ON interactions (customer_id, started_at DESC);

CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    interaction_id  bigint NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
    channel         text NOT NULL,
    seq             integer NOT NULL DEFAULT 0,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    role            text NOT NULL CHECK (role IN ('customer', 'agent', 'human', 'system')),
    text            text NOT NULL DEFAULT '',
    media           jsonb NOT NULL DEFAULT '[]'::jsonb,
    external_id     text UNIQUE,
    delivery_status text,
    error_code      text,
    error_message   text,
    meta            jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_customer_time_idx ON messages (customer_id, created_at, id);
CREATE INDEX messages_interaction_idx ON messages (interaction_id, seq);

-- Searchable memory. The embedding column has no fixed dimension: each row records its model,
-- and each model gets a partial HNSW expression index of its own dimension (created by
-- memory.embeddings at start-up), so changing model is `hilo db reindex`, not a schema change.
CREATE TABLE memory_chunks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id     bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    interaction_id  bigint NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
    channel         text NOT NULL,
    first_message_id bigint,
    last_message_id  bigint,
    first_seq       integer NOT NULL DEFAULT 0,
    last_seq        integer NOT NULL DEFAULT 0,
    text            text NOT NULL,
    embedding       vector,
    embedding_model text NOT NULL,
    tsv             tsvector NOT NULL,
    token_count     integer NOT NULL,
    occurred_at     timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_chunks_customer_idx ON memory_chunks (customer_id, embedding_model);
CREATE INDEX memory_chunks_tsv_idx ON memory_chunks USING gin (tsv);

CREATE TABLE insights (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    interaction_id bigint REFERENCES interactions (id) ON DELETE SET NULL,
    kind           text NOT NULL CHECK (kind IN ('topic', 'pending_question', 'next_step', 'objection')),
    text           text NOT NULL,
    resolved       boolean NOT NULL DEFAULT false,
    resolved_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insights_customer_idx ON insights (customer_id, kind, resolved);

CREATE TABLE next_actions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    type           text NOT NULL DEFAULT 'follow_up',
    description    text NOT NULL,
    priority       text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    due_at         timestamptz,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'cancelled', 'failed')),
    created_by     text NOT NULL DEFAULT 'system',
    source_interaction_id bigint REFERENCES interactions (id) ON DELETE SET NULL,
    meta           jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    completed_at   timestamptz
);
CREATE INDEX next_actions_customer_idx ON next_actions (customer_id, status);
CREATE INDEX next_actions_due_idx ON next_actions (due_at) WHERE status = 'open';

CREATE TABLE escalations (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id   bigint NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    reason        text NOT NULL,
    priority      text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assigned', 'resolved')),
    assignee      text,
    opened_by     text NOT NULL DEFAULT 'agent',
    resolution    text,
    alert_count   integer NOT NULL DEFAULT 0,
    last_alert_at timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    assigned_at   timestamptz,
    resolved_at   timestamptz
);
-- One open escalation per customer at a time.
CREATE UNIQUE INDEX escalations_one_open_idx ON escalations (customer_id) WHERE status <> 'resolved';

CREATE TABLE webhook_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text NOT NULL,
    event_type   text NOT NULL,
    event_key    text NOT NULL,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    status       text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'processing', 'done', 'failed', 'ignored')),
    attempts     integer NOT NULL DEFAULT 0,
    error        text,
    processed_at timestamptz,
    UNIQUE (source, event_key)
);
CREATE INDEX webhook_events_status_idx ON webhook_events (status, received_at);
