package awsauth

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// silentServer accepts requests and never answers them, like an endpoint
// that went away behind a load balancer.
func silentServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		// The body is read first: only then does the server notice the
		// client hanging up and end r's context.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() { close(stop); srv.Close() })
	return srv, &n
}

func TestSmallReadAttemptsAreBoundedAndRetried(t *testing.T) {
	srv, n := silentServer(t)
	cfg, err := LoadBase(context.Background(), Options{
		Region: "us-east-1", Endpoint: srv.URL, RetryMaxAttempts: 2,
		AttemptTimeout: time.Minute, SmallAttemptTimeout: 50 * time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIATESTTESTTESTTEST", "x", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err == nil || !strings.Contains(err.Error(), "STS:GetCallerIdentity: attempt timed out: no answer within 50ms") {
		t.Fatalf("err = %v, want the attempt timeout", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("server saw %d attempts, want 2 (a timed-out attempt is retried)", got)
	}
}

func TestLargeAnswersKeepTheWholeAttemptTimeout(t *testing.T) {
	srv, n := silentServer(t)
	cfg, err := LoadBase(context.Background(), Options{
		Region: "us-east-1", Endpoint: srv.URL, RetryMaxAttempts: 1,
		AttemptTimeout: 300 * time.Millisecond, SmallAttemptTimeout: time.Millisecond,
		Credentials: credentials.NewStaticCredentialsProvider("AKIATESTTESTTESTTEST", "x", ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = iam.NewFromConfig(cfg).GetAccountAuthorizationDetails(context.Background(), &iam.GetAccountAuthorizationDetailsInput{})
	if err == nil || strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("err = %v, want the HTTP client's own timeout, not the small-read bound", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("server saw %d attempts, want 1", got)
	}
}
