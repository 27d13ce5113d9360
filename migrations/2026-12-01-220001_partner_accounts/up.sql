-- Issue 22: partner accounts (marketplaces and other machine clients). A sysadmin creates them; they
-- belong to no organization and have no jurisdiction, and they act through API tokens of their own.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('org_admin', 'org_member', 'regulator', 'sysadmin', 'partner'));

-- An API token belongs to an organization (created by one of its admins) or to a partner (its
-- creator): the organization is empty exactly for partner tokens.
ALTER TABLE api_tokens ALTER COLUMN organization_id DROP NOT NULL;
CREATE INDEX api_tokens_partner_idx ON api_tokens (created_by) WHERE organization_id IS NULL;
