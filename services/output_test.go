package services

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is a file that stands in for the container's stdout.
func sink(t testing.TB) (*os.File, func() string) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, func() string {
		b, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}

func TestLineWriter(t *testing.T) {
	long := strings.Repeat("x", MaxLine)
	tests := []struct {
		name   string
		chunks []string // written in turn; then the writer ends
		want   string
	}{
		{"lines", []string{"a\nb\n"}, "web | a\nweb | b\n"},
		{"cut by reads", []string{"he", "llo\nwor", "ld\n"}, "web | hello\nweb | world\n"},
		{"partial last line", []string{"a\nno newline"}, "web | a\nweb | no newline\n"},
		{"empty line", []string{"\n\n"}, "web | \nweb | \n"},
		{"bytes as they are", []string{"\r\x00\xff\xfe\tend\r\n"}, "web | \r\x00\xff\xfe\tend\r\n"},
		{"exactly MaxLine", []string{long + "\n"}, "web | " + long + "\n"},
		{"longer than MaxLine", []string{long + "yz\n"}, "web | " + long + "\nweb + yz\n"},
		{"much longer, in reads", []string{long[:100], long[100:] + long, "tail\nnext\n"},
			"web | " + long + "\nweb + " + long + "\nweb + tail\nweb | next\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, read := sink(t)
			w := newLineWriter("web", int(f.Fd()))
			out := &batch{fd: w.stream}
			for _, c := range tt.chunks {
				w.write(out, []byte(c))
				out.send()
			}
			w.flush(out)
			out.send()
			if got := read(); got != tt.want {
				t.Errorf("lines of %q = %.200q; want %.200q", tt.chunks, got, tt.want)
			}
		})
	}
}

// TestOutputPipes: writers writing at once through their pipes: every line
// arrives once, whole, with its writer's name; a partial last line is
// flushed at EOF; Drain returns once all is written.
func TestOutputPipes(t *testing.T) {
	f, read := sink(t)
	o, err := NewOutput()
	if err != nil {
		t.Fatal(err)
	}
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for i := range writers {
		w, err := o.Pipe(fmt.Sprintf("w%d", i), int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Close()
			for n := range lines {
				fmt.Fprintf(w, "line %d of writer %d\n", n, i)
			}
			io.WriteString(w, "end")
		}()
	}
	wg.Wait()
	if !o.Drain(20 * time.Second) {
		t.Fatal("Drain: not drained in 20s")
	}
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(read(), "\n"), "\n") {
		var name, rest string
		name, rest, ok := strings.Cut(l, " | ")
		var n, i int
		if _, err := fmt.Sscanf(rest, "line %d of writer %d", &n, &i); ok && err == nil && name == fmt.Sprintf("w%d", i) || ok && rest == "end" {
			if seen[l] {
				t.Fatalf("line %q twice", l)
			}
			seen[l] = true
			continue
		}
		t.Fatalf("line %q: want \"wN | line n of writer N\" or \"wN | end\"", l)
	}
	if len(seen) != writers*(lines+1) {
		t.Errorf("%d distinct lines; want %d", len(seen), writers*(lines+1))
	}
}

var benchLine = []byte(strings.Repeat("GET /index.html 200 0.0012s ", 3) + "\n")

// BenchmarkPrefix is the copier's work on one read of 64 KiB of 85-byte
// lines: prefixing and batching (the write is to /dev/null).
func BenchmarkPrefix(b *testing.B) {
	devNull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devNull.Close()
	data := bytes.Repeat(benchLine, readSize/len(benchLine))
	w := newLineWriter("web", int(devNull.Fd()))
	out := &batch{fd: w.stream}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		w.write(out, data)
		out.send()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(len(data)/len(benchLine))), "ns/line")
}

// BenchmarkPlainCopy is the same bytes written as they are, in one write:
// what VIGIL_LOG_PREFIX=false spares.
func BenchmarkPlainCopy(b *testing.B) {
	devNull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer devNull.Close()
	data := bytes.Repeat(benchLine, readSize/len(benchLine))
	out := &batch{fd: int(devNull.Fd())}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		out.buf = append(out.buf, data...)
		out.send()
	}
}
