-- Roles, and the one-time links that invite an agent or reset a password.

ALTER TABLE agents ADD COLUMN role TEXT NOT NULL DEFAULT 'agent' CHECK (role IN ('admin', 'agent'));
-- Serves "is there another active admin?", which every demotion and
-- disabling asks.
CREATE INDEX agents_role ON agents (role, disabled);

-- Someone must be able to manage the team: the earliest-created active
-- agent becomes admin when there is none (the stores keep it so after).
UPDATE agents SET role = 'admin'
	WHERE NOT EXISTS (SELECT 1 FROM agents WHERE role = 'admin' AND disabled = 0)
	AND id = (SELECT id FROM agents WHERE disabled = 0 ORDER BY created_at, id LIMIT 1);

-- Only the token's hash is kept. subject is 'invite:' and the email, or
-- 'reset:' and the agent's id: a new link replaces the unused one for the
-- same person. A row is deleted when its link is used.
CREATE TABLE invites (
	subject    TEXT PRIMARY KEY,
	token_hash TEXT NOT NULL UNIQUE,
	kind       TEXT NOT NULL CHECK (kind IN ('invite', 'reset')),
	email      TEXT NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
	agent_id   TEXT REFERENCES agents (id) ON DELETE CASCADE,
	created_by TEXT,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX invites_agent ON invites (agent_id);
CREATE INDEX invites_expiry ON invites (expires_at);
