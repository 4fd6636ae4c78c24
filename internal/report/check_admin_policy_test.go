package report

import (
	"encoding/json"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
)

func TestCheckAdminPolicy(t *testing.T) {
	t.Parallel()
	pol := func(name, doc string, attached int32) snapshot.ManagedPolicy {
		return snapshot.ManagedPolicy{PolicyName: name, Arn: "arn:aws:iam::" + testAccount + ":policy/" + name,
			DefaultVersionID: "v3", AttachmentCount: attached,
			PolicyVersionList: []snapshot.PolicyVersion{{VersionID: "v3", IsDefaultVersion: true, Document: json.RawMessage(doc)}}}
	}
	const admin = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	const read = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`
	testCheck(t, CheckAdminPolicy, []checkCase{
		{"policies", &acct{policies: []snapshot.ManagedPolicy{pol("Admin", admin, 1), pol("Read", read, 2), pol("Admin2", admin, 0)}}, []result{
			fail("arn:aws:iam::"+testAccount+":policy/Admin", `Default version v3 allows "*:*" on "*"; 1 attachment.`),
			pass("arn:aws:iam::"+testAccount+":policy/Read", `Default version v3 does not allow "*:*" on "*".`),
			// Admin2 is not attached: CheckUnattachedAdminPolicy's.
		}},
		{"no policies.json", &acct{}, nil},
	})
}
