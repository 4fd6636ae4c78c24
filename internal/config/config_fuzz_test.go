package config

import (
	"errors"
	"testing"
)

// FuzzConfigFile: any file either loads into a valid configuration or is
// refused with an *Error naming the file.
func FuzzConfigFile(f *testing.F) {
	f.Add([]byte("concurrency: 10\naccounts:\n  - \"111111111111\"\n"))
	f.Add([]byte("concurrency: 1\nconcurrency: 2\n"))
	f.Add([]byte("notify: [\"webhook:https://h/x,y\"]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("accounts: ,\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Defaults()
		err := applyYAML(c, "f.yaml", data)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Source) < len("f.yaml") || ce.Source[:6] != "f.yaml" {
				t.Fatalf("error not naming the file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("validation error of type %T: %v", err, err)
			}
			return
		}
		for _, a := range c.Accounts {
			if a == "" {
				t.Fatal("an empty account id was accepted")
			}
		}
	})
}
