// Package servetest runs a service's real main in a child process, for tests
// of the whole binary: start, health, and a clean stop on SIGTERM.
//
// A service's test file hands its main to [Main] from TestMain; [Start] then
// re-executes the test binary so that the child runs that main.
package servetest

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const childEnv = "CLICKSTREAM_SERVETEST_CHILD"

// Main runs main instead of the tests when the process is a child started by
// [Start]; otherwise it runs the tests. Call it from TestMain.
func Main(m *testing.M, main func()) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Process is a running service.
type Process struct {
	cmd      *exec.Cmd
	GRPCAddr string
	HTTPAddr string

	mu    sync.Mutex
	lines []string
	done  chan struct{}
	err   error
}

// Start runs the service with env added to a clean environment (listening
// on random loopback ports unless env says otherwise) and waits until it
// logs that it serves.
func Start(t *testing.T, env ...string) *Process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = t.TempDir() // no .env there: settings come from env only
	cmd.Env = append([]string{childEnv + "=1", "PATH=" + os.Getenv("PATH"),
		"GRPC_ADDR=127.0.0.1:0", "HTTP_ADDR=127.0.0.1:0"}, env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	serving := make(chan struct{})
	go p.read(out, serving)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})

	select {
	case <-serving:
		return p
	case <-p.done:
		t.Fatalf("service exited before serving: %v\n%s", p.err, p.Output())
	case <-time.After(30 * time.Second):
		t.Fatalf("service not serving after 30s:\n%s", p.Output())
	}
	return nil
}

func (p *Process) read(r io.Reader, serving chan struct{}) {
	sc := bufio.NewScanner(r)
	once := sync.Once{}
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.lines = append(p.lines, line)
		p.mu.Unlock()
		var rec struct {
			Msg      string `json:"msg"`
			GRPCAddr string `json:"grpc_addr"`
			HTTPAddr string `json:"http_addr"`
		}
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
			p.GRPCAddr, p.HTTPAddr = rec.GRPCAddr, rec.HTTPAddr
			once.Do(func() { close(serving) })
		}
	}
	p.err = p.cmd.Wait()
	close(p.done)
}

// Output returns everything the process printed so far.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() {
	p.cmd.Process.Kill()
	<-p.done
}

// Exited reports whether the process has exited.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM and returns the exit error (nil for a clean exit) and
// how long the process took to exit, or ctx's error if it did not exit.
func (p *Process) Stop(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-p.done:
		return time.Since(start), p.err
	case <-ctx.Done():
		return time.Since(start), ctx.Err()
	}
}

// Exit runs the service with env and waits for it to exit by itself, as it
// must with bad settings; it returns the output and the exit error. A
// service still running after 10s fails the test.
func Exit(t *testing.T, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{childEnv + "=1", "PATH=" + os.Getenv("PATH"),
		"GRPC_ADDR=127.0.0.1:0", "HTTP_ADDR=127.0.0.1:0"}, env...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("service still running after 10s:\n%s", out)
	}
	return string(out), err
}
