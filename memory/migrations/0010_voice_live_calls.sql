-- Live calls (Hilo as the ElevenLabs agent's Custom LLM): a call's turns are stored while it
-- goes on, on an interaction found by the call's reference (the `hilo_call` token's: Twilio's
-- call SID, or one Hilo made when it placed the call). The post-call webhook then completes
-- that same interaction (its conversation id, analysis) instead of storing the call again.
ALTER TABLE interactions ADD COLUMN call_ref text;
CREATE UNIQUE INDEX interactions_call_ref_idx ON interactions (call_ref) WHERE call_ref IS NOT NULL;
