package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// service is one of the pipeline's binaries, run by the suite as a child
// process on addresses of its own, so that it can be killed and started
// again on the same addresses.
type service struct {
	name     string // the binary's name in bin/
	binary   string
	env      []string
	dir      string // working directory: holds no .env, so settings come from env only
	logPath  string
	grpcAddr string
	httpAddr string

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

func newService(name, bin, work string, env []string) (*service, error) {
	grpcAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &service{
		name:     name,
		binary:   filepath.Join(bin, name),
		env:      env,
		dir:      dir,
		logPath:  filepath.Join(work, "logs", name+".log"),
		grpcAddr: grpcAddr,
		httpAddr: httpAddr,
	}, nil
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// start runs the service and waits until it logs that it serves. Its
// output is appended to its log. The process dies with the suite.
func (s *service) start(ctx context.Context) error {
	if err := os.MkdirAll(filepath.Dir(s.logPath), 0o755); err != nil {
		return err
	}
	logFile, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(s.binary)
	cmd.Dir = s.dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "GRPC_ADDR=" + s.grpcAddr, "HTTP_ADDR=" + s.httpAddr}, s.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		logFile.Close()
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	serving := make(chan struct{})
	go func() {
		copyUntilServing(out, logFile, serving)
		cmd.Wait()
		logFile.Close()
		close(s.done)
	}()

	select {
	case <-serving:
		return nil
	case <-s.done:
		return fmt.Errorf("%s exited before serving (%s); see %s", s.name, cmd.ProcessState, s.logPath)
	case <-time.After(60 * time.Second):
		return fmt.Errorf("%s not serving after 60s; see %s", s.name, s.logPath)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// copyUntilServing copies the process's output to its log and closes
// serving at the line that says it serves.
func copyUntilServing(r io.Reader, w io.Writer, serving chan struct{}) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		w.Write(line)
		w.Write([]byte{'\n'})
		if serving == nil {
			continue
		}
		var rec struct{ Msg string }
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "serving" {
			close(serving)
			serving = nil
		}
	}
	io.Copy(w, r)
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *service) kill() error {
	if s.cmd == nil {
		return fmt.Errorf("%s is not running", s.name)
	}
	if err := s.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill %s: %w", s.name, err)
	}
	<-s.done
	s.cmd = nil
	return nil
}

// stop ends the process with SIGTERM, or SIGKILL after 15 seconds.
func (s *service) stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// running reports whether the process is alive.
func (s *service) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}
