package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

// Placeholders of the embedded style and script in the HTML goldens: the
// goldens hold what the writer made of the data (head, rows, summary), and
// report.css and report.js are checked in a browser (html_browser_test.go),
// so a change of the script does not rewrite every golden file.
const (
	goldenCSS = "/* internal/report/html/report.css */"
	goldenJS  = "/* internal/report/html/report.js */"
)

// withoutAssets is an HTML report with its embedded report.css and
// report.js replaced by placeholders; other files are returned as they are.
func withoutAssets(t *testing.T, name string, b []byte) []byte {
	t.Helper()
	if !strings.HasSuffix(name, ".html") {
		return b
	}
	css, js := []byte("<style>"+htmlCSS+"</style>"), []byte("<script>"+htmlJS+"</script>")
	if bytes.Count(b, css) != 1 || bytes.Count(b, js) != 1 {
		t.Fatalf("%s: the embedded style or script is not there once", name)
	}
	b = bytes.Replace(b, css, []byte("<style>"+goldenCSS+"</style>"), 1)
	b = bytes.Replace(b, js, []byte("<script>"+goldenJS+"</script>"), 1)
	// The policy names the script by its hash.
	sum := sha256.Sum256([]byte(htmlJS))
	// html/template writes a "+" of the base64 hash as "&#43;" in the
	// attribute; the browser reads the value unescaped.
	hash := []byte(strings.ReplaceAll("sha256-"+base64.StdEncoding.EncodeToString(sum[:]), "+", "&#43;"))
	if bytes.Count(b, hash) != 1 {
		t.Fatalf("%s: the Content-Security-Policy does not name report.js by its hash", name)
	}
	return bytes.Replace(b, hash, []byte("sha256-(report.js)"), 1)
}
