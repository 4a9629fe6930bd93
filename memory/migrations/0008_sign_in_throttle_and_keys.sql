-- Sign-in throttling: one counter per key (an email, a client address) and window, taken
-- atomically (INSERT … ON CONFLICT DO UPDATE … RETURNING) before a password is checked, so
-- parallel guesses cannot all be checked. It replaces login_failures (one row per failure,
-- counted before and recorded after the check: 30 parallel guesses were all checked).
DROP TABLE IF EXISTS login_failures;
CREATE TABLE sign_in_attempts (
    key          text PRIMARY KEY,
    window_start timestamptz NOT NULL DEFAULT now(),
    attempts     integer NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_attempts_window_idx ON sign_in_attempts (window_start);

-- Keys the server signs its own values with (the sign-in form's CSRF token): created once by
-- whichever process needs one first, shared by every process on the database.
CREATE TABLE signing_keys (
    name       text PRIMARY KEY,
    key        bytea NOT NULL CHECK (length(key) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
