// Package cache keeps the pg-sink's open-session state in Valkey: a cache of
// PostgreSQL that can be flushed, lost or stale at any time without changing
// a single result.
package cache
