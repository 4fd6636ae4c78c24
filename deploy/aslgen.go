// Package deploy holds the deployment artefacts of orgiam (Step Functions
// definitions, Terraform module, CloudFormation templates, IAM policies) and
// the code that derives and checks them.
package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

//go:generate go run ./stepfunctions/gen

// Paths of the two state machine definitions, relative to deploy/.
const (
	DistributedDefinitionPath = "stepfunctions/orgiam.asl.json"
	InlineDefinitionPath      = "stepfunctions/orgiam-inline.asl.json"
	// OperationsDefinitionPath is the operations fan-out machine
	// (terraform/orgiam/operations_fanout.tf).
	OperationsDefinitionPath = "stepfunctions/operations.asl.json"
)

// ModuleCopies maps each file the Terraform module carries (so that it works
// when copied out of this repository) to its source, relative to deploy/.
// go generate ./deploy writes them; a test fails when one differs.
var ModuleCopies = map[string]string{
	"terraform/orgiam/templates/orgiam.asl.json":     DistributedDefinitionPath,
	"terraform/orgiam/templates/collect-role.yaml":   "cloudformation/collect-role.yaml",
	"terraform/orgiam/templates/operations.asl.json": OperationsDefinitionPath,
}

// ScanMapState is the name of the Map state that scans every account.
const ScanMapState = "ScanAccounts"

// RegionMapState is the name of the Map state that runs the account × region
// items (the regional collectors) once every account item ran.
const RegionMapState = "ScanRegions"

// LoadItemsState is the Task state that the inline variant adds before the
// account Map: it reads the account list that the Distributed Map's
// ItemReader reads.
const LoadItemsState = "LoadItems"

// LoadRegionItemsState is the same for the region Map: it reads
// region-items.json.
const LoadRegionItemsState = "LoadRegionItems"

// InlineMaps are the Distributed Maps of the deployed machine, each with the
// Task state that reads its items in the inline variant, in the order the
// machine runs them.
var InlineMaps = []struct{ Map, Load string }{
	{ScanMapState, LoadItemsState},
	{RegionMapState, LoadRegionItemsState},
}

// templateVar matches a Terraform templatefile interpolation "${name}".
var templateVar = regexp.MustCompile(`\$\{([a-z0-9_]+)\}`)

// bareVar matches an interpolation used as a JSON value outside a string
// (a number such as MaxConcurrency), which makes the template invalid JSON.
var bareVar = regexp.MustCompile(`(:\s*)\$\{([a-z0-9_]+)\}`)

const barePrefix = "@@bare@@"

// TemplateVars returns the sorted, distinct names of the ${…} variables of a
// definition template.
func TemplateVars(tmpl []byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range templateVar.FindAllSubmatch(tmpl, -1) {
		if n := string(m[1]); !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Render substitutes every ${name} of a definition template with vals[name]
// as templatefile would, and fails on a variable without a value.
func Render(tmpl []byte, vals map[string]string) ([]byte, error) {
	var missing []string
	out := templateVar.ReplaceAllFunc(tmpl, func(m []byte) []byte {
		name := string(templateVar.FindSubmatch(m)[1])
		v, ok := vals[name]
		if !ok {
			missing = append(missing, name)
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("template variables without a value: %v", missing)
	}
	return out, nil
}

// InlineDefinition derives the inline-Map variant of the state machine from
// the Distributed Map template: the ItemReader of each Map of InlineMaps
// becomes a Load Task (aws-sdk s3:getObject + States.StringToJson) feeding
// an inline Map through ItemsPath, and the Distributed-only fields go
// (ResultWriter among them: the local interpreter has none; the inline Map
// keeps only the count of its items). The iterators (ItemSelector,
// ItemProcessor states) are copied unchanged. Template variables stay as
// they are.
func InlineDefinition(distributed []byte) ([]byte, error) {
	// Quote bare interpolations so that the template parses as JSON.
	quoted := bareVar.ReplaceAll(distributed, []byte(`$1"`+barePrefix+`$${$2}"`))
	var def map[string]any
	if err := json.Unmarshal(quoted, &def); err != nil {
		return nil, fmt.Errorf("%s: %w", DistributedDefinitionPath, err)
	}
	states, ok := def["States"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: no States object", DistributedDefinitionPath)
	}
	for _, im := range InlineMaps {
		if err := inlineMap(def, states, im.Map, im.Load); err != nil {
			return nil, fmt.Errorf("%s: %w", DistributedDefinitionPath, err)
		}
	}
	def["Comment"] = fmt.Sprintf("GENERATED from %s by `go generate ./deploy`: do not edit. "+
		"The same machine with inline Maps over the item lists read by %s and %s, for local execution tests "+
		"(no local interpreter runs a Distributed Map). Template variables: see deploy/README.md.",
		DistributedDefinitionPath, LoadItemsState, LoadRegionItemsState)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(def); err != nil {
		return nil, err
	}
	out := regexp.MustCompile(`"`+barePrefix+`(\$\{[a-z0-9_]+\})"`).ReplaceAll(buf.Bytes(), []byte("$1"))
	return out, nil
}

// inlineMap turns the Distributed Map mapName of a definition into an inline
// Map fed by a new Task state loadName.
func inlineMap(def, states map[string]any, mapName, loadName string) error {
	m, ok := states[mapName].(map[string]any)
	if !ok || m["Type"] != "Map" {
		return fmt.Errorf("state %s is not a Map", mapName)
	}
	reader, ok := m["ItemReader"].(map[string]any)
	if !ok {
		return fmt.Errorf("state %s has no ItemReader", mapName)
	}
	rp, _ := reader["Parameters"].(map[string]any)
	if rp["Bucket.$"] == nil || rp["Key.$"] == nil {
		return fmt.Errorf("%s.ItemReader.Parameters needs Bucket.$ and Key.$", mapName)
	}
	if _, exists := states[loadName]; exists {
		return fmt.Errorf("state name %s is reserved for the inline variant", loadName)
	}
	for _, s := range states {
		if st, ok := s.(map[string]any); ok && st["Next"] == mapName {
			st["Next"] = loadName
		}
	}
	if def["StartAt"] == mapName {
		def["StartAt"] = loadName
	}
	load := map[string]any{
		"Type":     "Task",
		"Comment":  fmt.Sprintf("Reads the items of %s (the Distributed Map's ItemReader in the deployed machine).", mapName),
		"Resource": "arn:aws:states:::aws-sdk:s3:getObject",
		"Parameters": map[string]any{
			"Bucket.$": rp["Bucket.$"],
			"Key.$":    rp["Key.$"],
		},
		"ResultSelector": map[string]any{"items.$": "States.StringToJson($.Body)"},
		"ResultPath":     "$.load",
		"Next":           mapName,
	}
	if c, ok := m["Catch"]; ok {
		load["Catch"] = c
	}
	states[loadName] = load

	for _, k := range []string{"ItemReader", "ResultWriter", "ItemBatcher", "ToleratedFailurePercentage",
		"ToleratedFailurePercentagePath", "ToleratedFailureCount", "ToleratedFailureCountPath", "Label"} {
		delete(m, k)
	}
	m["ItemsPath"] = "$.load.items"
	m["ResultSelector"] = map[string]any{"items.$": "States.ArrayLength($)"}
	m["ResultPath"] = "$.load"
	proc, ok := m["ItemProcessor"].(map[string]any)
	if !ok {
		return fmt.Errorf("state %s has no ItemProcessor", mapName)
	}
	proc["ProcessorConfig"] = map[string]any{"Mode": "INLINE"}
	return nil
}
