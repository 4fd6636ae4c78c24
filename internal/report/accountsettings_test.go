package report

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/snapshot"
	"github.com/orgiam/orgiam/internal/store"
)

// copyTree copies the folder src into a new temporary folder (so tests may
// write to it).
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestAccountSettingsBeforeAccountJSON reads a stored run written before the
// security contact and the server certificates moved into account.json, and
// the same run rewritten as orgiam writes it now: the accounts load the same
// settings and every report is the same.
func TestAccountSettingsBeforeAccountJSON(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const run = "2026-11-20"
	before := snapshot.Reader{Store: store.NewFile(copyTree(t, filepath.Join("testdata", "store-before-account-settings"))), Run: run}
	nowDir := copyTree(t, filepath.Join("testdata", "store-before-account-settings"))
	now := snapshot.Reader{Store: store.NewFile(nowDir), Run: run}

	// Rewrite the copy in today's layout: the settings in account.json,
	// their own files gone.
	ids := []string{"555555555555", "666666666666"}
	for _, id := range ids {
		info, err := now.AccountInfo(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var contact snapshot.SecurityContact
		if err := snapshot.ReadJSON(ctx, now.Store, store.IAMKey(run, id, store.LegacyDataSecurityContact), &contact); err != nil {
			t.Fatal(err)
		}
		info.SecurityContact = &contact
		var certs []snapshot.ServerCertificate
		err = snapshot.ReadJSON(ctx, now.Store, store.IAMKey(run, id, store.LegacyDataServerCertificates), &certs)
		switch {
		case err == nil:
			info.ServerCertificates = certs
		case !errors.Is(err, store.ErrNotFound):
			t.Fatal(err)
		}
		info.SchemaVersion = snapshot.SchemaVersion
		data, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		if err := now.Store.Put(ctx, store.AccountKey(run, id), data); err != nil {
			t.Fatal(err)
		}
		for _, ds := range []string{store.LegacyDataSecurityContact, store.LegacyDataServerCertificates} {
			if err := os.Remove(filepath.Join(nowDir, filepath.FromSlash(store.IAMKey(run, id, ds)))); err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
		}
	}

	accounts, err := before.Accounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range accounts {
		old, cur := loadAccount(ctx, before, i, a), loadAccount(ctx, now, i, a)
		if len(old.problems)+len(cur.problems) != 0 {
			t.Fatalf("account %s: problems %v / %v", a.ID, old.problems, cur.problems)
		}
		if !reflect.DeepEqual(old.contact, cur.contact) || !reflect.DeepEqual(old.certs, cur.certs) {
			t.Errorf("account %s: before contact %+v certs %+v; now contact %+v certs %+v", a.ID, old.contact, old.certs, cur.contact, cur.certs)
		}
		// What the stored files say, so that the comparison cannot pass
		// on two empty loads.
		switch a.ID {
		case "555555555555":
			if old.contact == nil || old.contact.Status != snapshot.ContactSet || len(old.certs) != 2 {
				t.Errorf("account %s: contact %+v, %d certificates, want set and 2", a.ID, old.contact, len(old.certs))
			}
		case "666666666666":
			if old.contact == nil || old.contact.Status != snapshot.ContactNotSet || old.certs != nil {
				t.Errorf("account %s: contact %+v, certificates %v, want not-set and absent", a.ID, old.contact, old.certs)
			}
		}
	}

	o := Options{Now: fixtureNow}
	oldDocs, curDocs := docs(t, before, o), docs(t, now, o)
	for kind, d := range oldDocs {
		ob, _ := json.Marshal(d)
		cb, _ := json.Marshal(curDocs[kind])
		if string(ob) != string(cb) {
			t.Errorf("%s differs:\n before %s\n now    %s", kind, ob, cb)
		}
	}
	// The expired certificate and the missing contact are findings of the
	// old run too.
	f, err := Findings(ctx, before, o)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := json.Marshal(f)
	for _, want := range []string{"arn:aws:iam::555555555555:server-certificate/old-lb", "The account has no security contact."} {
		if !strings.Contains(string(fb), want) {
			t.Errorf("findings of the old run lack %q", want)
		}
	}
}
