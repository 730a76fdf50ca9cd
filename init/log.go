package boot

import (
	"io"
	"log/slog"
	"os"
)

// newLogger returns vigil's own logger: one line per message on stderr,
// "vigil: level=INFO msg=... key=value". No time: the container runtime
// stamps each line, and a second stamp only makes lines longer.
func newLogger(level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}
	return slog.New(slog.NewTextHandler(prefixWriter{os.Stderr}, opts))
}

// prefixWriter writes each record (the handler writes one per call) with
// "vigil: " in front, in a single write so that it does not interleave with
// children writing to the same stderr.
type prefixWriter struct{ w io.Writer }

func (p prefixWriter) Write(b []byte) (int, error) {
	line := make([]byte, 0, len("vigil: ")+len(b))
	line = append(append(line, "vigil: "...), b...)
	if _, err := p.w.Write(line); err != nil {
		return 0, err
	}
	return len(b), nil
}
