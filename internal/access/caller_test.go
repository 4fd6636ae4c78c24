package access

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// TestCallerARN checks the session ARN built without arn.Parse against
// the one built from arn.Parse's fields, malformed ARNs included.
func TestCallerARN(t *testing.T) {
	viaParse := func(p *Principal) string {
		if p.Kind != "role" {
			return p.ARN
		}
		a, err := arn.Parse(p.ARN)
		if err != nil {
			return p.ARN
		}
		return "arn:" + a.Partition + ":sts::" + a.AccountID + ":assumed-role/" + p.Name + "/" + sessionName
	}
	for _, p := range []*Principal{
		{ARN: "arn:aws:iam::111122223333:role/app", Name: "app", Kind: "role"},
		{ARN: "arn:aws-cn:iam::111122223333:role/path/to/app", Name: "app", Kind: "role"},
		{ARN: "arn:aws:iam::111122223333:user/alice", Name: "alice", Kind: "user"},
		{ARN: "arn:aws:iam::111122223333", Name: "x", Kind: "role"},
		{ARN: "arn:aws:iam:111122223333:role/x", Name: "x", Kind: "role"},
		{ARN: "nope:aws:iam::111122223333:role/x", Name: "x", Kind: "role"},
		{ARN: "arn:aws:iam::111122223333:role:with:colons", Name: "x", Kind: "role"},
		{ARN: "", Name: "x", Kind: "role"},
	} {
		if got, want := callerARN(p), viaParse(p); got != want {
			t.Errorf("callerARN(%q) = %q, want %q", p.ARN, got, want)
		}
	}
	if got := callerARN(&Principal{ARN: "arn:aws:iam::111122223333:role/app", Name: "app", Kind: "role"}); got != "arn:aws:sts::111122223333:assumed-role/app/"+sessionName {
		t.Errorf("callerARN = %q", got)
	}
}
