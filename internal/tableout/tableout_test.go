package tableout

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	cols := []string{"name", "account"}
	rows := [][]string{{"alice", "111122223333"}, {"bob, the \"admin\"", "4"}, {"short"}}
	tests := []struct {
		format string
		want   string
	}{
		{"table", "NAME              ACCOUNT\nalice             111122223333\nbob, the \"admin\"  4\nshort             \n"},
		{"csv", "name,account\nalice,111122223333\n\"bob, the \"\"admin\"\"\",4\nshort,\n"},
		{"json", "[\n  {\"name\": \"alice\", \"account\": \"111122223333\"},\n  {\"name\": \"bob, the \\\"admin\\\"\", \"account\": \"4\"},\n  {\"name\": \"short\", \"account\": \"\"}\n]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := Write(&b, tt.format, cols, rows); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", b.String(), tt.want)
			}
		})
	}
}

func TestWriteRoundTrip(t *testing.T) {
	cols := []string{"b", "a"}
	rows := [][]string{{"x\ny", "é"}}
	var j bytes.Buffer
	if err := (Rows{Columns: cols, Data: rows}).Write(&j, "json"); err != nil {
		t.Fatal(err)
	}
	var objs []map[string]string
	if err := json.Unmarshal(j.Bytes(), &objs); err != nil {
		t.Fatalf("json output does not parse: %v\n%s", err, j.String())
	}
	if len(objs) != 1 || objs[0]["b"] != "x\ny" || objs[0]["a"] != "é" {
		t.Errorf("json round trip: %v", objs)
	}
	var c bytes.Buffer
	if err := Write(&c, "CSV", cols, rows); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "x\ny" {
		t.Errorf("csv round trip: %v %v", recs, err)
	}
	var tb bytes.Buffer
	if err := Write(&tb, "table", cols, rows); err != nil {
		t.Fatal(err)
	}
	if strings.Count(tb.String(), "\n") != 2 {
		t.Errorf("a table cell with a newline must stay on one line:\n%s", tb.String())
	}
}

func TestWriteEmptyJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "json", []string{"a"}, nil); err != nil {
		t.Fatal(err)
	}
	if b.String() != "[]\n" {
		t.Errorf("got %q", b.String())
	}
}

func TestWriteErrors(t *testing.T) {
	var b bytes.Buffer
	err := Write(&b, "yaml", []string{"a"}, nil)
	if err == nil || !strings.Contains(err.Error(), "table, json, csv") {
		t.Errorf("unknown format: got %v, want an error listing the valid formats", err)
	}
	err = Write(&b, "csv", []string{"a"}, [][]string{{"1", "2"}})
	if err == nil || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("long row: got %v", err)
	}
}
