package execrun

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/endpointcreds"
)

// fixedCreds is a provider of one expiring credential set.
type fixedCreds struct {
	c     aws.Credentials
	err   error
	calls int
}

func (f *fixedCreds) Retrieve(context.Context) (aws.Credentials, error) {
	f.calls++
	return f.c, f.err
}

var itemCreds = aws.Credentials{AccessKeyID: "ASIAITEM", SecretAccessKey: "item-secret", SessionToken: "item-token",
	CanExpire: true, Expires: time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC), AccountID: "222222222222"}

func get(t *testing.T, method, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCredServerServesTheItemsCredentials(t *testing.T) {
	s, err := startCredServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), credPath) {
		t.Fatalf("URL() = %q, want a loopback %s URL", s.URL(), credPath)
	}
	p := &fixedCreds{c: itemCreds}
	tok, revoke, err := s.add(p)
	if err != nil {
		t.Fatal(err)
	}
	other, revokeOther, _ := s.add(&fixedCreds{c: aws.Credentials{AccessKeyID: "ASIAOTHER"}})
	defer revokeOther()
	if len(tok) != 64 || tok == other {
		t.Fatalf("tokens %q and %q: want two distinct 32-byte hex tokens", tok, other)
	}

	code, body := get(t, http.MethodGet, s.URL(), tok)
	if code != http.StatusOK {
		t.Fatalf("GET with the item's token: %d %s", code, body)
	}
	var got containerCreds
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := containerCreds{AccessKeyID: "ASIAITEM", SecretAccessKey: "item-secret", Token: "item-token",
		Expiration: "2026-11-23T09:30:00Z", AccountID: "222222222222"}
	if got != want {
		t.Errorf("served %+v, want %+v", got, want)
	}

	// The SDK's own container-credentials client reads it (as every child
	// using the default chain does).
	sdk := endpointcreds.New(s.URL(), func(o *endpointcreds.Options) { o.AuthorizationToken = tok })
	c, err := sdk.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("the SDK's endpoint client: %v", err)
	}
	if c.AccessKeyID != "ASIAITEM" || c.SessionToken != "item-token" || !c.CanExpire || !c.Expires.Equal(itemCreds.Expires) {
		t.Errorf("the SDK read %+v", c)
	}

	for _, tc := range []struct {
		name, method, url, token string
		code                     int
	}{
		{"no token", http.MethodGet, s.URL(), "", http.StatusUnauthorized},
		{"another token", http.MethodGet, s.URL(), strings.Repeat("0", 64), http.StatusUnauthorized},
		{"a token's prefix", http.MethodGet, s.URL(), tok[:32], http.StatusUnauthorized},
		{"POST", http.MethodPost, s.URL(), tok, http.StatusNotFound},
		{"another path", http.MethodGet, strings.TrimSuffix(s.URL(), credPath) + "/other", tok, http.StatusNotFound},
	} {
		code, body := get(t, tc.method, tc.url, tc.token)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d (%s)", tc.name, code, tc.code, body)
		}
		if strings.Contains(body, tok) || strings.Contains(body, "item-secret") {
			t.Errorf("%s: the answer echoes a token or a secret: %s", tc.name, body)
		}
	}

	// A revoked token (its item ended) gets nothing.
	revoke()
	if code, body := get(t, http.MethodGet, s.URL(), tok); code != http.StatusUnauthorized {
		t.Errorf("GET after the item ended: %d %s", code, body)
	}
	if code, _ := get(t, http.MethodGet, s.URL(), other); code != http.StatusOK {
		t.Errorf("the other item's token stopped working when the first was revoked: %d", code)
	}
}

func TestCredServerReportsAProviderFailure(t *testing.T) {
	s, err := startCredServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok, revoke, _ := s.add(&fixedCreds{err: errors.New("AccessDenied: not authorized to perform sts:AssumeRole")})
	defer revoke()
	code, body := get(t, http.MethodGet, s.URL(), tok)
	if code != http.StatusInternalServerError || !strings.Contains(body, "CredentialsUnavailable") || !strings.Contains(body, "sts:AssumeRole") {
		t.Errorf("provider failure: %d %s, want 500 CredentialsUnavailable with the cause", code, body)
	}
}

func TestCredServerNonExpiringCredentials(t *testing.T) {
	s, err := startCredServer()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok, revoke, _ := s.add(&fixedCreds{c: aws.Credentials{AccessKeyID: "AKIA", SecretAccessKey: "s"}})
	defer revoke()
	_, body := get(t, http.MethodGet, s.URL(), tok)
	if strings.Contains(body, "Expiration") {
		t.Errorf("non-expiring credentials served with an expiration: %s", body)
	}
}
