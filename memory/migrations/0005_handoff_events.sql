-- Handoff to humans: live events for the operators' dashboard, and human replies sent once.
--
-- Every new message and every escalation change is announced on the `hilo_events` channel
-- (LISTEN/NOTIFY), whoever wrote it: the web process, any worker, on any machine. The payload
-- is small (ids and states, never message text): dashboards fetch what they show.
CREATE OR REPLACE FUNCTION hilo_notify_event() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'messages' THEN
        PERFORM pg_notify('hilo_events', json_build_object(
            'type', CASE WHEN TG_OP = 'INSERT' THEN 'message' ELSE 'delivery' END,
            'customer_id', NEW.customer_id, 'message_id', NEW.id, 'role', NEW.role,
            'channel', NEW.channel, 'status', NEW.delivery_status)::text);
    ELSE
        PERFORM pg_notify('hilo_events', json_build_object(
            'type', 'escalation', 'customer_id', NEW.customer_id, 'escalation_id', NEW.id,
            'status', NEW.status, 'priority', NEW.priority)::text);
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER messages_notify AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION hilo_notify_event();
CREATE TRIGGER messages_delivery_notify AFTER UPDATE OF delivery_status ON messages
    FOR EACH ROW WHEN (OLD.delivery_status IS DISTINCT FROM NEW.delivery_status)
    EXECUTE FUNCTION hilo_notify_event();
CREATE TRIGGER escalations_notify AFTER INSERT OR UPDATE OF status, assignee, priority ON escalations
    FOR EACH ROW EXECUTE FUNCTION hilo_notify_event();

-- An operator's reply carries the id of the form (or API request) that sent it: the same
-- submission twice (a double click, a retried request) stores and sends one message.
CREATE UNIQUE INDEX messages_request_id_idx ON messages (customer_id, (meta->>'request_id'))
    WHERE meta ? 'request_id';
