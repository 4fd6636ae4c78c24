package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/orgiam/orgiam/internal/index"
	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// IndexInput names the run to index.
type IndexInput struct {
	Run string `json:"run"`
}

// IndexOutput says where the index is and what it holds.
type IndexOutput struct {
	Run        string `json:"run"`
	Key        string `json:"key"`
	Rows       int    `json:"rows"`
	Principals int    `json:"principals"`
	Statements int    `json:"statements"`
	Bytes      int64  `json:"bytes"`
}

// Index builds index.sqlite from the run's stored files only (so it can be
// rebuilt at any time) in a local temporary folder, then stores it in the run.
// It reads the accounts one by one and findings.json as a stream: memory
// does not grow with the organization.
func Index(ctx context.Context, env *Env, in IndexInput) (IndexOutput, error) {
	out := IndexOutput{Run: in.Run, Key: store.IndexKey(in.Run)}
	dir, err := os.MkdirTemp("", "orgiam-index-")
	if err != nil {
		return out, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "index.sqlite")
	st, err := index.Build(ctx, snapshot.Reader{Store: env.Store, Run: in.Run}, path, index.BuildOptions{ToolVersion: env.Version, Now: env.now})
	if err != nil {
		return out, fmt.Errorf("index %s: %w", in.Run, err)
	}
	if err := markComplete(ctx, env, in.Run, path); err != nil {
		return out, err
	}
	// Streamed from the file: the index is hundreds of megabytes at 10,000
	// accounts.
	f, err := os.Open(path)
	if err != nil {
		return out, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return out, err
	}
	if err := store.PutReader(ctx, env.Store, out.Key, f, fi.Size()); err != nil {
		return out, err
	}
	env.objects.Add(1)
	out.Rows, out.Principals, out.Statements, out.Bytes = st.Rows, st.Principals, st.Statements, st.Bytes
	env.logger().Info("index built", "run", in.Run, "rows", st.Rows, "bytes", st.Bytes, "duration", st.Duration.Round(1e6))
	return out, nil
}

// StandardSteps installs the steps that follow the scan, as configured:
// reports, then the index (it loads the findings report), and, once the run is
// complete, the notification.
func (e *Env) StandardSteps() {
	e.PostScan, e.AfterManifest = nil, nil
	if e.Cfg.Reports {
		e.PostScan = append(e.PostScan, Step{Name: "report", Run: func(ctx context.Context, env *Env, run string) error {
			_, err := Report(ctx, env, ReportInput{Run: run})
			return err
		}})
	}
	if e.Cfg.Index {
		e.PostScan = append(e.PostScan, Step{Name: "index", Run: func(ctx context.Context, env *Env, run string) error {
			_, err := Index(ctx, env, IndexInput{Run: run})
			return err
		}})
	}
	if e.Cfg.Reports {
		e.PostScan = append(e.PostScan, diffStep)
	}
	if len(e.Cfg.Notify) > 0 {
		e.AfterManifest = append(e.AfterManifest, Step{Name: "notify", Run: func(ctx context.Context, env *Env, run string) error {
			_, err := Notify(ctx, env, NotifyInput{Run: run})
			return err
		}})
	}
}
