-- Partner accounts cannot exist without the role: their tokens, sessions and the accounts go.
DROP INDEX api_tokens_partner_idx;
DELETE FROM api_tokens WHERE organization_id IS NULL;
ALTER TABLE api_tokens ALTER COLUMN organization_id SET NOT NULL;
DELETE FROM refresh_tokens WHERE user_id IN (SELECT id FROM users WHERE role = 'partner');
DELETE FROM web_sessions WHERE user_id IN (SELECT id FROM users WHERE role = 'partner');
DELETE FROM users WHERE role = 'partner';
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('org_admin', 'org_member', 'regulator', 'sysadmin'));
