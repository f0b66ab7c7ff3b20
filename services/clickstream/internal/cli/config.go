package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clickstream/clickstream/services/platform/config"
	"github.com/clickstream/clickstream/services/platform/kafka"
	"github.com/clickstream/clickstream/services/platform/searchindex"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the settings, or write .env from Terraform's outputs",
	}
	cmd.AddCommand(a.configShowCmd(), a.configGenerateCmd())
	return cmd
}

// mask says how config show hides a setting's value.
type mask int

const (
	maskNone  mask = iota
	maskURL        // the password inside a URL
	maskWhole      // the whole value
)

// settingDef is one variable that the CLI or a service reads.
type settingDef struct {
	name  string
	group string
	def   string // the value a reader uses when the variable is unset
	unset string // shown when there is no value and no default
	mask  mask
	// envOnly: read from the process environment alone, never from .env.
	envOnly bool
}

// settingDefs lists every variable read by the CLI (settings.go), the
// services (services/*/settings.go, with GRPC_ADDR, HTTP_ADDR and LOG_LEVEL
// from platform/config), platform/kafka and the search-sink's index config,
// in the order config show prints them. The defaults repeat those readers'
// defaults: keep them in step.
var settingDefs = []settingDef{
	{name: "KAFKA_BROKERS", group: "Kafka", unset: "(required)"},
	{name: "KAFKA_TOPIC", group: "Kafka", def: kafka.DefaultTopic},
	{name: "KAFKA_DLQ_TOPIC", group: "Kafka", def: "clickstream-events-dlq"},
	{name: "KAFKA_CA_FILE", group: "Kafka"},
	{name: "KAFKA_CERT_FILE", group: "Kafka"},
	{name: "KAFKA_KEY_FILE", group: "Kafka"},
	{name: "KAFKA_TLS", group: "Kafka", def: "true with a file or SASL"},
	{name: "KAFKA_SASL_MECHANISM", group: "Kafka"},
	{name: "KAFKA_SASL_USERNAME", group: "Kafka"},
	{name: "KAFKA_SASL_PASSWORD", group: "Kafka", mask: maskWhole},
	{name: "KAFKA_PARTITIONS", group: "Kafka", def: "4"},
	{name: "KAFKA_REPLICATION", group: "Kafka", def: "-1"},
	{name: "KAFKA_COMPRESSION", group: "Kafka", def: "lz4"},
	{name: "KAFKA_GROUP_SESSION_TIMEOUT", group: "Kafka", def: "45s"},

	{name: "PG_URL", group: "PostgreSQL", mask: maskURL},
	{name: "PG_MAX_CONNS", group: "PostgreSQL", def: "8"},

	{name: "VALKEY_URL", group: "Valkey", mask: maskURL},
	{name: "VALKEY_PREFIX", group: "Valkey", def: "clickstream:"},
	{name: "VALKEY_STATE_TTL", group: "Valkey", def: "2h"},

	{name: "OPENSEARCH_ENABLED", group: "OpenSearch", def: "false"},
	{name: "OPENSEARCH_URL", group: "OpenSearch", mask: maskURL},
	{name: "OPENSEARCH_USER", group: "OpenSearch"},
	{name: "OPENSEARCH_PASSWORD", group: "OpenSearch", mask: maskWhole},
	{name: "OPENSEARCH_DASHBOARDS_URL", group: "OpenSearch", def: "http://127.0.0.1:5601", mask: maskURL},
	{name: "OPENSEARCH_REPLICAS", group: "OpenSearch", def: "0"},
	{name: "SEARCHSINK_INDEX", group: "OpenSearch", def: searchindex.Index},

	{name: "PRODUCER_ADDR", group: "services", def: "127.0.0.1:50051"},
	{name: "ANALYTICS_ADDR", group: "services", def: "127.0.0.1:50054"},
	{name: "GRPC_ADDR", group: "services", unset: "(each service its own)"},
	{name: "HTTP_ADDR", group: "services", unset: "(each service its own)"},
	{name: "GRPC_TOKEN", group: "services", mask: maskWhole},
	{name: "GRPC_TLS_CERT_FILE", group: "services"},
	{name: "GRPC_TLS_KEY_FILE", group: "services"},
	{name: "GRPC_TLS_CA_FILE", group: "services"},
	{name: "LOG_LEVEL", group: "services", def: "info"},
	{name: "STATUS_SINK_REPLICAS", group: "services", def: "8"},
	{name: "STATUS_SINK_ADDRS", group: "services"},
	{name: "ANALYTICS_MAX_STALENESS", group: "services", def: "5s"},
	{name: "ANALYTICS_PG_PARALLEL_WORKERS", group: "services", def: "0"},
	{name: "CLICKSTREAM_LOCAL_DIR", group: "services", def: ".local", envOnly: true},
	{name: "GOMEMLIMIT", group: "services", unset: "(producer: 320MiB)"},

	{name: "SESSION_TIMEOUT", group: "pipeline", def: "30m"},
	{name: "PGSINK_GROUP", group: "pipeline", def: "clickstream-postgresql"},
	{name: "PGSINK_MAX_POLL_RECORDS", group: "pipeline", def: "40000"},
	{name: "SEARCHSINK_GROUP", group: "pipeline", def: "clickstream-opensearch"},
	{name: "SEARCHSINK_MAX_POLL_RECORDS", group: "pipeline", def: "20000"},
	{name: "SEARCHSINK_BULK_DOCS", group: "pipeline", def: "5000"},
	{name: "SEARCHSINK_BULK_BYTES", group: "pipeline", def: "5242880"},
	{name: "SEARCHSINK_BULK_CONCURRENCY", group: "pipeline", def: "2"},
	{name: "SEARCHSINK_BACKFILL_LAG", group: "pipeline", def: "100000"},
	{name: "SEARCHSINK_BACKFILL_REFRESH", group: "pipeline", def: "30s"},
	{name: "PRODUCER_FILE", group: "pipeline", def: "data/events.csv"},
	{name: "PRODUCER_REJECTS_FILE", group: "pipeline"},
	{name: "PRODUCER_BUFFERED_RECORDS", group: "pipeline", def: "200000"},
}

// Where a shown value comes from; the JSON form uses these words.
const (
	fromEnvironment = "environment"
	fromDotEnv      = "dotenv"
	fromDefault     = "default"
)

// shownSetting is one line of config show, already masked.
type shownSetting struct {
	Value  string `json:"value"`
	Source string `json:"source"`
}

func (a *app) configShowCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show [--json]",
		Short: "Print every setting the CLI and the services read, and where it comes from",
		Long: `Print every setting that the CLI and the services read, grouped, with
its value and where the value comes from: the environment, the dotenv file
(--env-file, default .env) or the default. The environment wins over the
file, as in the CLI and the services. Nothing is checked or contacted.

Passwords inside PG_URL, VALKEY_URL and the OpenSearch URLs print as xxxxx;
OPENSEARCH_PASSWORD, KAFKA_SASL_PASSWORD, GRPC_TOKEN and any certificate
or key given inline print as ****.
With --json the output
is one object: {"NAME": {"value": ..., "source": "environment"|"dotenv"|"default"}}.`,
		Example: `  clickstream config show
  clickstream --env-file aiven.env config show --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			shown, err := a.readShown()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(a.stdout, shown)
			}
			return writeShown(a.stdout, a.envFile, shown)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the settings as JSON")
	return cmd
}

// readShown reads every setting through the same lookup as the services
// (the environment, then the dotenv file) and notes where each came from.
// As in config.Env, a variable set in the environment hides the file's
// value even when empty, and an empty value means the default.
func (a *app) readShown() (map[string]shownSetting, error) {
	getenv, err := config.Environ(a.envFile)
	if err != nil {
		return nil, err
	}
	shown := make(map[string]shownSetting, len(settingDefs))
	for _, d := range settingDefs {
		v, inEnv := os.LookupEnv(d.name)
		if !d.envOnly {
			v = getenv(d.name)
		}
		s := shownSetting{Value: maskValue(d, strings.TrimSpace(v)), Source: fromDotEnv}
		switch {
		case s.Value == "":
			s = shownSetting{Value: d.def, Source: fromDefault}
		case inEnv:
			s.Source = fromEnvironment
		}
		shown[d.name] = s
	}
	return shown, nil
}

func maskValue(d settingDef, v string) string {
	if v == "" {
		return ""
	}
	if strings.Contains(v, "-----BEGIN") {
		return "****" // a certificate or key given inline
	}
	switch {
	case d.mask == maskWhole, strings.HasSuffix(d.name, "_PASSWORD"):
		return "****"
	case d.mask == maskURL:
		return config.Mask(v)
	}
	return v
}

func writeShown(w io.Writer, envFile string, shown map[string]shownSetting) error {
	var b strings.Builder
	nameWidth, sourceWidth := 0, max(len(fromEnvironment), len(envFile))
	for _, d := range settingDefs {
		nameWidth = max(nameWidth, len(d.name))
	}
	fmt.Fprintf(&b, "settings from the environment, then %s, then the defaults\n", envFile)
	group := ""
	for _, d := range settingDefs {
		if d.group != group {
			group = d.group
			fmt.Fprintf(&b, "\n%s\n", group)
		}
		s := shown[d.name]
		value, source := s.Value, s.Source
		if value == "" {
			value = cmp.Or(d.unset, "(unset)")
		}
		if source == fromDotEnv {
			source = envFile
		}
		fmt.Fprintf(&b, "  %-*s  %-*s  %s\n", nameWidth, d.name, sourceWidth, source, value)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// terraformOutput is one output the way `terraform output -json` prints
// it: {"sensitive": true, "type": "string", "value": "..."}. Sensitive
// outputs are printed in the clear there, so the shape is the same.
type terraformOutput struct {
	Value     json.RawMessage `json:"value"`
	Type      json.RawMessage `json:"type"`
	Sensitive bool            `json:"sensitive"`
}

// terraformOutputs are the outputs config generate reads, named after the
// Aiven provider's attributes (service_uri, ca_cert, access_cert, ...), and
// what each becomes. Required ones must be there and not null; the access
// certificate and key come together or not at all. Other outputs are
// ignored. config generate --help prints this table.
var terraformOutputs = []struct {
	name     string
	required bool
	becomes  string
}{
	{"kafka_service_uri", true, "KAFKA_BROKERS (host:port, comma separated)"},
	{"kafka_events_topic", false, "KAFKA_TOPIC"},
	{"kafka_ca_cert", false, "KAFKA_CA_FILE (.local/certs/ca.pem), PG_URL's sslrootcert"},
	{"kafka_access_cert", false, "KAFKA_CERT_FILE (.local/certs/service.cert)"},
	{"kafka_access_key", false, "KAFKA_KEY_FILE (.local/certs/service.key)"},
	{"postgres_service_uri", true, "PG_URL"},
	{"valkey_service_uri", true, "VALKEY_URL"},
	{"opensearch_service_uri", false, "OPENSEARCH_URL, and OPENSEARCH_ENABLED=true"},
	{"opensearch_username", false, "OPENSEARCH_USER"},
	{"opensearch_password", false, "OPENSEARCH_PASSWORD"},
	{"opensearch_dashboards_uri", false, "OPENSEARCH_DASHBOARDS_URL"},
}

func terraformOutputsHelp() string {
	var b strings.Builder
	for _, o := range terraformOutputs {
		req := ""
		if o.required {
			req = "required"
		}
		fmt.Fprintf(&b, "\n  %-26s %-9s %s", o.name, req, o.becomes)
	}
	return b.String()
}

// The files config generate writes the Kafka certificates to, under
// .local/certs beside the .env file, as Aiven's console names them.
const (
	caFileName   = "ca.pem"
	certFileName = "service.cert"
	keyFileName  = "service.key"
)

type generateFlags struct {
	force bool
	from  string
	out   string
	dir   string
}

func (a *app) configGenerateCmd() *cobra.Command {
	var f generateFlags
	cmd := &cobra.Command{
		Use:   "generate [-f] [--from FILE] [--out .env]",
		Short: "Write .env from Terraform's outputs (Aiven)",
		Long: `Write the settings for the services Terraform provisioned on Aiven to a
dotenv file (.env by default), from the outputs of terraform output -json,
run in ./terraform, or from a saved copy of that output (--from). The Kafka
CA, access certificate and key go to files under .local/certs beside the
.env file, readable by their owner only; PG_URL then verifies the server
against that CA (sslmode=verify-full). The .env file holds passwords, so it
is readable by its owner only too. An existing .env is only replaced with -f.

The outputs read (every other output is ignored):` + terraformOutputsHelp(),
		Example: `  clickstream config generate
  clickstream config generate -f
  terraform -chdir=terraform output -json > outputs.json
  clickstream config generate --from outputs.json --out aiven.env`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.configGenerate(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.force, "force", "f", false, "overwrite an existing file")
	fl.StringVar(&f.from, "from", "", "read a saved output of terraform output -json instead")
	fl.StringVar(&f.out, "out", ".env", "dotenv file to write")
	fl.StringVar(&f.dir, "dir", "terraform", "directory to run terraform output -json in")
	return cmd
}

func (a *app) configGenerate(ctx context.Context, f generateFlags) error {
	if _, err := os.Lstat(f.out); err == nil && !f.force {
		return fmt.Errorf("%s exists: pass -f to overwrite it", f.out)
	}
	var data []byte
	var err error
	if f.from != "" {
		data, err = os.ReadFile(f.from)
	} else {
		data, err = terraformOutputJSON(ctx, f.dir)
	}
	if err != nil {
		return err
	}
	outs, err := parseTerraformOutputs(data)
	if err != nil {
		return fmt.Errorf("%s: %w", cmp.Or(f.from, "terraform output -json"), err)
	}
	certDir := filepath.Join(filepath.Dir(f.out), ".local", "certs")
	gen, err := generateEnv(outs, certDir)
	if err != nil {
		return err
	}
	if err := gen.write(f.out); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "wrote %s: %s\n", f.out, strings.Join(gen.names(), ", "))
	for _, c := range gen.files {
		fmt.Fprintf(a.stdout, "wrote %s (mode 0600)\n", c.path)
	}
	fmt.Fprintln(a.stdout, "check it with: clickstream config show")
	return nil
}

// terraformOutputJSON runs `terraform output -json` in dir.
func terraformOutputJSON(ctx context.Context, dir string) ([]byte, error) {
	const what, bin = "terraform output -json", "terraform"
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %s is not installed (not on PATH); install Terraform, "+
			"or pass --from FILE with a saved copy of its output", what, bin)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%s: no directory %s: run from the repository root, or pass --dir or --from",
			what, dir)
	}
	cmd := exec.CommandContext(ctx, path, "output", "-json")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.Join(strings.Fields(stderr.String()), " ")
		return nil, fmt.Errorf("%s in %s failed (%v): %s", what, dir, err, cmp.Or(msg, "no message"))
	}
	return out, nil
}

// parseTerraformOutputs returns the string value of each known output that
// is present and not null. A list of strings is joined with commas.
func parseTerraformOutputs(data []byte) (map[string]string, error) {
	var all map[string]terraformOutput
	if err := json.Unmarshal(data, &all); err != nil {
		return nil, fmt.Errorf("not the output of terraform output -json: %w", err)
	}
	outs := make(map[string]string)
	var errs []error
	for _, o := range terraformOutputs {
		raw := all[o.name].Value
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var s string
		var list []string
		switch {
		case json.Unmarshal(raw, &s) == nil:
		case json.Unmarshal(raw, &list) == nil:
			s = strings.Join(list, ",")
		default:
			errs = append(errs, fmt.Errorf("output %s: want a string, got %s", o.name, all[o.name].Type))
			continue
		}
		if s = strings.TrimSpace(s); s != "" {
			outs[o.name] = s
		}
	}
	return outs, errors.Join(errs...)
}

// generated is what config generate writes: the dotenv file's sections
// and the certificate files they point at.
type generated struct {
	sections []envSection
	files    []privateFile
}

type envSection struct {
	title string
	vars  [][2]string // name, value
}

type privateFile struct {
	path, content string
}

// generateEnv turns Terraform's outputs into settings, reporting every
// problem at once. Certificates are placed under certDir.
func generateEnv(outs map[string]string, certDir string) (*generated, error) {
	var missing []string
	for _, o := range terraformOutputs {
		if _, ok := outs[o.name]; o.required && !ok {
			missing = append(missing, o.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("terraform outputs missing: %s (has terraform apply run? "+
			"see config generate --help)", strings.Join(missing, ", "))
	}

	var g generated
	var errs []error
	kafkaVars, caFile, err := g.kafka(outs, certDir)
	errs = append(errs, err)
	g.sections = append(g.sections, envSection{"Kafka", kafkaVars})

	pg, err := checkURL("postgres_service_uri", outs["postgres_service_uri"], "postgres", "postgresql")
	if err == nil && caFile != "" {
		q := pg.Query()
		q.Set("sslmode", "verify-full")
		q.Set("sslrootcert", caFile)
		pg.RawQuery = strings.ReplaceAll(q.Encode(), "%2F", "/")
	}
	errs = append(errs, err)
	if pg != nil {
		g.sections = append(g.sections, envSection{"PostgreSQL", [][2]string{{"PG_URL", pg.String()}}})
	}

	valkey := outs["valkey_service_uri"]
	_, err = checkURL("valkey_service_uri", valkey, "redis", "rediss", "valkey", "valkeys")
	errs = append(errs, err)
	g.sections = append(g.sections, envSection{"Valkey", [][2]string{{"VALKEY_URL", valkey}}})

	osVars, err := openSearchEnv(outs)
	errs = append(errs, err)
	g.sections = append(g.sections, envSection{"OpenSearch", osVars})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return &g, nil
}

// kafka returns the Kafka settings and adds the certificate files; caFile
// is the CA's path, or "" without one.
func (g *generated) kafka(outs map[string]string, certDir string) (vars [][2]string, caFile string, _ error) {
	var brokers []string
	var errs []error
	for _, b := range strings.Split(outs["kafka_service_uri"], ",") {
		b = strings.TrimSpace(b)
		if _, rest, ok := strings.Cut(b, "://"); ok {
			b = rest
		}
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("output kafka_service_uri: %q is not host:port", b))
			continue
		}
		brokers = append(brokers, b)
	}
	vars = append(vars, [2]string{"KAFKA_BROKERS", strings.Join(brokers, ",")})
	if topic, ok := outs["kafka_events_topic"]; ok {
		vars = append(vars, [2]string{"KAFKA_TOPIC", topic})
	}

	add := func(output, name, file string) string {
		path := filepath.Join(certDir, file)
		g.files = append(g.files, privateFile{path, outs[output]})
		vars = append(vars, [2]string{name, path})
		return path
	}
	if _, ok := outs["kafka_ca_cert"]; ok {
		caFile = add("kafka_ca_cert", "KAFKA_CA_FILE", caFileName)
	}
	_, hasCert := outs["kafka_access_cert"]
	_, hasKey := outs["kafka_access_key"]
	switch {
	case hasCert && hasKey:
		add("kafka_access_cert", "KAFKA_CERT_FILE", certFileName)
		add("kafka_access_key", "KAFKA_KEY_FILE", keyFileName)
	case hasCert != hasKey:
		errs = append(errs, errors.New(
			"outputs kafka_access_cert and kafka_access_key: give both or neither"))
	}
	return vars, caFile, errors.Join(errs...)
}

// openSearchEnv returns the OpenSearch settings: enabled with its URL and
// credentials when Terraform made an OpenSearch service, else disabled.
// Credentials inside the URL move to OPENSEARCH_USER and _PASSWORD, unless
// their own outputs give them.
func openSearchEnv(outs map[string]string) ([][2]string, error) {
	raw, ok := outs["opensearch_service_uri"]
	if !ok {
		return [][2]string{{"OPENSEARCH_ENABLED", "false"}}, nil
	}
	u, err := checkURL("opensearch_service_uri", raw, "http", "https")
	if err != nil {
		return nil, err
	}
	user, password := outs["opensearch_username"], outs["opensearch_password"]
	if u.User != nil {
		p, _ := u.User.Password()
		user, password = cmp.Or(user, u.User.Username()), cmp.Or(password, p)
		u.User = nil
	}
	vars := [][2]string{{"OPENSEARCH_ENABLED", "true"}, {"OPENSEARCH_URL", u.String()}}
	if user != "" {
		vars = append(vars, [2]string{"OPENSEARCH_USER", user})
	}
	if password != "" {
		vars = append(vars, [2]string{"OPENSEARCH_PASSWORD", password})
	}
	if raw, ok := outs["opensearch_dashboards_uri"]; ok {
		d, err := checkURL("opensearch_dashboards_uri", raw, "http", "https")
		if err != nil {
			return nil, err
		}
		d.User = nil
		vars = append(vars, [2]string{"OPENSEARCH_DASHBOARDS_URL", d.String()})
	}
	return vars, nil
}

// checkURL parses an output as an absolute URL with one of the schemes; its
// messages mask any password.
func checkURL(output, raw string, schemes ...string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("output %s: %q is not an absolute URL", output, config.Mask(raw))
	}
	if !slices.Contains(schemes, u.Scheme) {
		return nil, fmt.Errorf("output %s: scheme %q is not one of %s",
			output, u.Scheme, strings.Join(schemes, ", "))
	}
	return u, nil
}

// names lists the variables in the order they are written.
func (g *generated) names() []string {
	var names []string
	for _, s := range g.sections {
		for _, v := range s.vars {
			names = append(names, v[0])
		}
	}
	return names
}

// dotenv renders the file that config.ReadDotEnv (and Docker Compose's
// env_file) reads back.
func (g *generated) dotenv() (string, error) {
	var b strings.Builder
	b.WriteString("# Written by clickstream config generate from Terraform's outputs.\n")
	b.WriteString("# Run it again with -f rather than editing this file by hand.\n")
	for _, s := range g.sections {
		fmt.Fprintf(&b, "\n# %s\n", s.title)
		for _, v := range s.vars {
			if strings.ContainsAny(v[1], "\r\n") {
				return "", fmt.Errorf("%s: a value on more than one line cannot go in a dotenv file", v[0])
			}
			fmt.Fprintf(&b, "%s=%s\n", v[0], dotenvQuote(v[1]))
		}
	}
	return b.String(), nil
}

// dotenvQuote single-quotes a value that would not read back as itself:
// empty, with spaces at either end, starting with a quote, or holding
// characters Docker Compose would expand ($) or take for a comment.
func dotenvQuote(v string) string {
	if v == "" || v != strings.TrimSpace(v) || strings.ContainsAny(v, "$#'\"\\ \t") {
		return "'" + v + "'"
	}
	return v
}

// write writes the certificates, then the dotenv file, each readable by
// its owner only and each replaced whole.
func (g *generated) write(out string) error {
	env, err := g.dotenv()
	if err != nil {
		return err
	}
	for _, f := range g.files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			return err
		}
		content := f.content
		if !strings.HasSuffix(content, "\n") {
			content += "\n"
		}
		if err := writePrivate(f.path, content); err != nil {
			return err
		}
	}
	return writePrivate(out, env)
}

// writePrivate writes data beside path and renames it into place, so that
// the file is never seen half written or with a wider mode.
func writePrivate(path, data string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(data)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
