package report

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orgiam/orgiam/internal/snapshot"
)

var (
	cisID = regexp.MustCompile(`^1\.[0-9]+$`)
	ownID = regexp.MustCompile(`^iam_[a-z0-9]+(_[a-z0-9]+)+$`)
)

func TestChecksTable(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range Checks {
		if c.ID == "" || c.Title == "" || c.Rationale == "" || c.Remediation == "" {
			t.Errorf("check %s is incomplete: %+v", c.ID, c)
		}
		if len(c.References) == 0 || c.evaluate == nil {
			t.Errorf("check %s lacks references or its evaluation", c.ID)
		}
		for _, r := range c.References {
			if !strings.HasPrefix(r, "https://") {
				t.Errorf("check %s: reference %q is not a link", c.ID, r)
			}
		}
		switch c.Severity {
		case SeverityHigh, SeverityMedium, SeverityLow:
		default:
			t.Errorf("check %s: severity %q", c.ID, c.Severity)
		}
		if seen[c.ID] {
			t.Errorf("check id %s twice", c.ID)
		}
		seen[c.ID] = true
		switch {
		case cisID.MatchString(c.ID):
			if len(c.Compliance) < 2 || c.Compliance[0] != "cis_5.0_aws:"+c.ID || c.Compliance[1] != "cis_4.0_aws:"+c.Legacy {
				t.Errorf("check %s: compliance ids %v do not match its CIS numbers %s/%s", c.ID, c.Compliance, c.ID, c.Legacy)
			}
		case ownID.MatchString(c.ID):
			// orgiam's own check: no CIS numbers.
			if c.Legacy != "" || len(c.Compliance) != 0 {
				t.Errorf("check %s: an orgiam check with CIS numbers (legacy %q, compliance %v)", c.ID, c.Legacy, c.Compliance)
			}
		default:
			t.Errorf("check id %q is neither a CIS number nor an orgiam id", c.ID)
		}
	}
}

// checkCase is one account a check is run on and every result it must give
// (nil: the check is not evaluated for that account).
type checkCase struct {
	name string
	a    *acct
	want []result
}

// testCheck runs c on each case's account, at the fixture's time and default
// options, and compares every result: principal, pass or fail, and the whole
// evidence.
func testCheck(t *testing.T, c Check, cases []checkCase) {
	t.Helper()
	sawPass, sawFail := false, false
	for _, tc := range cases {
		for _, r := range tc.want {
			sawPass, sawFail = sawPass || !r.fail, sawFail || r.fail
		}
	}
	if !sawPass || !sawFail {
		t.Fatalf("check %s: the table needs a passing and a failing principal", c.ID)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.a.account.ID == "" {
				tc.a.account.ID = testAccount
			}
			got := c.evaluate(&subject{a: tc.a, o: fixtureOptions().withDefaults()})
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("check %s:\n got  %+v\n want %+v", c.ID, got, tc.want)
			}
		})
	}
}

const testAccount = "444455556666"

// ago is a time n days before the fixture's time.
func ago(n int) *time.Time {
	t := fixtureNow.AddDate(0, 0, -n)
	return &t
}

// reportRow is a credential report row of user name (snapshot.RootUser for root).
func reportRow(name string) snapshot.CredentialReportRow {
	arn := "arn:aws:iam::" + testAccount + ":user/" + name
	if name == snapshot.RootUser {
		arn = "arn:aws:iam::" + testAccount + ":root"
	}
	return snapshot.CredentialReportRow{User: name, Arn: arn}
}

func userArn(name string) string { return "arn:aws:iam::" + testAccount + ":user/" + name }
