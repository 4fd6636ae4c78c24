package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/orgiam/orgiam/internal/awsauth"
	"github.com/orgiam/orgiam/internal/fanout"
	"github.com/orgiam/orgiam/internal/store"
)

// putOnlyStore answers like S3 does to a role that may only put objects:
// HeadBucket (the check) and DeleteObject are forbidden.
type putOnlyStore struct{ store.Store }

func forbidden(op string) error {
	return fmt.Errorf("store s3://b/p: %s: %w", op, &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusForbidden}}, Err: errors.New("Forbidden"),
	})
}

func (putOnlyStore) Check(context.Context) error          { return forbidden("s3:HeadBucket") }
func (putOnlyStore) Delete(context.Context, string) error { return forbidden("s3:DeleteObject") }

func TestConfigReportWithAPutOnlyRole(t *testing.T) {
	var selects, throttled atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var in map[string]any
		_ = json.Unmarshal(body, &in)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fail := func(code string) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":%q,"message":"no"}`, code)
		}
		switch r.Header.Get("X-Amz-Target") {
		case "StarlingDoveService.DescribeConfigurationAggregators":
			fail("AccessDeniedException")
		case "StarlingDoveService.SelectAggregateResourceConfig":
			n := selects.Add(1)
			if in["NextToken"] == nil {
				json.NewEncoder(w).Encode(map[string]any{"Results": []string{`{"accountId":"111111111111","resourceName":"amy","arn":"arn:aws:iam::111111111111:user/amy","configuration":{"userName":"amy"}}`}, "NextToken": "t2"})
				return
			}
			if n == 2 { // the second page is throttled once
				throttled.Add(1)
				fail("ThrottlingException")
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"Results": []string{`{"accountId":"222222222222","resourceName":"bob","arn":"arn:aws:iam::222222222222:user/bob","configuration":{"userName":"bob"}}`}})
		default:
			http.Error(w, "unexpected "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
		}
	}))
	defer srv.Close()

	ctx := context.Background()
	lim := fanout.NewLimiter(0)
	base, err := awsauth.LoadBase(ctx, awsauth.Options{Region: "eu-west-1", Endpoint: srv.URL, Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""), APIOptions: []func(*middleware.Stack) error{lim.Middleware()}})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	env := testEnv(t)
	env.Store = putOnlyStore{env.Store}
	env.Auth = &awsauth.Auth{Base: base}
	env.Limiter = lim
	env.Log = slog.New(slog.NewTextHandler(&logs, nil))
	env.Cfg.ConfigAggregator = "org-users"

	out, err := ConfigReport(ctx, env, ConfigReportInput{})
	if err != nil {
		t.Fatalf("config report: %v\n%s", err, logs.String())
	}
	if out.Users != 2 || out.Accounts != 2 || out.Region != "eu-west-1" || out.Date != "2026-11-23" || throttled.Load() != 1 || out.ThrottlesAbsorbed != 1 {
		t.Errorf("output %+v, throttled %d", out, throttled.Load())
	}
	for _, w := range []string{"no s3:ListBucket", "no s3:DeleteObject", "no config:DescribeConfigurationAggregators"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("no warning saying %q:\n%s", w, logs.String())
		}
	}
	data, err := env.Store.Get(ctx, "config-reports/2026-11-23/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m ConfigReportManifest
	if err := json.Unmarshal(data, &m); err != nil || m.Users != 2 || m.AggregatorArn != "" || len(m.Files) != 3 {
		t.Errorf("manifest %s (%v)", data, err)
	}
}
