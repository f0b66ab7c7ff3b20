// Package config reads service settings from the environment into typed
// values. Every problem is collected, so a service reports all of its bad
// settings at once, each naming the variable and the rule it breaks.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Env reads variables through a lookup function and remembers every problem
// it meets. Tests pass a map's lookup; services pass [Environ]'s.
type Env struct {
	getenv func(string) string
	errs   []error
}

// NewEnv returns an Env reading through getenv.
func NewEnv(getenv func(string) string) *Env {
	return &Env{getenv: getenv}
}

// Err returns every problem met so far, joined, or nil.
func (e *Env) Err() error {
	return errors.Join(e.errs...)
}

// Fail records a problem with the variable name. The same problem is
// recorded once, also when two parts of a program read the same variable.
func (e *Env) Fail(name, format string, args ...any) {
	err := fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...))
	for _, old := range e.errs {
		if old.Error() == err.Error() {
			return
		}
	}
	e.errs = append(e.errs, err)
}

func (e *Env) lookup(name string) string {
	return strings.TrimSpace(e.getenv(name))
}

// String returns the variable's value, or def when it is unset or empty.
func (e *Env) String(name, def string) string {
	if v := e.lookup(name); v != "" {
		return v
	}
	return def
}

// Required returns the variable's value and records a problem when it is
// unset or empty.
func (e *Env) Required(name string) string {
	v := e.lookup(name)
	if v == "" {
		e.Fail(name, "is required")
	}
	return v
}

// Int returns the variable as an integer in [min, max], or def when unset.
func (e *Env) Int(name string, def, min, max int) int {
	v := e.lookup(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		e.Fail(name, "%q is not an integer in [%d, %d]", v, min, max)
		return def
	}
	return n
}

// Bool returns the variable as a boolean (true/false, 1/0, yes/no), or def.
func (e *Env) Bool(name string, def bool) bool {
	switch strings.ToLower(e.lookup(name)) {
	case "":
		return def
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	default:
		e.Fail(name, "%q is not a boolean (true or false)", e.lookup(name))
		return def
	}
}

// Duration returns the variable as a positive Go duration ("30m", "1h30m"),
// or def when unset.
func (e *Env) Duration(name string, def time.Duration) time.Duration {
	v := e.lookup(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		e.Fail(name, "%q is not a positive duration such as 30s or 5m", v)
		return def
	}
	return d
}

// Addr returns the variable as a host:port listen or dial address, or def.
func (e *Env) Addr(name, def string) string {
	v := e.String(name, def)
	if _, port, err := net.SplitHostPort(v); err != nil || port == "" {
		e.Fail(name, "%q is not a host:port address", v)
	}
	return v
}

// List returns the variable split at commas, without empty items, or def.
func (e *Env) List(name string, def []string) []string {
	v := e.lookup(name)
	if v == "" {
		return def
	}
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// URL returns the variable parsed as an absolute URL with one of the given
// schemes; it records a problem when the variable is required and unset.
func (e *Env) URL(name string, required bool, schemes ...string) *url.URL {
	v := e.lookup(name)
	if v == "" {
		if required {
			e.Fail(name, "is required")
		}
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		e.Fail(name, "%q is not an absolute URL", Mask(v))
		return nil
	}
	for _, s := range schemes {
		if u.Scheme == s {
			return u
		}
	}
	e.Fail(name, "scheme %q is not one of %s", u.Scheme, strings.Join(schemes, ", "))
	return nil
}
