package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// logsCmd is a logs command over the files that paths returns.
func (a *app) logsCmd(short, example string, paths func() []string) *cobra.Command {
	var lines int
	var follow bool
	cmd := &cobra.Command{
		Use:     "logs",
		Short:   short,
		Example: example,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return tailLogs(cmd.Context(), a.stdout, paths(), lines, follow)
		},
	}
	cmd.Flags().IntVarP(&lines, "lines", "n", 50, "lines to print from the end of each log")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines")
	return cmd
}

// tailLogs prints the last n lines of each file and, with follow, keeps
// printing what is appended until ctx is done. Several files are prefixed
// with their names.
func tailLogs(ctx context.Context, w io.Writer, paths []string, n int, follow bool) error {
	if len(paths) == 0 {
		return fmt.Errorf("no logs: nothing was started on this machine")
	}
	offsets := make([]int64, len(paths))
	for i, p := range paths {
		lines, end, err := lastLines(p, n)
		if err != nil {
			return fmt.Errorf("no log at %s: was it started on this machine?", p)
		}
		offsets[i] = end
		for _, l := range lines {
			writeLogLine(w, paths, p, l)
		}
	}
	for follow {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(250 * time.Millisecond):
		}
		for i, p := range paths {
			offsets[i] = printFrom(w, paths, p, offsets[i])
		}
	}
	return nil
}

func writeLogLine(w io.Writer, paths []string, path, line string) {
	if len(paths) > 1 {
		fmt.Fprintf(w, "%s | ", baseName(path))
	}
	fmt.Fprintln(w, line)
}

func baseName(path string) string {
	return strings.TrimSuffix(filepath.Base(path), ".log")
}

// lastLines returns the last n lines of the file and its size.
func lastLines(path string, n int) ([]string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	end, _ := f.Seek(0, io.SeekCurrent)
	return lines, end, sc.Err()
}

func printFrom(w io.Writer, paths []string, path string, offset int64) int64 {
	f, err := os.Open(path)
	if err != nil {
		return offset
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		writeLogLine(w, paths, path, sc.Text())
		offset += int64(len(sc.Bytes())) + 1
	}
	return offset
}
