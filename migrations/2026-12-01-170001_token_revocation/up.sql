-- Access tokens (JWTs) carry their user's token version (claim `ver`); sign-out, a password change,
-- removal and a reused refresh token raise it, which ends every access token issued before.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;

-- Why an API token ended: `revoked` by an organization admin, or `creator_removed` with the
-- membership of the user who created it.
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT;
UPDATE api_tokens SET revoked_reason = 'revoked' WHERE revoked_at IS NOT NULL;
-- Tokens whose creator was removed before this release end now (use already refused them).
UPDATE api_tokens t SET revoked_at = now(), revoked_reason = 'creator_removed'
  FROM users u
 WHERE u.id = t.created_by AND NOT u.active AND t.revoked_at IS NULL;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_revoked_reason_check
  CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL)
         AND revoked_reason IN ('revoked', 'creator_removed'));
CREATE INDEX api_tokens_created_by_idx ON api_tokens (created_by) WHERE revoked_at IS NULL;
