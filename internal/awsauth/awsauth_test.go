package awsauth

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

func TestRoleARN(t *testing.T) {
	tests := []struct{ partition, account, path, name, want string }{
		{"aws", "111122223333", "/", "orgiam-collect", "arn:aws:iam::111122223333:role/orgiam-collect"},
		{"aws-us-gov", "111122223333", "/security/", "scan", "arn:aws-us-gov:iam::111122223333:role/security/scan"},
		{"aws-cn", "111122223333", "", "scan", "arn:aws-cn:iam::111122223333:role/scan"},
		{"aws", "111122223333", "security", "scan", "arn:aws:iam::111122223333:role/security/scan"},
	}
	for _, tt := range tests {
		if got := RoleARN(tt.partition, tt.account, tt.path, tt.name); got != tt.want {
			t.Errorf("RoleARN(%q,%q,%q,%q) = %q, want %q", tt.partition, tt.account, tt.path, tt.name, got, tt.want)
		}
	}
}

func TestPartition(t *testing.T) {
	tests := []struct{ arn, region, want string }{
		{"arn:aws:sts::111122223333:assumed-role/x/y", "us-east-1", "aws"},
		{"arn:aws-cn:iam::111122223333:user/x", "us-east-1", "aws-cn"},
		{"", "cn-north-1", "aws-cn"},
		{"", "us-gov-west-1", "aws-us-gov"},
		{"", "eu-west-1", "aws"},
	}
	for _, tt := range tests {
		if got := PartitionOfARN(tt.arn, tt.region); got != tt.want {
			t.Errorf("PartitionOfARN(%q,%q) = %q, want %q", tt.arn, tt.region, got, tt.want)
		}
	}
}

func TestSessionName(t *testing.T) {
	if got := SessionName("collect 2026/11/23"); got != "orgiam-collect-2026-11-23" {
		t.Fatalf("got %q", got)
	}
	long := SessionName(string(make([]byte, 100)))
	if len(long) != 64 {
		t.Fatalf("session name not capped: %d", len(long))
	}
}

func TestSDKLogLinesGoToTheLogger(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	cfg, err := LoadBase(context.Background(), Options{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAEXAMPLE", "secret", ""),
		Logger:      log,
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger.Logf(logging.Warn, "response checksum mismatch: %v", "crc32")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON record: %q", buf.String())
	}
	if rec["level"] != "WARN" || rec["source"] != "aws-sdk" || rec["msg"] != "response checksum mismatch: crc32" {
		t.Errorf("record %v", rec)
	}
}

func TestSDKBodyDrainWarningIsDebug(t *testing.T) {
	var buf bytes.Buffer
	l := sdkLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	l.Logf(logging.Warn, "failed to discard remaining HTTP response body, this may affect connection reuse: %v", "read tcp: use of closed network connection")
	if buf.Len() != 0 {
		t.Fatalf("body-drain warning printed at info level: %s", buf.String())
	}
	l.Logf(logging.Warn, "some other SDK warning %d", 1)
	if !strings.Contains(buf.String(), "level=WARN") || !strings.Contains(buf.String(), "some other SDK warning 1") {
		t.Fatalf("other warnings must stay warnings: %q", buf.String())
	}
}
