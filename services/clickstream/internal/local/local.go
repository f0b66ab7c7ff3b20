// Package local starts, finds and stops the pipeline's service processes on
// this machine, with their logs and pid files under one state directory.
package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Dir is the state directory: logs in Dir/logs, pid files in Dir/run.
type Dir string

// DefaultDir returns $CLICKSTREAM_LOCAL_DIR, or .local in the working
// directory, where `make up` keeps its servers too.
func DefaultDir() Dir {
	if d := os.Getenv("CLICKSTREAM_LOCAL_DIR"); d != "" {
		return Dir(d)
	}
	return ".local"
}

// Process is one service process this package started.
type Process struct {
	Name string // service name and instance, e.g. pg-sink-2
	PID  int
	Log  string
}

// LogPath returns where the named process writes its output.
func (d Dir) LogPath(name string) string {
	return filepath.Join(string(d), "logs", name+".log")
}

func (d Dir) pidPath(name string) string {
	return filepath.Join(string(d), "run", name+".pid")
}

// Start runs binary as the named process in the background, in its own
// process group so that it outlives the command that started it, with env
// added to this process's environment and its output appended to its log.
func (d Dir) Start(name, binary string, env []string) (Process, error) {
	if p, ok := d.Find(name); ok {
		return p, fmt.Errorf("%s is already running (pid %d)", name, p.PID)
	}
	for _, sub := range []string{"logs", "run"} {
		if err := os.MkdirAll(filepath.Join(string(d), sub), 0o755); err != nil {
			return Process{}, err
		}
	}
	logPath := d.LogPath(name)
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Process{}, err
	}
	defer logFile.Close()

	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return Process{}, fmt.Errorf("start %s: %w", name, err)
	}
	pid := cmd.Process.Pid
	cmd.Process.Release()
	if err := os.WriteFile(d.pidPath(name), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return Process{}, err
	}
	return Process{Name: name, PID: pid, Log: logPath}, nil
}

// Find returns the named process if its pid file names a live process.
func (d Dir) Find(name string) (Process, bool) {
	b, err := os.ReadFile(d.pidPath(name))
	if err != nil {
		return Process{}, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || syscall.Kill(pid, 0) != nil {
		return Process{}, false
	}
	return Process{Name: name, PID: pid, Log: d.LogPath(name)}, true
}

// List returns the live processes whose names start with prefix, by name.
func (d Dir) List(prefix string) []Process {
	entries, err := os.ReadDir(filepath.Join(string(d), "run"))
	if err != nil {
		return nil
	}
	var ps []Process
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".pid")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		if p, ok := d.Find(name); ok {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
	return ps
}

// Stop sends SIGTERM to the named process and waits up to grace for it to
// exit, then kills it. Stopping a process that does not run is no error.
func (d Dir) Stop(name string, grace time.Duration) error {
	p, ok := d.Find(name)
	if !ok {
		return removeIfExists(d.pidPath(name))
	}
	if err := syscall.Kill(p.PID, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s: %w", name, err)
	}
	deadline := time.Now().Add(grace)
	for alive(p.PID) {
		if time.Now().After(deadline) {
			syscall.Kill(p.PID, syscall.SIGKILL)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return removeIfExists(d.pidPath(name))
}

func alive(pid int) bool {
	// A zombie child still answers signal 0; only the init process reaps
	// detached processes, so also look at its state.
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) {
		return b[i+2] != 'Z'
	}
	return true
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Binary finds the named service binary: next to the running executable
// (bin/ after `make build`), else on PATH.
func Binary(name string) (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("no %s binary next to clickstream or on PATH: run make build", name)
	}
	return p, nil
}

// Logs returns the log files of the processes whose names start with
// prefix, running or not, by name.
func (d Dir) Logs(prefix string) []string {
	paths, _ := filepath.Glob(filepath.Join(string(d), "logs", prefix+"*.log"))
	sort.Strings(paths)
	return paths
}
