// Package indexfixture writes a small run with resource policies, region
// scans and organization policies to a store, for the tests of the index
// and of `orgiam query resources`: the shapes of internal/snapshot, written
// through the store as the collectors write them.
package indexfixture

import (
	"context"
	"encoding/json"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// The fixture's organization and accounts.
const (
	Run        = "2026-11-22"
	OrgID      = "o-ours"
	Management = "111111111111" // account Block Public Access: RestrictPublicBuckets, IgnorePublicAcls
	Member     = "222222222222" // no account Block Public Access; a partial region
	Damaged    = "333333333333" // one region file does not parse
	Outsider   = "999999999999" // in no organization of the run
)

var at = time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)

func policy(stmts ...string) json.RawMessage {
	s := `{"Version":"2012-10-17","Statement":[`
	for i, st := range stmts {
		if i > 0 {
			s += ","
		}
		s += st
	}
	return json.RawMessage(s + "]}")
}

// WriteResourcesRun writes the fixture run (with its manifest) to st. The
// exposures it holds, by resource name:
//
//	111… blocked-public   s3 bucket, public policy, blocked by the account's RestrictPublicBuckets
//	111… acl-public       s3 bucket, AllUsers READ, ignored by the account's IgnorePublicAcls
//	111… org-queue        sqs, "*" with aws:PrincipalOrgID o-ours: cross-account, conditional
//	111… own-key          kms, own account root only: not exposed
//	111… public-topic     sns, "*": public
//	222… site             s3, "*" with aws:SourceIp: public, conditional
//	222… open-acl         s3, AuthenticatedUsers READ: public
//	222… private          s3, no policy
//	222… vendor-fn        lambda, account 999…: external
//	222… shared-repo      ecr, account 111…: cross-account
//	222… closed-secret    secretsmanager, "*" cancelled by a Deny of everyone
//	222… vpce-queue       sqs, "*" and a Deny unless aws:SourceVpce: public, conditional
//	333… eu-west-2 queue  sqs, "*": public (its eu-west-1 file is damaged)
func WriteResourcesRun(ctx context.Context, st store.Store) error {
	put := func(key string, v any) error {
		var data []byte
		switch x := v.(type) {
		case string:
			data = []byte(x)
		default:
			var err error
			if data, err = json.MarshalIndent(v, "", " "); err != nil {
				return err
			}
		}
		return st.Put(ctx, key, data)
	}
	accounts := []snapshot.Account{
		{ID: Management, Name: "management", Email: "m@example.com", Status: "ACTIVE", OrgID: OrgID, OUPath: "Root", Management: true},
		{ID: Member, Name: "workloads", Email: "w@example.com", Status: "ACTIVE", OrgID: OrgID, OUPath: "Root/Prod"},
		{ID: Damaged, Name: "sandbox", Email: "s@example.com", Status: "ACTIVE", OrgID: OrgID, OUPath: "Root"},
	}
	files := map[string]any{
		store.AccountListKey(Run):                     accounts,
		store.OrgKey(Run, OrgID, "organization.json"): snapshot.Organization{ID: OrgID, MasterAccountID: Management, FeatureSet: "ALL"},
		store.OrgKey(Run, OrgID, "accounts.json"):     accounts,
		store.OrgKey(Run, OrgID, "ous.json"): []snapshot.OU{
			{ID: "r-ab12", Name: "Root", Type: "ROOT", Path: "Root"},
			{ID: "ou-ab12-prod", Name: "Prod", Type: "ORGANIZATIONAL_UNIT", ParentID: "r-ab12", Path: "Root/Prod"},
		},
		store.OrgKey(Run, OrgID, store.OrgPoliciesFile): []snapshot.OrgPolicy{
			{ID: "p-FullAWSAccess", Name: "FullAWSAccess", Type: snapshot.PolicyTypeSCP, AwsManaged: true,
				Content: policy(`{"Effect":"Allow","Action":"*","Resource":"*"}`),
				Targets: []snapshot.PolicyTarget{{TargetID: "r-ab12", Type: "ROOT", Name: "Root"}, {TargetID: "ou-ab12-prod", Type: "ORGANIZATIONAL_UNIT", Name: "Prod"}, {TargetID: Member, Type: "ACCOUNT", Name: "workloads"}}},
			{ID: "p-denyregions", Name: "DenyRegions", Type: snapshot.PolicyTypeSCP,
				Content: policy(`{"Sid":"NoFar","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-west-1","us-east-1"]}}}`),
				Targets: []snapshot.PolicyTarget{{TargetID: "ou-ab12-prod", Type: "ORGANIZATIONAL_UNIT", Name: "Prod"}}},
			{ID: "p-rcp1", Name: "OrgOnly", Type: snapshot.PolicyTypeRCP,
				Content: policy(`{"Effect":"Deny","Principal":"*","Action":["s3:*","sqs:*"],"Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-ours"}}}`),
				Targets: []snapshot.PolicyTarget{{TargetID: "r-ab12", Type: "ROOT", Name: "Root"}}},
		},
		store.OrgKey(Run, OrgID, store.OrgDelegatedAdminsFile): []snapshot.DelegatedAdministrator{
			{ID: Member, Name: "workloads", Status: "ACTIVE", ServicePrincipals: []string{"securityhub.amazonaws.com", "guardduty.amazonaws.com"}},
		},
		store.OrgKey(Run, OrgID, store.OrgPolicyChainsFile): []snapshot.PolicyChain{
			{AccountID: Member, Type: snapshot.PolicyTypeSCP, Levels: []snapshot.PolicyLevel{
				{TargetID: "r-ab12", Type: "ROOT", Name: "Root", Policies: []string{"p-FullAWSAccess"}},
				{TargetID: "ou-ab12-prod", Type: "ORGANIZATIONAL_UNIT", Name: "Prod", Policies: []string{"p-FullAWSAccess", "p-denyregions"}},
				{TargetID: Member, Type: "ACCOUNT", Name: "workloads", Policies: []string{"p-FullAWSAccess"}},
			}},
			{AccountID: Member, Type: snapshot.PolicyTypeRCP, Levels: []snapshot.PolicyLevel{
				{TargetID: "r-ab12", Type: "ROOT", Name: "Root", Policies: []string{"p-rcp1"}},
				{TargetID: "ou-ab12-prod", Type: "ORGANIZATIONAL_UNIT", Name: "Prod"},
				{TargetID: Member, Type: "ACCOUNT", Name: "workloads"},
			}},
		},

		// The management account.
		store.AccountResourcesKey(Run, Management): snapshot.AccountResources{SchemaVersion: snapshot.SchemaVersion, AccountID: Management, CollectedAt: at,
			S3BlockPublicAccess: &snapshot.BlockPublicAccess{RestrictPublicBuckets: true, IgnorePublicAcls: true},
			Resources: []snapshot.Resource{
				{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::blocked-public", Name: "blocked-public", Region: "eu-west-1", Account: Management,
					Policy: policy(`{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::blocked-public/*"}`)},
				{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::acl-public", Name: "acl-public", Region: "us-east-1", Account: Management,
					PublicGrants: []snapshot.ACLGrant{{Grantee: "AllUsers", Permission: "READ"}}},
			}},
		store.RegionKey(Run, Management, "eu-west-1"): snapshot.RegionScan{SchemaVersion: snapshot.SchemaVersion, AccountID: Management, Region: "eu-west-1", Status: "ok",
			CollectedAt: at, APICalls: 9, DurationMS: 120, Collectors: []string{"kms", "sns", "sqs"},
			Resources: []snapshot.Resource{
				{Service: "sqs", Type: "queue", ARN: "arn:aws:sqs:eu-west-1:111111111111:org-queue", Name: "org-queue", Account: Management,
					Policy: policy(`{"Sid":"OrgSend","Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"arn:aws:sqs:eu-west-1:111111111111:org-queue","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-ours"}}}`)},
				{Service: "kms", Type: "key", ARN: "arn:aws:kms:eu-west-1:111111111111:key/1234abcd", Name: "1234abcd", Account: Management,
					Policy:     policy(`{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"kms:*","Resource":"*"}`),
					Attributes: map[string]string{"KeyManager": "CUSTOMER", "KeyState": "Enabled"}},
				{Service: "sns", Type: "topic", ARN: "arn:aws:sns:eu-west-1:111111111111:public-topic", Name: "public-topic", Account: Management,
					Policy: policy(`{"Sid":"Anyone","Effect":"Allow","Principal":{"AWS":"*"},"Action":["sns:Subscribe","sns:Publish"],"Resource":"arn:aws:sns:eu-west-1:111111111111:public-topic"}`)},
			}},
		store.RegionKey(Run, Management, "ap-east-1"): snapshot.RegionScan{SchemaVersion: snapshot.SchemaVersion, AccountID: Management, Region: "ap-east-1",
			Status: "skipped", Reason: "region not enabled in the account", CollectedAt: at, Resources: []snapshot.Resource{}},

		// The member account.
		store.AccountResourcesKey(Run, Member): snapshot.AccountResources{SchemaVersion: snapshot.SchemaVersion, AccountID: Member, CollectedAt: at,
			Resources: []snapshot.Resource{
				{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::site", Name: "site", Region: "eu-west-1", Account: Member,
					BlockPublicAccess: &snapshot.BlockPublicAccess{BlockPublicAcls: true, BlockPublicPolicy: true},
					Policy:            policy(`{"Sid":"Office","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24"]}}}`)},
				{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::open-acl", Name: "open-acl", Region: "eu-west-1", Account: Member,
					PublicGrants: []snapshot.ACLGrant{{Grantee: "AuthenticatedUsers", Permission: "READ"}}},
				{Service: "s3", Type: "bucket", ARN: "arn:aws:s3:::private", Name: "private", Region: "eu-west-1", Account: Member},
			}},
		store.RegionKey(Run, Member, "eu-west-1"): snapshot.RegionScan{SchemaVersion: snapshot.SchemaVersion, AccountID: Member, Region: "eu-west-1", Status: snapshot.StatusPartial,
			CollectedAt: at, APICalls: 14, DurationMS: 300, Collectors: []string{"ecr", "lambda", "secretsmanager", "sqs"},
			Warnings: []snapshot.CollectorWarning{{Collector: "secretsmanager", Region: "eu-west-1", Operation: "secretsmanager:ListSecrets", Code: "AccessDenied", Message: "explicit deny in a service control policy"}},
			Resources: []snapshot.Resource{
				{Service: "lambda", Type: "function", ARN: "arn:aws:lambda:eu-west-1:222222222222:function:vendor-fn", Name: "vendor-fn", Account: Member,
					Policy: policy(`{"Sid":"Vendor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:222222222222:function:vendor-fn"}`)},
				{Service: "ecr", Type: "repository", ARN: "arn:aws:ecr:eu-west-1:222222222222:repository/shared-repo", Name: "shared-repo", Account: Member,
					Policy: policy(`{"Sid":"Pull","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":["ecr:BatchGetImage","ecr:GetDownloadUrlForLayer"]}`)},
				{Service: "secretsmanager", Type: "secret", ARN: "arn:aws:secretsmanager:eu-west-1:222222222222:secret:closed-secret-AbCdEf", Name: "closed-secret", Account: Member,
					Policy: policy(`{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}`, `{"Effect":"Deny","Principal":"*","Action":"secretsmanager:*","Resource":"*"}`)},
				{Service: "sqs", Type: "queue", ARN: "arn:aws:sqs:eu-west-1:222222222222:vpce-queue", Name: "vpce-queue", Account: Member,
					Policy: policy(`{"Effect":"Allow","Principal":"*","Action":"sqs:*","Resource":"arn:aws:sqs:eu-west-1:222222222222:vpce-queue"}`,
						`{"Effect":"Deny","Principal":"*","Action":"sqs:*","Resource":"arn:aws:sqs:eu-west-1:222222222222:vpce-queue","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0abc"}}}`)},
			}},

		// The account with a damaged region file.
		store.RegionKey(Run, Damaged, "eu-west-1"): `{"schemaVersion": 2, "accountId": "333333333333", "resources": [`,
		store.RegionKey(Run, Damaged, "eu-west-2"): snapshot.RegionScan{SchemaVersion: snapshot.SchemaVersion, AccountID: Damaged, Region: "eu-west-2", Status: "ok", CollectedAt: at,
			Resources: []snapshot.Resource{
				{Service: "sqs", Type: "queue", ARN: "arn:aws:sqs:eu-west-2:333333333333:open", Name: "open", Account: Damaged,
					Policy: policy(`{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}`)},
			}},
	}
	for _, a := range accounts {
		files[store.AccountKey(Run, a.ID)] = snapshot.AccountInfo{Account: a, SchemaVersion: snapshot.SchemaVersion, Partition: "aws", CollectedAt: at}
	}
	for k, v := range files {
		if err := put(k, v); err != nil {
			return err
		}
	}
	return put(store.ManifestKey(Run), snapshot.Manifest{SchemaVersion: snapshot.SchemaVersion, Date: Run, Prefix: Run, Started: at, Finished: at.Add(time.Hour)})
}
