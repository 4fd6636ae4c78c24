package policygen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orgiam/orgiam/internal/iamdata"
	"github.com/orgiam/orgiam/internal/policygen/trailgen"
)

// A trail full of distinct event names nobody maps, and of distinct
// objects, keeps a bounded number of each per principal, and loses no
// count.
func TestMemoryBounds(t *testing.T) {
	dir := t.TempDir()
	const n = 600
	var recs []string
	for i := range n {
		id := `"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"}`
		recs = append(recs,
			fmt.Sprintf(`{"eventTime":"2026-11-01T10:00:00Z","eventSource":"made-up.amazonaws.com","eventName":"Crafted%d",%s}`, i, id),
			fmt.Sprintf(`{"eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventCategory":"Data","requestParameters":{"bucketName":"b","key":"k%d"},%s}`, i, id))
	}
	for f := range 3 { // three files, so the workers' results are merged too
		p := filepath.Join(dir, fmt.Sprintf("t%d.json", f))
		if err := os.WriteFile(p, []byte(`{"Records":[`+strings.Join(recs, ",")+`]}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	act, err := Read(context.Background(), Dir(dir), iamdata.MustLoad(), ReadOptions{Workers: 3, Resources: ResourcesExact, MaxResources: 50})
	if err != nil {
		t.Fatal(err)
	}
	pa := act.Principals[keyOf(t, "arn:aws:iam::111122223333:user/alice")]
	if pa == nil {
		t.Fatal("alice not read")
	}
	total := 0
	for _, c := range pa.Unmapped {
		total += c
	}
	if len(pa.Unmapped) > maxUnmapped+1 || total != 3*n || pa.Unmapped[OtherUnmapped] == 0 {
		t.Errorf("unmapped: %d keys, %d events (other %d); want ≤ %d keys, %d events", len(pa.Unmapped), total, pa.Unmapped[OtherUnmapped], maxUnmapped+1, 3*n)
	}
	if got := len(pa.Used["s3:GetObject"]); got > 50 || got == 0 || !pa.Generalised["s3:GetObject"] {
		t.Errorf("s3:GetObject resources: %d (generalised %v); want 1..50, generalised", got, pa.Generalised["s3:GetObject"])
	}
}

// A generated-on-demand trail reads like a written one: the policies hold
// exactly the actions the stream says it used.
func TestStreamTrail(t *testing.T) {
	s, err := trailgen.NewStream(trailgen.Config{Seed: 5, Accounts: 2, UsersPerAccount: 2, RolesPerAccount: 2, Files: 8, EventsPerFile: 200, Start: start, Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	act, err := Read(context.Background(), s, iamdata.MustLoad(), ReadOptions{Since: start, Until: start.AddDate(0, 0, 1), Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := s.Actions()
	if len(want) == 0 || len(act.Principals) != len(want) {
		t.Fatalf("principals: read %d, stream used %d", len(act.Principals), len(want))
	}
	for arn, acts := range want {
		pa := act.Principals[keyOf(t, arn)]
		if pa == nil {
			t.Fatalf("%s not read", arn)
		}
		for a := range acts {
			if _, ok := pa.Used[a]; !ok {
				t.Errorf("%s: %s used but not read", arn, a)
			}
		}
		if len(pa.Used) != len(acts) {
			t.Errorf("%s: read %d actions, stream used %d", arn, len(pa.Used), len(acts))
		}
	}
}
