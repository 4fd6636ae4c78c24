package access

import "testing"

// TestDocCache: a text is compiled once whatever it is named; each name
// gets its own Policy sharing the statements, the same name and text the
// same Policy, and a text that does not compile fails under every name.
func TestDocCache(t *testing.T) {
	c := &docCache{}
	doc := []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)
	a1, err := c.compile("inline:a", doc)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.compile("inline:b", append([]byte(nil), doc...))
	a2, _ := c.compile("inline:a", doc)
	b2, _ := c.compile("inline:b", doc)
	if a1 != a2 || b != b2 {
		t.Error("the same name and text gave different policies")
	}
	if a1 == b || a1.Name != "inline:a" || b.Name != "inline:b" {
		t.Errorf("names: %q, %q", a1.Name, b.Name)
	}
	if len(a1.Statements) != 1 || &a1.Statements[0] != &b.Statements[0] {
		t.Error("the statements are not shared")
	}
	if len(c.texts) != 1 {
		t.Errorf("%d texts compiled, want 1", len(c.texts))
	}
	for _, name := range []string{"x", "y"} {
		if _, err := c.compile(name, []byte(`{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)); err == nil {
			t.Errorf("%s: a bad Effect compiled", name)
		}
	}
}
