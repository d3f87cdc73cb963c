-- The agents' open dashboards: what each says of its phone, until it
-- expires unless renewed (models.Presence). A handful of rows, one per
-- open page; the index serves the team count and the sweep of expired
-- pages, and covers the count so that it reads no table row.
CREATE TABLE presence (
	stream     TEXT PRIMARY KEY,
	agent_id   TEXT NOT NULL,
	ready      INTEGER NOT NULL CHECK (ready IN (0, 1)),
	away       INTEGER NOT NULL CHECK (away IN (0, 1)),
	on_call    INTEGER NOT NULL CHECK (on_call IN (0, 1)),
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX presence_expiry ON presence (expires_at, agent_id, ready, away, on_call);
