package cache

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/valkey-io/valkey-go"

	"github.com/clickstream/clickstream/services/pg-sink/internal/session"
)

// Store caches each visitor's open session in Valkey, per topic partition.
//
// Valkey is a cache of PostgreSQL, never the only copy. Every entry carries
// the partition's generation and the offset up to which its batch was
// committed in PostgreSQL, and a per-partition sync marker records the last
// (generation, offset) whose states were all written. Writes never move an
// entry or the marker backwards. A reader trusts an entry only when the
// marker equals what PostgreSQL says and the entry has the same generation;
// anything else is read from PostgreSQL instead.
type Store struct {
	client valkey.Client
	prefix string
	ttl    time.Duration
}

// New returns a store keeping entries under prefix for ttl after their last
// write.
func New(client valkey.Client, prefix string, ttl time.Duration) *Store {
	return &Store{client: client, prefix: prefix, ttl: ttl}
}

// Mark is a partition's position: the generation of its cached states and
// the first offset not yet applied.
type Mark struct {
	Gen    int64
	Offset int64
}

// Entry is a cached state with the generation it was written under.
type Entry struct {
	Gen   int64
	State *session.State
}

// The hash tag keeps a partition's keys in one slot, for Valkey clusters.
func (s *Store) stateKey(topic string, partition int32, visitor int64) string {
	return fmt.Sprintf("%s{%s-%d}:s:%d", s.prefix, topic, partition, visitor)
}

func (s *Store) markKey(topic string, partition int32) string {
	return fmt.Sprintf("%s{%s-%d}:sync", s.prefix, topic, partition)
}

// Load returns the partition's marker (zero when missing) and the cached
// entries of the visitors that have one, in one round trip.
func (s *Store) Load(ctx context.Context, topic string, partition int32, visitors []int64) (Mark, map[int64]Entry, error) {
	cmds := make(valkey.Commands, 0, 2)
	cmds = append(cmds, s.client.B().Get().Key(s.markKey(topic, partition)).Build())
	keys := make([]string, len(visitors))
	for i, v := range visitors {
		keys[i] = s.stateKey(topic, partition, v)
	}
	if len(keys) > 0 {
		cmds = append(cmds, s.client.B().Mget().Key(keys...).Build())
	}
	res := s.client.DoMulti(ctx, cmds...)

	var mark Mark
	raw, err := res[0].ToString()
	switch {
	case valkey.IsValkeyNil(err):
	case err != nil:
		return Mark{}, nil, fmt.Errorf("valkey get marker: %w", err)
	default:
		mark.Gen, mark.Offset, _, _ = parseValue(raw)
	}
	entries := make(map[int64]Entry)
	if len(keys) == 0 {
		return mark, entries, nil
	}
	values, err := res[1].ToArray()
	if err != nil {
		return Mark{}, nil, fmt.Errorf("valkey mget states: %w", err)
	}
	for i, msg := range values {
		raw, err := msg.ToString()
		if err != nil {
			continue // nil: not cached
		}
		gen, _, payload, ok := parseValue(raw)
		if !ok {
			continue
		}
		st, err := session.Decode([]byte(payload))
		if err != nil || st.Visitor != visitors[i] {
			continue
		}
		entries[visitors[i]] = Entry{Gen: gen, State: st}
	}
	return mark, entries, nil
}

// save writes the states, deletes the closed ones and then sets the marker,
// atomically, skipping any key that already holds a later (generation,
// offset). KEYS: marker, states to set, states to delete; ARGV: generation,
// offset, TTL in ms, how many to set, then their values.
var save = valkey.NewLuaScript(`
local gen, off = tonumber(ARGV[1]), tonumber(ARGV[2])
local nset = tonumber(ARGV[4])
local function newer(cur)
  if not cur then return true end
  local g, o = string.match(cur, '^(%d+):(%d+):')
  if not g then return true end
  g, o = tonumber(g), tonumber(o)
  return gen > g or (gen == g and off >= o)
end
local written = 0
for i = 2, #KEYS do
  if newer(redis.call('GET', KEYS[i])) then
    if i <= nset + 1 then
      redis.call('SET', KEYS[i], ARGV[i + 3], 'PX', ARGV[3])
    else
      redis.call('DEL', KEYS[i])
    end
    written = written + 1
  end
end
if newer(redis.call('GET', KEYS[1])) then
  redis.call('SET', KEYS[1], ARGV[1] .. ':' .. ARGV[2] .. ':')
end
return written
`)

// Save caches the states of a committed batch under mark, deletes the
// cached states of the visitors in closed, and then sets the partition's
// marker to mark.
func (s *Store) Save(ctx context.Context, topic string, partition int32, mark Mark, states []*session.State, closed []int64) error {
	keys := make([]string, 0, len(states)+len(closed)+1)
	args := make([]string, 0, len(states)+4)
	keys = append(keys, s.markKey(topic, partition))
	prefix := strconv.FormatInt(mark.Gen, 10) + ":" + strconv.FormatInt(mark.Offset, 10) + ":"
	args = append(args, strconv.FormatInt(mark.Gen, 10), strconv.FormatInt(mark.Offset, 10),
		strconv.FormatInt(s.ttl.Milliseconds(), 10), strconv.Itoa(len(states)))
	buf := make([]byte, 0, 64)
	for _, st := range states {
		keys = append(keys, s.stateKey(topic, partition, st.Visitor))
		buf = st.Encode(append(buf[:0], prefix...))
		args = append(args, string(buf))
	}
	for _, v := range closed {
		keys = append(keys, s.stateKey(topic, partition, v))
	}
	if err := save.Exec(ctx, s.client, keys, args).Error(); err != nil {
		return fmt.Errorf("valkey save %d states, delete %d: %w", len(states), len(closed), err)
	}
	return nil
}

// parseValue splits "<gen>:<offset>:<payload>".
func parseValue(v string) (gen, offset int64, payload string, ok bool) {
	g, rest, ok1 := strings.Cut(v, ":")
	o, payload, ok2 := strings.Cut(rest, ":")
	var err1, err2 error
	gen, err1 = strconv.ParseInt(g, 10, 64)
	offset, err2 = strconv.ParseInt(o, 10, 64)
	return gen, offset, payload, ok1 && ok2 && err1 == nil && err2 == nil
}
