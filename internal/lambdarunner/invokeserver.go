package lambdarunner

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/orgiam/orgiam/internal/config"
)

// InvokeServer implements the Lambda Invoke API
// (POST /2015-03-31/functions/{FunctionName}/invocations) over local
// handlers, so a local Step Functions interpreter can call the real Go
// handlers: point AWS_ENDPOINT_URL_LAMBDA at it. ORGIAM_DEBUG_INVOKE=1 logs
// every invocation's input and output on stderr. A function name (or ARN)
// maps to a handler by its last "-"-separated words, e.g.
// "orgiam-scan-account" or "arn:aws:lambda:…:function:orgiam-scan-account"
// → "scan-account".
type InvokeServer struct {
	Handlers map[string]Func

	mu    sync.Mutex
	calls map[string]int
	srv   *http.Server
	ln    net.Listener
}

// Calls returns how many times each handler was invoked.
func (s *InvokeServer) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// Start serves on a free loopback port and returns its URL.
func (s *InvokeServer) Start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.ln = ln
	s.srv = &http.Server{Handler: s}
	go s.srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server.
func (s *InvokeServer) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// handlerFor finds the handler of an Invoke's FunctionName: a name, a
// partial ARN (account:function:name) or a full ARN, each with an optional
// :qualifier. Split by hand, since arn.Parse refuses the name and partial
// forms Lambda accepts.
func (s *InvokeServer) handlerFor(function string) (string, Func) {
	if i := strings.LastIndex(function, ":function:"); i >= 0 {
		function = function[i+len(":function:"):]
	}
	if i := strings.Index(function, ":"); i >= 0 { // qualifier
		function = function[:i]
	}
	// The longest matching handler name wins: "orgiam-credential-report"
	// is credential-report, not report.
	best := ""
	for name := range s.Handlers {
		if (function == name || strings.HasSuffix(function, "-"+name)) && len(name) > len(best) {
			best = name
		}
	}
	if best == "" {
		return "", nil
	}
	return best, s.Handlers[best]
}

// ServeHTTP answers Invoke like Lambda: 200 with the result, or 200 with
// X-Amz-Function-Error: Unhandled and {"errorMessage","errorType"} when the
// handler fails; 404 ResourceNotFoundException for an unknown function.
func (s *InvokeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2015-03-31/functions/"
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, prefix) || !strings.HasSuffix(r.URL.Path, "/invocations") {
		http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
		return
	}
	fn := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, prefix), "/invocations")
	name, h := s.handlerFor(fn)
	w.Header().Set("Content-Type", "application/json")
	if h == nil {
		w.Header().Set("X-Amzn-Errortype", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"Type":"User","message":"Function not found: %s"}`, fn)
		return
	}
	s.mu.Lock()
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[name]++
	s.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	out, err := h(r.Context(), json.RawMessage(body))
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	if err != nil {
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		json.NewEncoder(w).Encode(map[string]any{"errorMessage": err.Error(), "errorType": "OrgiamError"})
		return
	}
	data, _ := json.Marshal(out)
	if config.EnvValue("debug-invoke", os.LookupEnv) != "" {
		fmt.Fprintf(os.Stderr, "invoke %s %s -> %s\n", name, body, data)
	}
	w.Write(data)
}
