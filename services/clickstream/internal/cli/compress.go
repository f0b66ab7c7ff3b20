package cli

import (
	"bufio"
	"compress/gzip"
	"io"
	"strings"
)

// compressFor returns a buffered writer to w, gzipping when name ends in
// .gz, and the function that flushes it.
func compressFor(name string, w io.Writer) (io.Writer, func() error) {
	buf := bufio.NewWriterSize(w, 1<<20)
	if !strings.HasSuffix(name, ".gz") {
		return buf, buf.Flush
	}
	zw := gzip.NewWriter(buf)
	return zw, func() error {
		if err := zw.Close(); err != nil {
			return err
		}
		return buf.Flush()
	}
}
