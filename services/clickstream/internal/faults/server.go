package faults

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/valkey-io/valkey-go"
)

// server is one of the local servers, driven by its script in scripts/local
// (start, stop, restart). The scripts read CLICKSTREAM_PORT_OFFSET and
// CLICKSTREAM_LOCAL_DIR from the environment, which the suite passes on, so
// they act on the stack the suite was pointed at.
type server struct {
	name   string // postgres, kafka or opensearch
	script string
	logs   string // where the output of a failed command is kept
}

func newServer(scripts, logs, name string) server {
	return server{name: name, script: filepath.Join(scripts, name+".sh"), logs: logs}
}

// run runs the script with one command and returns its trimmed output.
// The output of a failed command is kept in a file that the error names.
func (s server) run(ctx context.Context, command string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, s.script, command)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if err != nil {
		path := filepath.Join(s.logs, fmt.Sprintf("%s-%s-%d.log", s.name, command, time.Now().UnixMilli()))
		os.WriteFile(path, out.Bytes(), 0o644)
		return text, fmt.Errorf("%s %s: %w (output in %s)\n%s", filepath.Base(s.script), command, err, path, lastLines(text, 5))
	}
	return text, nil
}

// checkOwn fails unless the script manages a running server at addr, the
// address the suite's services use: the suite must never restart a server
// that it is not pointed at.
func (s server) checkOwn(ctx context.Context, addr string) error {
	endpoint, err := s.run(ctx, "endpoint")
	if err != nil {
		return err
	}
	if endpoint != addr {
		return fmt.Errorf("%s: the suite uses %s but %s manages %s; set CLICKSTREAM_PORT_OFFSET and "+
			"CLICKSTREAM_LOCAL_DIR as for the stack that serves %s", s.name, addr, filepath.Base(s.script), endpoint, addr)
	}
	if _, err := s.run(ctx, "status"); err != nil {
		return fmt.Errorf("%s at %s is not running under %s: %w", s.name, addr, filepath.Base(s.script), err)
	}
	return nil
}

// start starts the server, trying again twice: a local port that a client
// socket happens to hold for a moment makes a start fail.
func (s server) start(ctx context.Context, logf func(string, ...any)) error {
	var err error
	for try := 1; try <= 3; try++ {
		if _, err = s.run(ctx, "start"); err == nil {
			return nil
		}
		logf("%s did not start (try %d of 3): %v", s.name, try, err)
		time.Sleep(2 * time.Second)
	}
	return err
}

// restart stops the server and starts it again.
func (s server) restart(ctx context.Context, logf func(string, ...any)) error {
	if _, err := s.run(ctx, "stop"); err != nil {
		return err
	}
	return s.start(ctx, logf)
}

// flushValkey deletes every key under prefix and returns how many there
// were: the pg-sink's cached session states and their markers.
func flushValkey(ctx context.Context, url, prefix string) (int, error) {
	opt, err := valkey.ParseURL(url)
	if err != nil {
		return 0, err
	}
	client, err := valkey.NewClient(opt)
	if err != nil {
		return 0, fmt.Errorf("valkey %s: %w", opt.InitAddress, err)
	}
	defer client.Close()
	n := 0
	var cursor uint64
	for {
		res, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
		if err != nil {
			return n, fmt.Errorf("valkey scan: %w", err)
		}
		if len(res.Elements) > 0 {
			if err := client.Do(ctx, client.B().Del().Key(res.Elements...).Build()).Error(); err != nil {
				return n, fmt.Errorf("valkey del: %w", err)
			}
			n += len(res.Elements)
		}
		if cursor = res.Cursor; cursor == 0 {
			return n, nil
		}
	}
}

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(text, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
