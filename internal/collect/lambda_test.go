package collect

import (
	"encoding/json"
	"testing"
)

func TestLambdaPrincipals(t *testing.T) {
	stmt := func(principal string) string {
		return `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s","Effect":"Allow","Principal":` + principal +
			`,"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f"}]}`
	}
	for _, tt := range []struct {
		in, want string // want: the statement's Principal, "" when doc is unchanged
	}{
		{stmt(`"999999999999"`), `{"AWS":"arn:aws-cn:iam::999999999999:root"}`},
		{stmt(`"arn:aws:iam::999999999999:role/r"`), `{"AWS":"arn:aws:iam::999999999999:role/r"}`},
		{stmt(`"s3.amazonaws.com"`), `{"Service":"s3.amazonaws.com"}`},
		{stmt(`"*"`), ""},
		{`{"Id":"default","Statement":{"Sid":"s","Principal":"999999999999","Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f"}}`, "one"},
		{stmt(`{"AWS":"arn:aws:iam::999999999999:root"}`), ""},
		{`not json`, ""},
		{`{"Statement":"x"}`, ""},
	} {
		got := lambdaPrincipals(tt.in, "aws-cn")
		if tt.want == "" {
			if got != tt.in {
				t.Errorf("%s: changed to %s", tt.in, got)
			}
			continue
		}
		if tt.want == "one" {
			if got != `{"Id":"default","Statement":{"Principal":{"AWS":"arn:aws-cn:iam::999999999999:root"},"Resource":"arn:aws:lambda:eu-west-1:111122223333:function:f","Sid":"s"}}` {
				t.Errorf("one statement: %s", got)
			}
			continue
		}
		var doc struct {
			ID        string `json:"Id"`
			Statement []struct {
				Sid       string
				Principal json.RawMessage
				Resource  string
			}
		}
		if err := json.Unmarshal([]byte(got), &doc); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if len(doc.Statement) != 1 || string(doc.Statement[0].Principal) != tt.want || doc.ID != "default" || doc.Statement[0].Sid != "s" ||
			doc.Statement[0].Resource != "arn:aws:lambda:eu-west-1:111122223333:function:f" {
			t.Errorf("%s:\n got %s\nwant principal %s", tt.in, got, tt.want)
		}
	}
}
