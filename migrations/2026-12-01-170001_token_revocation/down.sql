DROP INDEX api_tokens_created_by_idx;
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_revoked_reason_check;
ALTER TABLE api_tokens DROP COLUMN revoked_reason;
ALTER TABLE users DROP COLUMN token_version;
