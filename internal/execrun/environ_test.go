package execrun

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func envMap(kvs []string) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := m[k]; dup {
			m[k+"#dup"] = v
		}
		m[k] = v
	}
	return m
}

// operatorEnv is an operator's environment with every way of naming
// credentials, a profile or a region, and orgiam settings.
var operatorEnv = []string{
	"PATH=/usr/bin:/bin", "HOME=/home/op", "LANG=C.UTF-8",
	"AWS_ACCESS_KEY_ID=AKIAOPERATOR", "AWS_SECRET_ACCESS_KEY=operator-secret", "AWS_SESSION_TOKEN=op-token",
	"AWS_PROFILE=admin", "AWS_DEFAULT_PROFILE=admin", "AWS_REGION=us-west-2", "AWS_DEFAULT_REGION=us-west-2",
	"AWS_ROLE_ARN=arn:aws:iam::111111111111:role/ci", "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/token",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/x", "AWS_CONFIG_FILE=/home/op/.aws/config",
	"AWS_SHARED_CREDENTIALS_FILE=/home/op/.aws/credentials", "AWS_ENDPOINT_URL=http://localhost:5000",
	"ORGIAM_STORE=s3://bucket/prefix", "ORGIAM_CONCURRENCY=10",
}

var envItem = item{AccountID: "222222222222", AccountName: "prod-a", Region: "eu-west-1"}

func TestChildEnvEndpoint(t *testing.T) {
	got := childEnv(operatorEnv, envItem, []byte(`{"ticket":"CHG-1"}`), CredentialsEndpoint, itemCreds, "http://127.0.0.1:4242/credentials", "tok123")
	m := envMap(got)
	want := map[string]string{
		"PATH": "/usr/bin:/bin", "HOME": "/home/op", "LANG": "C.UTF-8", "AWS_ENDPOINT_URL": "http://localhost:5000",
		"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "ORGIAM_REGION": "eu-west-1",
		"ORGIAM_ACCOUNT_ID": "222222222222", "ORGIAM_ACCOUNT_NAME": "prod-a", "ORGIAM_PARAMS": `{"ticket":"CHG-1"}`,
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:4242/credentials", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "tok123",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	for k := range m {
		if _, ok := want[k]; !ok {
			t.Errorf("%s=%s passed to the command", k, m[k])
		}
	}
}

func TestChildEnvKeys(t *testing.T) {
	got := childEnv(operatorEnv, envItem, nil, CredentialsEnv, itemCreds, "", "")
	m := envMap(got)
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "ASIAITEM", "AWS_SECRET_ACCESS_KEY": "item-secret", "AWS_SESSION_TOKEN": "item-token",
		"AWS_CREDENTIAL_EXPIRATION": itemCreds.Expires.Format(time.RFC3339), "AWS_REGION": "eu-west-1",
	} {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	for _, k := range []string{"ORGIAM_PARAMS", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
		"AWS_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONFIG_FILE", "ORGIAM_STORE", "ORGIAM_CONCURRENCY"} {
		if v, ok := m[k]; ok {
			t.Errorf("%s=%s passed with env credentials", k, v)
		}
	}
	for k := range m {
		if strings.HasSuffix(k, "#dup") {
			t.Errorf("%s set twice", strings.TrimSuffix(k, "#dup"))
		}
	}
	// Keys without a session token or an expiry: neither variable is set.
	m = envMap(childEnv(nil, envItem, nil, CredentialsEnv, aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}, "", ""))
	for _, k := range []string{"AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s set for long-term keys", k)
		}
	}
	if !slices.Contains(got, "ORGIAM_ACCOUNT_NAME=prod-a") {
		t.Error("ORGIAM_ACCOUNT_NAME missing")
	}
}
