package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clickstream/clickstream/services/platform/config"
)

// clearSettings unsets every variable config show knows for the test, so
// that the developer's environment does not leak into the goldens.
func clearSettings(t *testing.T) {
	t.Helper()
	for _, d := range settingDefs {
		t.Setenv(d.name, "") // restores the old value after the test
		os.Unsetenv(d.name)
	}
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(t.Context(), args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestConfigGenerateAndShow(t *testing.T) {
	from, err := filepath.Abs("testdata/terraform_output.json")
	if err != nil {
		t.Fatal(err)
	}
	var outputs map[string]terraformOutput
	raw, err := os.ReadFile(from)
	if err != nil || json.Unmarshal(raw, &outputs) != nil {
		t.Fatalf("read %s: %v", from, err)
	}
	clearSettings(t)
	t.Setenv("LOG_LEVEL", "debug")

	var env, show, showJSON []byte
	t.Run("in a fresh directory", func(t *testing.T) {
		t.Chdir(t.TempDir())
		stdout, stderr, code := run(t, "config", "generate", "--from", from)
		if code != 0 {
			t.Fatalf("generate: exit %d: %s", code, stderr)
		}
		if !strings.Contains(stdout, "wrote .env: KAFKA_BROKERS,") {
			t.Errorf("generate printed %q", stdout)
		}
		if env, err = os.ReadFile(".env"); err != nil {
			t.Fatal(err)
		}
		wantMode(t, ".env", 0o600)
		wantMode(t, ".local/certs", 0o700|os.ModeDir)
		for file, output := range map[string]string{
			caFileName: "kafka_ca_cert", certFileName: "kafka_access_cert", keyFileName: "kafka_access_key",
		} {
			path := filepath.Join(".local", "certs", file)
			wantMode(t, path, 0o600)
			var want string
			json.Unmarshal(outputs[output].Value, &want)
			if got, _ := os.ReadFile(path); string(got) != want {
				t.Errorf("%s = %q, want output %s", path, got, output)
			}
		}

		var code2 int
		var out string
		out, stderr, code2 = run(t, "config", "show")
		show = []byte(out)
		if code2 != 0 {
			t.Fatalf("show: exit %d: %s", code2, stderr)
		}
		out, _, _ = run(t, "config", "show", "--json")
		showJSON = []byte(out)
	})
	golden(t, "config_generate.env", env)
	golden(t, "config_show.txt", show)
	golden(t, "config_show.json", showJSON)

	for _, secret := range []string{"AVNS_fake", "PRIVATE KEY"} {
		if bytes.Contains(show, []byte(secret)) || bytes.Contains(showJSON, []byte(secret)) {
			t.Errorf("config show prints %q", secret)
		}
	}
	var parsed map[string]shownSetting
	if err := json.Unmarshal(showJSON, &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed) != len(settingDefs) {
		t.Errorf("config show --json has %d settings, want %d", len(parsed), len(settingDefs))
	}
	for name, want := range map[string]string{
		"LOG_LEVEL": fromEnvironment, "PG_URL": fromDotEnv, "PG_MAX_CONNS": fromDefault,
	} {
		if got := parsed[name].Source; got != want {
			t.Errorf("%s source = %q, want %q", name, got, want)
		}
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode() & (os.ModePerm | os.ModeDir); got != want {
		t.Errorf("%s mode = %v, want %v", path, got, want)
	}
}

func TestConfigShowMasksSecrets(t *testing.T) {
	clearSettings(t)
	envFile := filepath.Join(t.TempDir(), ".env")
	body := "VALKEY_URL=rediss://default:hunter2@valkey:6380\nOPENSEARCH_PASSWORD=hunter2\n" +
		"KAFKA_KEY_FILE=-----BEGIN PRIVATE KEY-----hunter2\n"
	if err := os.WriteFile(envFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PG_URL", "postgres://u:hunter2@db:5432/x")
	t.Setenv("GRPC_TOKEN", "hunter2-hunter2-hunter2")
	t.Setenv("VALKEY_PREFIX", " ") // set but blank: the default, as config.Env reads it
	stdout, stderr, code := run(t, "--env-file", envFile, "config", "show", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stdout, "hunter2") {
		t.Fatalf("config show leaks a secret:\n%s", stdout)
	}
	var got map[string]shownSetting
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]shownSetting{
		"PG_URL":              {config.Mask("postgres://u:hunter2@db:5432/x"), fromEnvironment},
		"VALKEY_URL":          {config.Mask("rediss://default:hunter2@valkey:6380"), fromDotEnv},
		"OPENSEARCH_PASSWORD": {"****", fromDotEnv},
		"KAFKA_KEY_FILE":      {"****", fromDotEnv},
		"GRPC_TOKEN":          {"****", fromEnvironment},
		"VALKEY_PREFIX":       {"clickstream:", fromDefault},
		"OPENSEARCH_USER":     {"", fromDefault},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %+v, want %+v", name, got[name], w)
		}
	}
}

func TestConfigGenerateMissingOutputs(t *testing.T) {
	dir := t.TempDir()
	from := filepath.Join(dir, "outputs.json")
	body := `{"kafka_service_uri": {"sensitive": true, "type": "string", "value": "k:9092"},
		"valkey_service_uri": {"sensitive": true, "type": "string", "value": null}}`
	if err := os.WriteFile(from, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, ".env")
	_, stderr, code := run(t, "config", "generate", "--from", from, "--out", out)
	if code == 0 {
		t.Fatal("generate succeeded without the required outputs")
	}
	if !strings.Contains(stderr, "postgres_service_uri, valkey_service_uri") || strings.Contains(stderr, "kafka_service_uri") {
		t.Errorf("stderr = %q, want it to name postgres_service_uri and valkey_service_uri only", stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("generate wrote .env despite the error")
	}
}

func TestConfigGenerateRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, ".env")
	if err := os.WriteFile(out, []byte("KEEP=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	from := "testdata/terraform_output.json"
	_, stderr, code := run(t, "config", "generate", "--from", from, "--out", out)
	if code == 0 || !strings.Contains(stderr, out+" exists: pass -f to overwrite it") {
		t.Fatalf("exit %d, stderr %q; want a refusal naming -f", code, stderr)
	}
	if got, _ := os.ReadFile(out); string(got) != "KEEP=1\n" {
		t.Fatalf(".env changed to %q", got)
	}
	if _, stderr, code = run(t, "config", "generate", "-f", "--from", from, "--out", out); code != 0 {
		t.Fatalf("generate -f: exit %d: %s", code, stderr)
	}
	if got, _ := os.ReadFile(out); !bytes.Contains(got, []byte("KAFKA_BROKERS=")) {
		t.Fatalf("generate -f left %q", got)
	}
}

func TestConfigGenerateRunsTerraform(t *testing.T) {
	dir := t.TempDir()
	tfDir := filepath.Join(dir, "terraform")
	if err := os.Mkdir(tfDir, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, ".env")

	t.Setenv("PATH", filepath.Join(dir, "empty"))
	_, stderr, code := run(t, "config", "generate", "--dir", tfDir, "--out", out)
	if code == 0 || !strings.Contains(stderr, "terraform output -json: terraform is not installed") {
		t.Fatalf("without terraform: exit %d, stderr %q", code, stderr)
	}

	bin := filepath.Join(dir, "bin")
	script := "#!/bin/sh\necho 'Error: no state file was found' >&2\nexit 1\n"
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "terraform"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	_, stderr, code = run(t, "config", "generate", "--dir", tfDir, "--out", out)
	if code == 0 || !strings.Contains(stderr, "terraform output -json in "+tfDir+" failed") ||
		!strings.Contains(stderr, "no state file was found") {
		t.Fatalf("failing terraform: exit %d, stderr %q", code, stderr)
	}
}

func TestGenerateEnv(t *testing.T) {
	base := map[string]string{
		"kafka_service_uri":    "kafka://a:1,b:2",
		"postgres_service_uri": "postgres://u:p@db:5432/x?sslmode=require",
		"valkey_service_uri":   "rediss://default:p@v:6380",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		outs    map[string]string
		want    []string // lines the file must hold
		wantErr string
	}{
		{
			name: "no certificates, no OpenSearch",
			outs: base,
			want: []string{"KAFKA_BROKERS=a:1,b:2", "PG_URL=postgres://u:p@db:5432/x?sslmode=require", "OPENSEARCH_ENABLED=false"},
		},
		{
			name: "credentials inside the OpenSearch URL",
			outs: with("opensearch_service_uri", "https://admin:s3cret@os:443"),
			want: []string{"OPENSEARCH_URL=https://os:443", "OPENSEARCH_USER=admin", "OPENSEARCH_PASSWORD=s3cret"},
		},
		{name: "cert without key", outs: with("kafka_access_cert", "x"), wantErr: "give both or neither"},
		{name: "bad broker", outs: with("kafka_service_uri", "nohost"), wantErr: `"nohost" is not host:port`},
		{
			name:    "bad schemes, password masked",
			outs:    with("valkey_service_uri", "http://u:p4ss@v", "postgres_service_uri", "mysql://u:p4ss@db/x"),
			wantErr: `output postgres_service_uri: scheme "mysql"`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := generateEnv(tc.outs, "certs")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "p4ss") {
					t.Fatalf("err = %v, want %q without passwords", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			env, err := g.dotenv()
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range tc.want {
				if !strings.Contains(env, "\n"+line+"\n") {
					t.Errorf("missing line %q in\n%s", line, env)
				}
			}
		})
	}
}

func TestDotenvQuoteReadsBack(t *testing.T) {
	values := []string{"plain", "a b", "'q'", `"d"`, "p$ss", "x#y", " lead", "", `back\slash`}
	g := generated{sections: []envSection{{title: "test"}}}
	for i, v := range values {
		g.sections[0].vars = append(g.sections[0].vars, [2]string{"V" + string(rune('A'+i)), v})
	}
	env, err := g.dotenv()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := config.ReadDotEnv(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range g.sections[0].vars {
		if got[v[0]] != v[1] {
			t.Errorf("%s reads back as %q, want %q", v[0], got[v[0]], v[1])
		}
	}
	g.sections[0].vars = [][2]string{{"BAD", "two\nlines"}}
	if _, err := g.dotenv(); err == nil {
		t.Error("a value with a line break was accepted")
	}
}
