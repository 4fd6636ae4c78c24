package execrun

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// credServer serves each running item's credentials on a loopback port the
// way the ECS container credentials endpoint does: GET with the item's
// token in the Authorization header returns {AccessKeyId, SecretAccessKey,
// Token, Expiration}. A child finds it through
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN,
// which every AWS SDK and the AWS CLI read; they fetch fresh credentials
// before the ones they hold expire, so a command may outlive one role
// session. A token is valid while its item runs, and only for that item's
// account.
type credServer struct {
	ln  net.Listener
	srv *http.Server
	url string

	mu    sync.Mutex
	items map[string]aws.CredentialsProvider
}

// credPath is the endpoint's path.
const credPath = "/credentials"

func startCredServer() (*credServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &credServer{ln: ln, url: "http://" + ln.Addr().String() + credPath, items: map[string]aws.CredentialsProvider{}}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the value of AWS_CONTAINER_CREDENTIALS_FULL_URI.
func (s *credServer) URL() string { return s.url }

// add registers an item's credentials and returns its token and the
// function that revokes it.
func (s *credServer) add(p aws.CredentialsProvider) (string, func(), error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	tok := hex.EncodeToString(b)
	s.mu.Lock()
	s.items[tok] = p
	s.mu.Unlock()
	return tok, func() {
		s.mu.Lock()
		delete(s.items, tok)
		s.mu.Unlock()
	}, nil
}

func (s *credServer) lookup(tok string) aws.CredentialsProvider {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, p := range s.items {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			return p
		}
	}
	return nil
}

type containerCreds struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration,omitempty"`
	AccountID       string `json:"AccountId,omitempty"`
}

type credError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *credServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(credError{Code: code, Message: msg})
	}
	if r.URL.Path != credPath || r.Method != http.MethodGet {
		fail(http.StatusNotFound, "NotFound", "GET "+credPath+" only")
		return
	}
	p := s.lookup(r.Header.Get("Authorization"))
	if p == nil {
		// The token is never echoed.
		fail(http.StatusUnauthorized, "Unauthorized", "no running item has this token")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	c, err := p.Retrieve(ctx)
	if err != nil {
		fail(http.StatusInternalServerError, "CredentialsUnavailable", err.Error())
		return
	}
	out := containerCreds{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken, AccountID: c.AccountID}
	if c.CanExpire {
		out.Expiration = c.Expires.UTC().Format(time.RFC3339)
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (s *credServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
