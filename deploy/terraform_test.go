package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/orgiam/orgiam/internal/lambdarunner"
)

// tfModule is what a Terraform module directory declares.
type tfModule struct {
	dir       string
	files     map[string]*hclsyntax.Body
	variables map[string]*hclsyntax.Block
	locals    map[string]bool
	resources map[string]bool // "type.name"
	data      map[string]bool // "type.name"
	modules   map[string]*hclsyntax.Block
	outputs   map[string]bool
}

func loadModule(dir string) (*tfModule, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no .tf files", dir)
	}
	m := &tfModule{
		dir: dir, files: map[string]*hclsyntax.Body{}, variables: map[string]*hclsyntax.Block{},
		locals: map[string]bool{}, resources: map[string]bool{}, data: map[string]bool{},
		modules: map[string]*hclsyntax.Block{}, outputs: map[string]bool{},
	}
	p := hclparse.NewParser()
	var errs []string
	for _, path := range paths {
		f, diags := p.ParseHCLFile(path)
		if diags.HasErrors() {
			errs = append(errs, diags.Error())
			continue
		}
		body := f.Body.(*hclsyntax.Body)
		m.files[path] = body
		for _, b := range body.Blocks {
			declare := func(kind string, set map[string]bool, key string) {
				if set[key] {
					errs = append(errs, fmt.Sprintf("%s: %s %s declared twice", b.DefRange().String(), kind, key))
				}
				set[key] = true
			}
			switch b.Type {
			case "variable":
				if _, dup := m.variables[b.Labels[0]]; dup {
					errs = append(errs, fmt.Sprintf("%s: variable %s declared twice", b.DefRange().String(), b.Labels[0]))
				}
				m.variables[b.Labels[0]] = b
			case "locals":
				for name := range b.Body.Attributes {
					declare("local", m.locals, name)
				}
			case "resource":
				declare("resource", m.resources, b.Labels[0]+"."+b.Labels[1])
			case "data":
				declare("data source", m.data, b.Labels[0]+"."+b.Labels[1])
			case "module":
				m.modules[b.Labels[0]] = b
			case "output":
				declare("output", m.outputs, b.Labels[0])
			case "terraform", "provider", "check", "moved", "import", "removed":
			default:
				errs = append(errs, fmt.Sprintf("%s: unknown top-level block %q", b.DefRange().String(), b.Type))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return m, nil
}

// referenceErrors lists every reference of the module to something it does
// not declare: var.X, local.X, resource, data source, module.
func (m *tfModule) referenceErrors() []string {
	resourceTypes := map[string]bool{}
	for r := range m.resources {
		resourceTypes[strings.SplitN(r, ".", 2)[0]] = true
	}
	var errs []string
	check := func(tr hcl.Traversal, scope map[string]bool) {
		root := tr.RootName()
		attr := func(i int) string {
			if i < len(tr) {
				if a, ok := tr[i].(hcl.TraverseAttr); ok {
					return a.Name
				}
			}
			return ""
		}
		where := tr.SourceRange().String()
		switch {
		case scope[root]:
		case root == "var":
			if _, ok := m.variables[attr(1)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: var.%s is not declared", where, attr(1)))
			}
		case root == "local":
			if !m.locals[attr(1)] {
				errs = append(errs, fmt.Sprintf("%s: local.%s is not defined", where, attr(1)))
			}
		case root == "data":
			if !m.data[attr(1)+"."+attr(2)] {
				errs = append(errs, fmt.Sprintf("%s: data.%s.%s is not declared", where, attr(1), attr(2)))
			}
		case root == "module":
			if _, ok := m.modules[attr(1)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: module.%s is not declared", where, attr(1)))
			}
		case root == "each", root == "count", root == "path", root == "terraform", root == "self":
		case resourceTypes[root] || strings.Contains(root, "_"):
			if !m.resources[root+"."+attr(1)] {
				errs = append(errs, fmt.Sprintf("%s: resource %s.%s is not declared", where, root, attr(1)))
			}
		default:
			errs = append(errs, fmt.Sprintf("%s: unknown reference %s", where, root))
		}
	}
	var walk func(body *hclsyntax.Body, scope map[string]bool, isVariable bool)
	walk = func(body *hclsyntax.Body, scope map[string]bool, isVariable bool) {
		for name, a := range body.Attributes {
			if isVariable && name == "type" {
				continue // a type constraint, not an expression
			}
			if name == "ignore_changes" {
				continue // attribute names of the resource itself
			}
			for _, tr := range a.Expr.Variables() {
				check(tr, scope)
			}
		}
		for _, b := range body.Blocks {
			inner := scope
			if b.Type == "dynamic" && len(b.Labels) == 1 {
				inner = map[string]bool{b.Labels[0]: true}
				for k := range scope {
					inner[k] = true
				}
				if it, ok := b.Body.Attributes["iterator"]; ok {
					inner[hcl.ExprAsKeyword(it.Expr)] = true
				}
			}
			walk(b.Body, inner, b.Type == "variable")
		}
	}
	for _, path := range sortedKeys(m.files) {
		walk(m.files[path], map[string]bool{}, false)
	}
	return errs
}

// templateErrors checks every templatefile call whose path is known without
// variables: the template exists and the call passes exactly its variables.
func (m *tfModule) templateErrors() []string {
	abs, _ := filepath.Abs(m.dir)
	ctx := &hcl.EvalContext{Variables: map[string]cty.Value{
		"path": cty.ObjectVal(map[string]cty.Value{"module": cty.StringVal(abs), "root": cty.StringVal(abs)}),
	}}
	var errs []string
	for _, path := range sortedKeys(m.files) {
		hclsyntax.VisitAll(m.files[path], func(n hclsyntax.Node) hcl.Diagnostics {
			call, ok := n.(*hclsyntax.FunctionCallExpr)
			if !ok || call.Name != "templatefile" {
				return nil
			}
			where := call.Range().String()
			if len(call.Args) != 2 {
				errs = append(errs, where+": templatefile needs a path and a variables object")
				return nil
			}
			v, diags := call.Args[0].Value(ctx)
			if diags.HasErrors() || !v.Type().Equals(cty.String) {
				errs = append(errs, fmt.Sprintf("%s: template path is not a constant string: %v", where, diags))
				return nil
			}
			tmpl, err := os.ReadFile(v.AsString())
			if err != nil {
				errs = append(errs, fmt.Sprintf("%s: template: %v", where, err))
				return nil
			}
			obj, ok := call.Args[1].(*hclsyntax.ObjectConsExpr)
			if !ok {
				errs = append(errs, where+": template variables are not an object constructor")
				return nil
			}
			var passed []string
			for _, item := range obj.Items {
				passed = append(passed, hcl.ExprAsKeyword(item.KeyExpr))
			}
			sort.Strings(passed)
			if want := TemplateVars(tmpl); !reflect.DeepEqual(passed, want) {
				errs = append(errs, fmt.Sprintf("%s: templatefile(%s) passes %v, the template uses %v", where, v.AsString(), passed, want))
			}
			return nil
		})
	}
	return errs
}

// moduleCallErrors checks every module call with a local source: the source
// exists, every required variable is passed, nothing undeclared is.
func (m *tfModule) moduleCallErrors() []string {
	meta := map[string]bool{"source": true, "version": true, "providers": true, "depends_on": true, "count": true, "for_each": true}
	var errs []string
	for _, name := range sortedKeys(m.modules) {
		b := m.modules[name]
		src, ok := b.Body.Attributes["source"]
		if !ok {
			errs = append(errs, fmt.Sprintf("module %s: no source", name))
			continue
		}
		v, diags := src.Expr.Value(nil)
		if diags.HasErrors() || !strings.HasPrefix(v.AsString(), ".") {
			continue // a registry or remote source: not checked here
		}
		child, err := loadModule(filepath.Join(m.dir, v.AsString()))
		if err != nil {
			errs = append(errs, fmt.Sprintf("module %s: %v", name, err))
			continue
		}
		for _, vn := range sortedKeys(child.variables) {
			_, hasDefault := child.variables[vn].Body.Attributes["default"]
			if _, passed := b.Body.Attributes[vn]; !hasDefault && !passed {
				errs = append(errs, fmt.Sprintf("module %s: required variable %s is not passed", name, vn))
			}
		}
		for an := range b.Body.Attributes {
			if _, ok := child.variables[an]; !ok && !meta[an] {
				errs = append(errs, fmt.Sprintf("module %s: %s is not a variable of %s", name, an, v.AsString()))
			}
		}
	}
	return errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

var terraformModules = []string{"terraform/orgiam", "terraform/examples/basic"}

func TestTerraformModules(t *testing.T) {
	for _, dir := range terraformModules {
		t.Run(dir, func(t *testing.T) {
			m, err := loadModule(dir)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			for _, check := range []struct {
				name string
				errs []string
			}{
				{"references", m.referenceErrors()},
				{"templatefile", m.templateErrors()},
				{"module calls", m.moduleCallErrors()},
			} {
				if len(check.errs) > 0 {
					t.Errorf("%s:\n%s", check.name, strings.Join(check.errs, "\n"))
				}
			}
			for name, v := range m.variables {
				if _, ok := v.Body.Attributes["description"]; !ok {
					t.Errorf("%s: variable %s has no description", dir, name)
				}
			}
		})
	}
}

// TestTerraformChecksCatchMistakes runs the checks above on a module with one
// mistake of each kind: each must be reported.
func TestTerraformChecksCatchMistakes(t *testing.T) {
	dir := t.TempDir()
	child := filepath.Join(dir, "child")
	if err := os.MkdirAll(child, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "tmpl.json"), `{"a": "${x}", "b": ${y}}`)
	write(filepath.Join(child, "main.tf"), `
variable "needed" { type = string }
variable "optional" {
  type    = string
  default = ""
}
`)
	write(filepath.Join(dir, "main.tf"), `
locals {
  defined = "x"
  def     = templatefile("${path.module}/tmpl.json", { x = "1" })
  missing = templatefile("${path.module}/nope.json", {})
}
resource "aws_s3_bucket" "b" {
  bucket = var.undeclared
  tags   = { a = local.undefined, b = local.defined }
}
resource "aws_iam_role" "r" {
  name = aws_s3_bucket.other.id
  dynamic "statement" {
    for_each = [1]
    content { v = statement.value }
  }
  list = [for x in [1] : x]
}
output "o" { value = data.aws_region.nope.name }
module "m" {
  source  = "./child"
  unknown = 1
}
output "p" { value = module.absent.x }
`)
	m, err := loadModule(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(append(append(m.referenceErrors(), m.templateErrors()...), m.moduleCallErrors()...), "\n")
	for _, want := range []string{
		"var.undeclared is not declared",
		"local.undefined is not defined",
		"resource aws_s3_bucket.other is not declared",
		"data.aws_region.nope is not declared",
		"module.absent is not declared",
		"passes [x], the template uses [x y]",
		"nope.json",
		"required variable needed is not passed",
		"unknown is not a variable",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("mistake not reported: %q\nreported:\n%s", want, got)
		}
	}
	for _, wrong := range []string{"statement", "local.defined", "unknown reference x"} {
		if strings.Contains(got, wrong) {
			t.Errorf("false report containing %q:\n%s", wrong, got)
		}
	}
}

func TestTerraformFmt(t *testing.T) {
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform not on PATH")
	}
	out, err := exec.Command(tf, "fmt", "-check", "-recursive", "-diff", "terraform").CombinedOutput()
	if err != nil {
		t.Fatalf("terraform fmt -check -recursive deploy/terraform: %v\n%s", err, out)
	}
}

// TestTerraformHandlers checks that the module deploys one function per
// handler of the state machine.
func TestTerraformHandlers(t *testing.T) {
	m, err := loadModule("terraform/orgiam")
	if err != nil {
		t.Fatal(err)
	}
	var handlers []string
	for _, body := range m.files {
		for _, b := range body.Blocks {
			if b.Type != "locals" {
				continue
			}
			a, ok := b.Body.Attributes["handlers"]
			if !ok {
				continue
			}
			hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
				if tpl, ok := n.(*hclsyntax.TemplateExpr); ok && tpl.IsStringLiteral() {
					v, _ := tpl.Value(nil)
					handlers = append(handlers, v.AsString())
				}
				return nil
			})
		}
	}
	sort.Strings(handlers)
	want := append([]string(nil), lambdaHandlers...)
	sort.Strings(want)
	if !reflect.DeepEqual(handlers, want) {
		t.Errorf("local.handlers = %v, want %v", handlers, want)
	}
	// Every handler is either a state machine step or standalone.
	inMachine := map[string]bool{}
	for _, h := range lambdaHandlers {
		inMachine[h] = true
	}
	for _, h := range lambdarunner.Names() {
		if inMachine[h] == (standaloneHandlers[h] != "") {
			t.Errorf("handler %s: in the state machine %v, standalone %q (exactly one)", h, inMachine[h], standaloneHandlers[h])
		}
	}
	// Each standalone handler has its own function, which names it.
	for h, f := range standaloneHandlers {
		file := filepath.Join("terraform/orgiam", f)
		b, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("handler %s: %v", h, err)
			continue
		}
		if !strings.Contains(string(b), `ORGIAM_HANDLER = "`+h+`"`) {
			t.Errorf("%s does not deploy a function with ORGIAM_HANDLER = %q", file, h)
		}
	}
}

// TestModuleCopiesInSync checks that the files the module carries are
// identical to their sources (go generate ./deploy rewrites them).
func TestModuleCopiesInSync(t *testing.T) {
	if len(ModuleCopies) == 0 {
		t.Fatal("no module copies declared")
	}
	for copyPath, src := range ModuleCopies {
		a, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(copyPath)
		if err != nil {
			t.Fatalf("%v (run `go generate ./deploy`)", err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs from %s: run `go generate ./deploy`", copyPath, src)
		}
	}
	// The module reads only files inside itself.
	m, err := loadModule("terraform/orgiam")
	if err != nil {
		t.Fatal(err)
	}
	for path, body := range m.files {
		hclsyntax.VisitAll(body, func(n hclsyntax.Node) hcl.Diagnostics {
			if call, ok := n.(*hclsyntax.FunctionCallExpr); ok && (call.Name == "file" || call.Name == "templatefile") {
				if src := string(call.Args[0].Range().SliceBytes(mustRead(t, path))); strings.Contains(src, "..") {
					t.Errorf("%s: %s(%s) reads outside the module", call.Range(), call.Name, src)
				}
			}
			return nil
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
