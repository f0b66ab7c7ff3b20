package config

import (
	"log/slog"
	"net/url"
)

// Secret is a setting that must never reach a log line or an error message.
type Secret string

// String masks the value, so that fmt verbs never print it.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "****"
}

// LogValue masks the value in slog output.
func (s Secret) LogValue() slog.Value {
	return slog.StringValue(s.String())
}

// Reveal returns the value itself, for the one place that must send it.
func (s Secret) Reveal() string {
	return string(s)
}

// Mask returns rawURL with any password replaced, for logs and messages. A
// value that does not parse as a URL is masked whole.
func Mask(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "****"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "****")
	}
	return u.Redacted()
}
