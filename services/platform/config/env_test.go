package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(vars map[string]string) *Env {
	return NewEnv(func(k string) string { return vars[k] })
}

func TestEnvValues(t *testing.T) {
	env := envOf(map[string]string{
		"N": " 42 ", "D": "90s", "B": "yes", "L": "a, ,b", "A": "127.0.0.1:0", "LOG_LEVEL": "debug",
	})
	if got := env.Int("N", 1, 0, 100); got != 42 {
		t.Errorf("Int = %d, want 42", got)
	}
	if got := env.Int("UNSET", 7, 0, 100); got != 7 {
		t.Errorf("Int(unset) = %d, want default 7", got)
	}
	if got := env.Duration("D", time.Second); got != 90*time.Second {
		t.Errorf("Duration = %v, want 90s", got)
	}
	if got := env.Bool("B", false); !got {
		t.Errorf("Bool = false, want true")
	}
	if got := env.List("L", nil); strings.Join(got, "|") != "a|b" {
		t.Errorf("List = %q, want [a b]", got)
	}
	if got := env.Addr("A", ""); got != "127.0.0.1:0" {
		t.Errorf("Addr = %q", got)
	}
	if got := env.Level("LOG_LEVEL", slog.LevelInfo); got != slog.LevelDebug {
		t.Errorf("Level = %v, want debug", got)
	}
	if err := env.Err(); err != nil {
		t.Fatalf("Err = %v, want nil", err)
	}
}

func TestEnvReportsEveryProblem(t *testing.T) {
	env := envOf(map[string]string{
		"N": "x", "D": "-1s", "B": "maybe", "A": "nohost", "U": "ftp://h/x", "LOG_LEVEL": "loud",
	})
	env.Int("N", 1, 0, 10)
	env.Duration("D", time.Second)
	env.Bool("B", false)
	env.Addr("A", "")
	env.URL("U", true, "http")
	env.Required("MISSING")
	env.Level("LOG_LEVEL", slog.LevelInfo)
	err := env.Err()
	if err == nil {
		t.Fatal("Err = nil, want every problem")
	}
	for _, name := range []string{"N:", "D:", "B:", "A:", "U:", "MISSING:", "LOG_LEVEL:"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s:\n%v", name, err)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	s := Secret("hunter2")
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("cfg", "password", s)
	if strings.Contains(b.String(), "hunter2") || strings.Contains(s.String(), "hunter2") {
		t.Fatalf("secret leaked: %s / %s", b.String(), s)
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
	if got := Mask("postgres://u:hunter2@h:5432/db"); strings.Contains(got, "hunter2") {
		t.Fatalf("Mask = %q, leaks the password", got)
	}
}

func TestEnvironPrefersProcessEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	body := "# local\nexport FROM_FILE=file\nBOTH='file'\n\nQUOTED=\"a b\"\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BOTH", "process")
	getenv, err := Environ(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"FROM_FILE": "file", "BOTH": "process", "QUOTED": "a b"} {
		if got := getenv(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if _, err := Environ(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Fatalf("Environ(missing file) = %v, want nil", err)
	}
	if err := os.WriteFile(path, []byte("novalue\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Environ(path); err == nil || !strings.Contains(err.Error(), ":1:") {
		t.Fatalf("Environ(bad line) = %v, want an error with the line number", err)
	}
}
