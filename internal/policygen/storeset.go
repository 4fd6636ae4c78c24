package policygen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/orgiam/orgiam/internal/store"
)

// Generation is the record of one complete set of generated files in a
// run's policies/ folder (store.PolicyGenerationFile).
type Generation struct {
	Version   int              `json:"version"`
	Generated string           `json:"generated"` // RFC 3339, UTC
	Files     []GenerationFile `json:"files"`     // sorted by name
}

// GenerationFile is one file of a Generation.
type GenerationFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// ErrIncomplete says a run's policies/ folder holds no complete generation.
var ErrIncomplete = errors.New("no complete policy generation")

// WriteGeneration writes files as one set under run's policies/ folder.
// The store has no rename, so the set is made safe by its record, written
// last: the previous record is deleted first (from then on readers see no
// complete set), the files are PUT, files under policies/ that are not in
// this set are deleted, and only then is the new record written. A failure on the way leaves no record, so nothing half-written
// looks complete; ReadGeneration also checks each file's hash, which
// catches a writer that died after another one wrote its record.
func WriteGeneration(ctx context.Context, st store.Store, run string, files map[string][]byte, now time.Time) error {
	recKey := store.PolicyKey(run, store.PolicyGenerationFile)
	// Everything under policies/ is the previous generations' (an earlier
	// failed one's too, whose record was never written).
	folder := store.PolicyKey(run, "") + "/"
	old, err := st.List(ctx, folder)
	if err != nil {
		return err
	}
	if err := st.Delete(ctx, recKey); err != nil {
		return err
	}
	gen := Generation{Version: 1, Generated: now.UTC().Format(time.RFC3339), Files: []GenerationFile{}}
	for _, n := range SortedNames(files) {
		if n == store.PolicyGenerationFile || strings.HasPrefix(n, "/") || strings.Contains(n, "..") {
			return fmt.Errorf("policy file name %q is not allowed", n)
		}
		if err := st.Put(ctx, store.PolicyKey(run, n), files[n]); err != nil {
			return err
		}
		sum := sha256.Sum256(files[n])
		gen.Files = append(gen.Files, GenerationFile{Name: n, SHA256: hex.EncodeToString(sum[:]), Bytes: len(files[n])})
	}
	for _, k := range old {
		if _, ok := files[strings.TrimPrefix(k, folder)]; !ok && k != recKey {
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
		}
	}
	b, err := json.MarshalIndent(gen, "", "  ")
	if err != nil {
		return err
	}
	return st.Put(ctx, recKey, append(b, '\n'))
}

// ReadGeneration returns the files of run's last complete policy
// generation, checked against its record. A missing record, or a file
// missing or different from what the record says, gives an error wrapping
// ErrIncomplete.
func ReadGeneration(ctx context.Context, st store.Store, run string) (Generation, map[string][]byte, error) {
	var gen Generation
	b, err := st.Get(ctx, store.PolicyKey(run, store.PolicyGenerationFile))
	if errors.Is(err, store.ErrNotFound) {
		return gen, nil, fmt.Errorf("run %s: %w (no %s)", run, ErrIncomplete, store.PolicyGenerationFile)
	} else if err != nil {
		return gen, nil, err
	}
	if err := json.Unmarshal(b, &gen); err != nil {
		return gen, nil, fmt.Errorf("run %s: %w: %s: %v", run, ErrIncomplete, store.PolicyGenerationFile, err)
	}
	files := map[string][]byte{}
	for _, f := range gen.Files {
		data, err := st.Get(ctx, store.PolicyKey(run, f.Name))
		if errors.Is(err, store.ErrNotFound) {
			return gen, nil, fmt.Errorf("run %s: %w: %s is missing", run, ErrIncomplete, f.Name)
		} else if err != nil {
			return gen, nil, err
		}
		if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
			return gen, nil, fmt.Errorf("run %s: %w: %s is not the file the generation wrote", run, ErrIncomplete, f.Name)
		}
		files[f.Name] = data
	}
	return gen, files, nil
}
