package execrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"time"

	"github.com/orgiam/orgiam/internal/pipeline"
)

// runner runs the items of one run.
type runner struct {
	env   *pipeline.Env
	o     Options
	run   string
	log   *slog.Logger
	creds *credServer // nil with CredentialsEnv
}

// runItem runs the command in one account × region and stores its output
// and result. It never returns an error: what went wrong is the result.
func (r *runner) runItem(ctx context.Context, it item) Result {
	res := Result{AccountID: it.AccountID, AccountName: it.AccountName, Region: it.Region}
	t0 := time.Now()
	if r.env.Now != nil {
		res.Started = r.env.Now().UTC()
	} else {
		res.Started = t0.UTC()
	}
	stdout, stderr := newCapture(r.o.MaxOutput), newCapture(r.o.MaxOutput)
	res.Status, res.ExitCode, res.Error = r.execute(ctx, it, stdout, stderr)
	res.DurationSeconds = time.Since(t0).Seconds()
	res.StdoutBytes, res.StderrBytes = stdout.Total(), stderr.Total()
	res.Truncated = stdout.Truncated() || stderr.Truncated()
	out := stdout.Bytes()
	res.lastLine = lastLine(out)

	// The output is kept even when the run is being stopped.
	sctx := context.WithoutCancel(ctx)
	res.Stdout = ItemKey(r.run, it.AccountID, it.Region, "stdout")
	res.Stderr = ItemKey(r.run, it.AccountID, it.Region, "stderr")
	for _, p := range []struct {
		key  string
		data []byte
	}{{res.Stdout, out}, {res.Stderr, stderr.Bytes()}} {
		if err := r.env.Store.Put(sctx, p.key, p.data); err != nil {
			r.log.Error("item output not stored", "account", it.AccountID, "region", it.Region, "key", p.key, "error", err.Error())
			if res.Error == "" {
				res.Error = "output not stored: " + err.Error()
			}
		}
	}
	if err := putJSON(sctx, r.env.Store, ItemKey(r.run, it.AccountID, it.Region, "result.json"), res); err != nil {
		r.log.Error("item result not stored", "account", it.AccountID, "region", it.Region, "error", err.Error())
	}
	lvl := slog.LevelDebug
	if res.Status != StatusOK {
		lvl = slog.LevelWarn
	}
	r.log.Log(ctx, lvl, "item "+res.Status, "account", it.AccountID, "region", it.Region, "exit", exitText(res.ExitCode), "error", res.Error, "duration", time.Duration(res.DurationSeconds*float64(time.Second)).Round(time.Millisecond))
	return res
}

// execute runs the command and says how it ended.
func (r *runner) execute(ctx context.Context, it item, stdout, stderr *capture) (status string, exit *int, msg string) {
	// The credentials first: a role that cannot be assumed is the item's
	// error, reported as such, and the command does not run.
	creds, err := it.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctxStatus(ctx), nil, ctxMsg(ctx, r.o.Timeout)
		}
		return StatusError, nil, fmt.Sprintf("account %s: assume %s: %v", it.AccountID, r.env.CollectRoleARN(it.AccountID), err)
	}
	var token string
	if r.creds != nil {
		tok, revoke, err := r.creds.add(it.cfg.Credentials)
		if err != nil {
			return StatusError, nil, "credential token: " + err.Error()
		}
		defer revoke()
		token = tok
	}
	ictx := ctx
	if r.o.Timeout > 0 {
		var cancel context.CancelFunc
		ictx, cancel = context.WithTimeout(ctx, r.o.Timeout)
		defer cancel()
	}
	endpoint := ""
	if r.creds != nil {
		endpoint = r.creds.URL()
	}
	cmd := exec.CommandContext(ictx, r.o.Command[0], r.o.Command[1:]...)
	cmd.Env = childEnv(r.o.Environ, it, r.o.Params, r.o.Credentials, creds, endpoint, token)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	ownGroup(cmd)
	// Stopping an item stops its whole process group: SIGTERM, then after
	// the grace period the leader is killed and the pipes are closed.
	cmd.Cancel = func() error { return signalGroup(cmd, false) }
	cmd.WaitDelay = r.o.Grace
	err = cmd.Start()
	if err != nil {
		return StatusError, nil, "start: " + unwrapExec(err).Error()
	}
	err = cmd.Wait()
	// Whatever the command left running in its group ends with it.
	_ = signalGroup(cmd, true)
	code := cmd.ProcessState.ExitCode()
	if code >= 0 {
		exit = &code
	}
	switch {
	case ictx.Err() != nil:
		return ctxStatus(ictx), exit, ctxMsg(ictx, r.o.Timeout)
	case err == nil:
		return StatusOK, exit, ""
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if code < 0 {
			return StatusFailed, exit, ee.Error()
		}
		return StatusFailed, exit, fmt.Sprintf("exit status %d", code)
	}
	if errors.Is(err, exec.ErrWaitDelay) {
		// It exited 0 but left its output open: the output is cut there.
		return StatusOK, exit, ""
	}
	return StatusError, exit, err.Error()
}

func ctxStatus(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return StatusTimeout
	}
	return StatusCancelled
}

func ctxMsg(ctx context.Context, timeout time.Duration) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("timed out after %v (--timeout); stopped", timeout)
	}
	return "stopped: the run was interrupted"
}

func exitText(code *int) string {
	if code == nil {
		return "-"
	}
	return fmt.Sprint(*code)
}

// lastLine is the last non-empty line of out.
func lastLine(out []byte) string {
	out = bytes.TrimRight(out, " \t\r\n")
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[i+1:]
	}
	return string(bytes.TrimSpace(out))
}
