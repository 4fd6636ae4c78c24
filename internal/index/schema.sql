-- orgiam index schema: one SQLite database per run (index.sqlite), built
-- from the run's stored files only (see build.go). Every table is filled in a
-- stable order, so two builds of the same run hold identical rows; the only
-- build-dependent value is meta.built_at.
--
-- Conventions: times are RFC 3339 UTC text ("2026-01-02T03:04:05Z") or NULL;
-- booleans are INTEGER 0/1; account ids are the 12-digit strings.

-- The schema's version; bumped on every incompatible change.
CREATE TABLE schema_version (
  version INTEGER NOT NULL
);

-- Build metadata: run (the run prefix), built_at (the one build timestamp),
-- tool_version (the orgiam that built the index), snapshot_tool_version (the
-- orgiam that collected the run, from manifest.json), complete (1 when the run
-- had its manifest at build time).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

-- organizations/<org-id>/organization.json
CREATE TABLE organizations (
  id                   TEXT PRIMARY KEY,
  arn                  TEXT,
  master_account_id    TEXT,
  master_account_email TEXT,
  feature_set          TEXT
);

-- organizations/<org-id>/ous.json; path is the names from the root ("Root/Workloads/Prod").
CREATE TABLE ous (
  id        TEXT NOT NULL,
  org_id    TEXT NOT NULL,
  name      TEXT,
  type      TEXT,   -- ROOT or ORGANIZATIONAL_UNIT
  parent_id TEXT,
  path      TEXT
);

-- Every account the run knows of: the scanned list (accounts.json), the
-- accounts discovery skipped (skipped.json) and the members of each
-- organization (organizations/<org-id>/accounts.json).
-- scan_status: ok (account.json present), failed (error.json present),
-- partial (scanned, but some of its stored files could not be read or
-- parsed: they are left out and scan_error names them), missing (listed for the scan, nothing stored yet), skipped (left out by
-- discovery; scan_error holds the reason), not_listed (an organization member
-- that is in neither list).
CREATE TABLE accounts (
  id           TEXT PRIMARY KEY,
  name         TEXT,
  email        TEXT,
  org_id       TEXT,
  ou_path      TEXT,
  status       TEXT,    -- ACTIVE, SUSPENDED, PENDING_CLOSURE
  alias        TEXT,    -- first account alias
  management   INTEGER NOT NULL DEFAULT 0,
  partition    TEXT,
  scan_status  TEXT NOT NULL,
  scan_phase   TEXT,    -- error.json phase (assume-role, collect, …)
  scan_error   TEXT,
  collected_at TEXT
);

-- IAM users, roles and groups. last_used: users, the latest of password and
-- access key use from the credential report; roles, RoleLastUsed. mfa (users
-- only): virtual, hardware, none, or NULL without a credential report row.
CREATE TABLE principals (
  arn              TEXT PRIMARY KEY,
  kind             TEXT NOT NULL,   -- user, role, group
  account_id       TEXT NOT NULL,
  name             TEXT NOT NULL,
  id               TEXT,
  path             TEXT,
  created          TEXT,
  last_used        TEXT,
  last_used_region TEXT,
  password_enabled INTEGER,
  mfa              TEXT,
  boundary_arn     TEXT
);

-- Managed policies: customer managed ones per account (account_id set) and
-- AWS managed ones once per run (account_id NULL, aws_managed 1).
CREATE TABLE policies (
  arn                  TEXT PRIMARY KEY,
  account_id           TEXT,
  name                 TEXT NOT NULL,
  id                   TEXT,
  path                 TEXT,
  aws_managed          INTEGER NOT NULL,
  default_version      TEXT,
  attachment_count     INTEGER,
  boundary_usage_count INTEGER,
  created              TEXT,
  updated              TEXT,
  description          TEXT
);

-- Every stored version of a managed policy, with its document (JSON).
CREATE TABLE policy_versions (
  policy_arn TEXT NOT NULL,
  version_id TEXT NOT NULL,
  is_default INTEGER NOT NULL,
  created    TEXT,
  document   TEXT
);

-- Inline policies of users, groups and roles. id is synthetic:
-- "inline:<principal arn>:<policy name>".
CREATE TABLE inline_policies (
  id            TEXT PRIMARY KEY,
  principal_arn TEXT NOT NULL,
  account_id    TEXT NOT NULL,
  name          TEXT NOT NULL,
  document      TEXT
);

-- Policies attached to users, groups and roles, as IAM records them.
-- policy_id is a managed policy ARN or an inline policy id; policy_kind is
-- aws, customer or inline.
CREATE TABLE policy_attachments (
  principal_arn TEXT NOT NULL,
  account_id    TEXT NOT NULL,
  policy_id     TEXT NOT NULL,
  policy_name   TEXT NOT NULL,
  policy_kind   TEXT NOT NULL
);

-- Group membership (from each user's GroupList).
CREATE TABLE group_members (
  group_arn  TEXT NOT NULL,
  group_name TEXT NOT NULL,
  user_arn   TEXT NOT NULL,
  user_name  TEXT NOT NULL,
  account_id TEXT NOT NULL
);

-- Which policies apply to which principal: every row of policy_attachments
-- (via 'direct'), and for each user the policies of each of its groups (via
-- the group's name). A view rather than a table: the group rows follow from
-- the two tables above and would repeat each group's policies per member.
CREATE VIEW attachments (principal_arn, account_id, policy_id, policy_name, policy_kind, via) AS
  SELECT principal_arn, account_id, policy_id, policy_name, policy_kind, 'direct' FROM policy_attachments
  UNION ALL
  SELECT m.user_arn, m.account_id, a.policy_id, a.policy_name, a.policy_kind, m.group_name
  FROM group_members m JOIN policy_attachments a ON a.principal_arn = m.group_arn;

-- Policy statements flattened: one row per document × statement × action
-- pattern × resource pattern. policy_id is a managed policy ARN (its default
-- version), an inline policy id, or "trust:<role arn>" for a role's trust
-- policy. source: managed, inline, trust, or boundary (a managed policy used
-- only as a permissions boundary: attached nowhere, boundary of some
-- principal). action holds the Action pattern, or with not_action 1 one
-- NotAction pattern; likewise resource / not_resource (NULL when the
-- statement has none, as trust policies). service is the lower-cased part of
-- the action before ':' ("*" when that part holds a wildcard), for
-- prefiltering. account_id is NULL for AWS managed policies.
CREATE TABLE statements (
  policy_id     TEXT NOT NULL,
  source        TEXT NOT NULL,
  account_id    TEXT,
  stmt_idx      INTEGER NOT NULL,
  sid           TEXT,
  effect        TEXT NOT NULL,
  action        TEXT,
  not_action    INTEGER NOT NULL,
  service       TEXT,
  resource      TEXT,
  not_resource  INTEGER NOT NULL,
  has_condition INTEGER NOT NULL
);

-- Role trust policies: one row per statement × principal. trusted_account is
-- the account a principal belongs to when derivable ("*" for the anonymous
-- wildcard principal, NULL for services and web identity providers).
-- cross_account: trusted_account is set and is not the role's account.
-- external_to_org: cross_account and the trusted account is not a member of
-- any organization of the run (always so for "*"). has_external_id: the
-- statement has an sts:ExternalId condition.
CREATE TABLE trusts (
  role_arn        TEXT NOT NULL,
  role_name       TEXT NOT NULL,
  account_id      TEXT NOT NULL,
  stmt_idx        INTEGER NOT NULL,
  effect          TEXT NOT NULL,
  actions         TEXT,
  principal_type  TEXT NOT NULL,   -- AWS, Service, Federated, CanonicalUser, *
  principal_value TEXT NOT NULL,
  trusted_account TEXT,
  cross_account   INTEGER NOT NULL,
  external_to_org INTEGER NOT NULL,
  has_external_id INTEGER NOT NULL,
  has_condition   INTEGER NOT NULL
);

-- Access keys (users.json) with their last use from the credential report
-- (matched by the slot's last_rotated == the key's CreateDate, to the second).
CREATE TABLE access_keys (
  key_id            TEXT PRIMARY KEY,
  user_arn          TEXT NOT NULL,
  user_name         TEXT NOT NULL,
  account_id        TEXT NOT NULL,
  status            TEXT,
  created           TEXT,
  last_used_date    TEXT,
  last_used_service TEXT,
  last_used_region  TEXT
);

-- credential-report.csv, typed (one row per report line, root included).
CREATE TABLE credential_report (
  account_id                     TEXT NOT NULL,
  user                           TEXT NOT NULL,
  arn                            TEXT,
  user_creation_time             TEXT,
  password_enabled               TEXT,   -- true, false, not_supported
  password_last_used             TEXT,
  password_last_used_no_info     INTEGER NOT NULL,
  password_last_changed          TEXT,
  password_next_rotation         TEXT,
  mfa_active                     INTEGER NOT NULL,
  access_key_1_active            INTEGER NOT NULL,
  access_key_1_last_rotated      TEXT,
  access_key_1_last_used_date    TEXT,
  access_key_1_last_used_region  TEXT,
  access_key_1_last_used_service TEXT,
  access_key_2_active            INTEGER NOT NULL,
  access_key_2_last_rotated      TEXT,
  access_key_2_last_used_date    TEXT,
  access_key_2_last_used_region  TEXT,
  access_key_2_last_used_service TEXT,
  cert_1_active                  INTEGER NOT NULL,
  cert_1_last_rotated            TEXT,
  cert_2_active                  INTEGER NOT NULL,
  cert_2_last_rotated            TEXT
);

-- Findings computed by the report step (CIS AWS Foundations IAM checks), read
-- from reports/findings.json when the run has one. principal is an IAM ARN,
-- "root" or "account"; check_id uses CIS v5.0 numbering, check_id_legacy the
-- v1.4-4.0 number.
CREATE TABLE findings (
  account_id      TEXT,
  account_name    TEXT,
  principal       TEXT,
  check_id        TEXT,
  check_id_legacy TEXT,
  title           TEXT,
  severity        TEXT,
  status          TEXT,
  evidence        TEXT
);

-- Resources with a resource-based policy, or an S3 setting that decides who
-- reaches them: accounts/<id>/resources.json (S3 buckets, each with its own
-- region) and every accounts/<id>/regions/<region>.json. service and type
-- are the ARN's ("s3" "bucket", "kms" "key", "sqs" "queue", "lambda"
-- "function" or "alias", "ecr" "repository" or "registry", …). The four
-- Block Public Access columns are the bucket's own setting (NULL: none set,
-- or not a bucket); the account's is in s3_account_block_public_access.
-- public_acl lists the ACL grants to everyone ("AllUsers:READ,
-- AuthenticatedUsers:WRITE"). exposure is the widest class of the
-- resource's effective grants (see resource_grants; NULL when it grants
-- nothing beyond what its policy leaves out), conditional 1 when every
-- effective grant of that class has a restricting condition, public_policy
-- 1 when the policy is public in S3's sense. A policy that cannot be
-- parsed leaves exposure 'error' and analysis_error set (and the account
-- partial). attributes is the collector's other facts as a JSON object.
CREATE TABLE resources (
  arn                     TEXT NOT NULL,
  account_id              TEXT NOT NULL,
  region                  TEXT,
  service                 TEXT NOT NULL,
  type                    TEXT,
  name                    TEXT,
  has_policy              INTEGER NOT NULL,
  block_public_acls       INTEGER,
  ignore_public_acls      INTEGER,
  block_public_policy     INTEGER,
  restrict_public_buckets INTEGER,
  public_acl              TEXT,
  exposure                TEXT,
  conditional             INTEGER NOT NULL,
  public_policy           INTEGER NOT NULL,
  analysis_error          TEXT,
  policy                  TEXT,
  attributes              TEXT
);

-- An account's S3 Block Public Access (resources.json), when it is set.
CREATE TABLE s3_account_block_public_access (
  account_id              TEXT PRIMARY KEY,
  block_public_acls       INTEGER NOT NULL,
  ignore_public_acls      INTEGER NOT NULL,
  block_public_policy     INTEGER NOT NULL,
  restrict_public_buckets INTEGER NOT NULL
);

-- Resource policy statements, flattened as statements are: policy_id is the
-- resource's ARN, source the resource's service.
CREATE TABLE resource_statements (
  policy_id     TEXT NOT NULL,
  source        TEXT NOT NULL,
  account_id    TEXT,
  stmt_idx      INTEGER NOT NULL,
  sid           TEXT,
  effect        TEXT NOT NULL,
  action        TEXT,
  not_action    INTEGER NOT NULL,
  service       TEXT,
  resource      TEXT,
  not_resource  INTEGER NOT NULL,
  has_condition INTEGER NOT NULL
);

-- Every condition of every resource policy statement: one row per
-- statement × operator × key × value.
CREATE TABLE resource_conditions (
  resource_arn TEXT NOT NULL,
  account_id   TEXT NOT NULL,
  stmt_idx     INTEGER NOT NULL,
  operator     TEXT NOT NULL,
  key          TEXT NOT NULL,
  value        TEXT
);

-- Who each resource policy Allow statement (and each public S3 ACL grant,
-- stmt_idx -1, principal_type ACL) reaches, from internal/exposure: one row
-- per statement × principal. class: public, external, cross-account,
-- account or service (the package documentation defines them and the
-- conditions that narrow them). conditions are the restricting conditions
-- ("aws:SourceIp IpAddress 203.0.113.0/24", joined by " & "; those from a
-- Deny statement end in "(deny #N)"). denied_by is the Deny statement that
-- cancels the grant, blocked_by the S3 setting that neutralises it
-- ("RestrictPublicBuckets (account)"); a grant with either is not effective.
CREATE TABLE resource_grants (
  resource_arn      TEXT NOT NULL,
  account_id        TEXT NOT NULL,
  region            TEXT,
  service           TEXT NOT NULL,
  stmt_idx          INTEGER NOT NULL,
  sid               TEXT,
  principal_type    TEXT NOT NULL,
  principal_value   TEXT NOT NULL,
  not_principal     INTEGER NOT NULL,
  principal_account TEXT,
  class             TEXT NOT NULL,
  conditional       INTEGER NOT NULL,
  conditions        TEXT,
  actions           TEXT,
  not_action        INTEGER NOT NULL,
  denied_by         INTEGER,
  blocked_by        TEXT
);

-- accounts/<id>/regions/<region>.json: one row per account × region item.
-- status: ok, partial, failed, skipped; reason says why skipped or failed;
-- collectors lists the collectors that ran (comma-separated); warnings
-- counts the item's collector warnings.
CREATE TABLE region_scans (
  account_id   TEXT NOT NULL,
  region       TEXT NOT NULL,
  status       TEXT NOT NULL,
  reason       TEXT,
  collected_at TEXT,
  api_calls    INTEGER,
  duration_ms  INTEGER,
  collectors   TEXT,
  warnings     INTEGER NOT NULL
);

-- Collectors that missed data without failing their item: from each region
-- scan, and from resources.json (region NULL unless the warning names one).
CREATE TABLE collector_warnings (
  account_id TEXT NOT NULL,
  region     TEXT,
  collector  TEXT NOT NULL,
  operation  TEXT,
  code       TEXT,
  resource   TEXT,
  message    TEXT
);

-- organizations/<org-id>/policies.json: SCPs and RCPs. type is
-- SERVICE_CONTROL_POLICY or RESOURCE_CONTROL_POLICY; document the content.
CREATE TABLE org_policies (
  id          TEXT NOT NULL,
  org_id      TEXT NOT NULL,
  type        TEXT NOT NULL,
  name        TEXT,
  description TEXT,
  aws_managed INTEGER NOT NULL,
  arn         TEXT,
  document    TEXT
);

-- Where each organization policy is attached (target_type ROOT,
-- ORGANIZATIONAL_UNIT or ACCOUNT).
CREATE TABLE org_policy_targets (
  policy_id   TEXT NOT NULL,
  org_id      TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  target_type TEXT,
  target_name TEXT
);

-- Organization policy statements, flattened as statements are: policy_id
-- is the policy id (p-…), source scp or rcp, account_id NULL.
CREATE TABLE org_policy_statements (
  policy_id     TEXT NOT NULL,
  source        TEXT NOT NULL,
  account_id    TEXT,
  stmt_idx      INTEGER NOT NULL,
  sid           TEXT,
  effect        TEXT NOT NULL,
  action        TEXT,
  not_action    INTEGER NOT NULL,
  service       TEXT,
  resource      TEXT,
  not_resource  INTEGER NOT NULL,
  has_condition INTEGER NOT NULL
);

-- organizations/<org-id>/policy-chains.json: each account's effective chain
-- per policy type, one row per level × policy attached there (policy_id
-- NULL for a level without one). level counts from 0 at the root down to
-- the account itself; an action passes the type's policies only if every
-- level allows it.
CREATE TABLE policy_chains (
  account_id  TEXT NOT NULL,
  org_id      TEXT NOT NULL,
  type        TEXT NOT NULL,
  level       INTEGER NOT NULL,
  target_id   TEXT NOT NULL,
  target_type TEXT,
  target_name TEXT,
  policy_id   TEXT
);

-- organizations/<org-id>/delegated-administrators.json: one row per
-- delegated administrator × service principal delegated to it.
CREATE TABLE delegated_administrators (
  org_id            TEXT NOT NULL,
  account_id        TEXT NOT NULL,
  name              TEXT,
  email             TEXT,
  status            TEXT,
  service_principal TEXT
);

-- Granted and not used, from reports/unused-access.json (`orgiam policy
-- unused`: IAM last-accessed data) when the run has one: one row per service
-- a principal's policies grant and it did not use in the window (action
-- NULL), or per tracked action of a used service it did not use.
-- principal is the user, role or group ARN; last_accessed is NULL for never.
CREATE TABLE unused_access (
  account_id    TEXT NOT NULL,
  principal     TEXT NOT NULL,
  service       TEXT NOT NULL,
  action        TEXT,
  last_accessed TEXT
);

-- @indexes: created after the bulk insert (sorting once is cheaper than
-- maintaining them row by row). They serve the query commands: principal by
-- name, the groups and policies of a principal, who can perform an action
-- (statements by service and action, attachments by policy, group members
-- by group), administrators, trusts by account and by trusted account. Other
-- columns are scanned; for ad-hoc joins SQLite builds automatic indexes.
CREATE INDEX principals_name ON principals(lower(name));
CREATE INDEX policy_attachments_principal ON policy_attachments(principal_arn);
CREATE INDEX policy_attachments_policy ON policy_attachments(policy_id);
CREATE INDEX group_members_group ON group_members(group_arn);
CREATE INDEX group_members_user ON group_members(user_arn);
CREATE INDEX statements_action ON statements(service, action);
CREATE INDEX trusts_account ON trusts(account_id, cross_account);
CREATE INDEX trusts_trusted ON trusts(trusted_account);
CREATE INDEX resources_arn ON resources(arn);
CREATE INDEX resource_grants_class ON resource_grants(class, service);
CREATE INDEX resource_grants_resource ON resource_grants(resource_arn);
CREATE INDEX policy_chains_account ON policy_chains(account_id, type);
CREATE INDEX unused_access_principal ON unused_access(principal);
