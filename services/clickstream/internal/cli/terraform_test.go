package cli

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/clickstream/clickstream/services/platform/config"
)

// terraformDir is the repository's terraform/, seen from this package.
var terraformDir = filepath.Join("..", "..", "..", "..", "terraform")

// plainOutputs are the outputs config generate reads that hold no secret;
// every other one must be declared sensitive.
var plainOutputs = []string{"kafka_events_topic", "opensearch_username"}

// tfConfig is what the tests need of the Terraform configuration.
type tfConfig struct {
	outputs   map[string]bool // name: declared sensitive
	variables map[string]bool // name: has a default
	locals    map[string]bool
	resources map[string]bool // "type.name"
	data      map[string]bool // "type.name"
	refs      []tfRef
}

// tfRef is one reference in an expression, with where it is.
type tfRef struct {
	traversal hcl.Traversal
	at        hcl.Range
}

var tfFileSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: "terraform"},
	{Type: "provider", LabelNames: []string{"name"}},
	{Type: "variable", LabelNames: []string{"name"}},
	{Type: "locals"},
	{Type: "output", LabelNames: []string{"name"}},
	{Type: "resource", LabelNames: []string{"type", "name"}},
	{Type: "data", LabelNames: []string{"type", "name"}},
	{Type: "module", LabelNames: []string{"name"}},
}}

var tfVariableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"}, {Name: "sensitive"}, {Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

// readTerraform parses every .tf file of terraform/ with the HCL parser
// Terraform uses and collects the declarations and references.
func readTerraform(t *testing.T) *tfConfig {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(terraformDir, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .tf files in %s (%v)", terraformDir, err)
	}
	c := &tfConfig{
		outputs: map[string]bool{}, variables: map[string]bool{}, locals: map[string]bool{},
		resources: map[string]bool{}, data: map[string]bool{},
	}
	p := hclparse.NewParser()
	for _, name := range files {
		f, diags := p.ParseHCLFile(name)
		if diags.HasErrors() {
			t.Fatalf("parse: %s", diags.Error())
		}
		content, diags := f.Body.Content(tfFileSchema)
		if diags.HasErrors() {
			t.Fatalf("%s: %s", name, diags.Error())
		}
		for _, b := range content.Blocks {
			switch b.Type {
			case "output":
				c.outputs[b.Labels[0]] = outputSensitive(t, b)
			case "variable":
				v, diags := b.Body.Content(tfVariableSchema)
				if diags.HasErrors() {
					t.Fatalf("variable %s: %s", b.Labels[0], diags.Error())
				}
				_, hasDefault := v.Attributes["default"]
				c.variables[b.Labels[0]] = hasDefault
			case "locals":
				attrs, diags := b.Body.JustAttributes()
				if diags.HasErrors() {
					t.Fatalf("locals: %s", diags.Error())
				}
				for n := range attrs {
					c.locals[n] = true
				}
			case "resource":
				c.resources[b.Labels[0]+"."+b.Labels[1]] = true
			case "data":
				c.data[b.Labels[0]+"."+b.Labels[1]] = true
			}
		}
		for _, b := range f.Body.(*hclsyntax.Body).Blocks {
			c.collectRefs(b.Body, b.Type == "variable")
		}
	}
	return c
}

// collectRefs gathers the references in a body's expressions. A variable's
// type constraint, a provider selection and the lifecycle block hold
// keywords and attribute paths rather than references, and are skipped.
func (c *tfConfig) collectRefs(body *hclsyntax.Body, variable bool) {
	for name, a := range body.Attributes {
		if (variable && name == "type") || name == "provider" {
			continue
		}
		hclsyntax.VisitAll(a.Expr, func(n hclsyntax.Node) hcl.Diagnostics {
			if e, ok := n.(*hclsyntax.ScopeTraversalExpr); ok {
				c.refs = append(c.refs, tfRef{e.Traversal, e.SrcRange})
			}
			return nil
		})
	}
	for _, b := range body.Blocks {
		if b.Type != "lifecycle" {
			c.collectRefs(b.Body, false)
		}
	}
}

// outputSensitive reports whether an output block says sensitive = true.
func outputSensitive(t *testing.T, b *hcl.Block) bool {
	t.Helper()
	content, diags := b.Body.Content(&hcl.BodySchema{Attributes: []hcl.AttributeSchema{
		{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"}, {Name: "depends_on"},
	}})
	if diags.HasErrors() {
		t.Fatalf("output %s: %s", b.Labels[0], diags.Error())
	}
	attr, ok := content.Attributes["sensitive"]
	if !ok {
		return false
	}
	v, diags := attr.Expr.Value(nil)
	if diags.HasErrors() || v.Type() != cty.Bool || v.IsNull() {
		t.Fatalf("output %s: sensitive is not a literal: %s", b.Labels[0], diags.Error())
	}
	return v.True()
}

// TestTerraformOutputsMatchConfigGenerate checks terraform/outputs.tf
// against what config generate reads: the same names, and every output
// that carries a secret declared sensitive.
func TestTerraformOutputsMatchConfigGenerate(t *testing.T) {
	c := readTerraform(t)
	read := map[string]bool{}
	for _, o := range terraformOutputs {
		read[o.name] = true
		sensitive, declared := c.outputs[o.name]
		switch {
		case !declared:
			t.Errorf("config generate reads output %s; terraform/ does not declare it", o.name)
		case !sensitive && !slices.Contains(plainOutputs, o.name):
			t.Errorf("output %s holds a secret: declare it sensitive = true", o.name)
		}
	}
	for name := range c.outputs {
		if !read[name] {
			t.Errorf("terraform/ declares output %s, which config generate does not read", name)
		}
	}
}

// TestTerraformReferencesResolve checks what terraform validate would
// check first and can be checked without the provider's schemas: every
// var., local., data. and resource reference names a declaration, and the
// example tfvars sets declared variables, every required one among them.
func TestTerraformReferencesResolve(t *testing.T) {
	c := readTerraform(t)
	for _, r := range c.refs {
		root := r.traversal.RootName()
		var kind, name string
		var known map[string]bool
		switch root {
		case "count", "each", "path", "terraform", "self":
			continue
		case "var":
			kind, name, known = "variable", attrName(r.traversal, 1), boolKeys(c.variables)
		case "local":
			kind, name, known = "local", attrName(r.traversal, 1), c.locals
		case "data":
			kind, name, known = "data source", attrName(r.traversal, 1)+"."+attrName(r.traversal, 2), c.data
		default:
			kind, name, known = "resource", root+"."+attrName(r.traversal, 1), c.resources
		}
		if !known[name] {
			t.Errorf("%s: %s %s is not declared", r.at, kind, name)
		}
	}

	example := filepath.Join(terraformDir, "terraform.tfvars.example")
	src, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclparse.NewParser().ParseHCL(src, example)
	if diags.HasErrors() {
		t.Fatalf("parse: %s", diags.Error())
	}
	attrs, diags := f.Body.JustAttributes()
	if diags.HasErrors() {
		t.Fatalf("%s: %s", example, diags.Error())
	}
	for name, a := range attrs {
		if _, ok := c.variables[name]; !ok {
			t.Errorf("%s: sets %s, which variables.tf does not declare", a.NameRange, name)
		}
	}
	for name, hasDefault := range c.variables {
		if _, ok := attrs[name]; !hasDefault && !ok {
			t.Errorf("%s leaves out the required variable %s", example, name)
		}
	}
}

func attrName(tr hcl.Traversal, i int) string {
	if i < len(tr) {
		if a, ok := tr[i].(hcl.TraverseAttr); ok {
			return a.Name
		}
	}
	return "?"
}

func boolKeys(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// TestSavedTerraformOutputsMatchConfiguration checks that the saved
// `terraform output -json` files the config generate tests read have the
// shape this configuration gives them: with OpenSearch every output, and
// without it every output but the OpenSearch ones (Terraform leaves null
// root outputs out), each with its declared sensitivity, all strings.
func TestSavedTerraformOutputsMatchConfiguration(t *testing.T) {
	c := readTerraform(t)
	for file, withOpenSearch := range map[string]bool{
		"terraform_output.json": true, "terraform_output_no_opensearch.json": false,
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		var saved map[string]terraformOutput
		if err := json.Unmarshal(raw, &saved); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		var want []string
		for name := range c.outputs {
			if withOpenSearch || !strings.HasPrefix(name, "opensearch_") {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		if got := slices.Sorted(maps.Keys(saved)); !slices.Equal(got, want) {
			t.Errorf("%s has outputs %v, want %v", file, got, want)
		}
		for name, o := range saved {
			if o.Sensitive != c.outputs[name] {
				t.Errorf("%s: output %s sensitive = %v, outputs.tf says %v", file, name, o.Sensitive, c.outputs[name])
			}
			if string(o.Type) != `"string"` {
				t.Errorf("%s: output %s type = %s, want \"string\"", file, name, o.Type)
			}
		}
	}
}

// TestConfigGenerateWithoutOpenSearch runs config generate on the output
// of a configuration applied with opensearch_enabled = false.
func TestConfigGenerateWithoutOpenSearch(t *testing.T) {
	from, err := filepath.Abs("testdata/terraform_output_no_opensearch.json")
	if err != nil {
		t.Fatal(err)
	}
	var outputs map[string]terraformOutput
	raw, err := os.ReadFile(from)
	if err != nil || json.Unmarshal(raw, &outputs) != nil {
		t.Fatalf("read %s: %v", from, err)
	}
	t.Chdir(t.TempDir())
	if _, stderr, code := run(t, "config", "generate", "--from", from); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, stderr)
	}
	env, err := config.ReadDotEnv(".env")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"KAFKA_BROKERS":      "kafka-clickstream-demo-myproject.f.aivencloud.com:24949",
		"KAFKA_TOPIC":        "clickstream-events",
		"KAFKA_CA_FILE":      ".local/certs/ca.pem",
		"KAFKA_CERT_FILE":    ".local/certs/service.cert",
		"KAFKA_KEY_FILE":     ".local/certs/service.key",
		"PG_URL":             "postgres://avnadmin:AVNS_fakePostgresPass0@pg-clickstream-demo-myproject.f.aivencloud.com:24945/defaultdb?sslmode=verify-full&sslrootcert=.local/certs/ca.pem",
		"VALKEY_URL":         "rediss://default:AVNS_fakeValkeyPass0@valkey-clickstream-demo-myproject.f.aivencloud.com:24946",
		"OPENSEARCH_ENABLED": "false",
	}
	if !maps.Equal(env, want) {
		t.Errorf(".env holds\n%v\nwant\n%v", env, want)
	}
	for file, output := range map[string]string{
		caFileName: "kafka_ca_cert", certFileName: "kafka_access_cert", keyFileName: "kafka_access_key",
	} {
		path := filepath.Join(".local", "certs", file)
		var value string
		if err := json.Unmarshal(outputs[output].Value, &value); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != value {
			t.Errorf("%s = %q (%v), want output %s", path, got, err, output)
		}
		wantMode(t, path, 0o600)
	}
}
