package test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRelease: make release builds a static binary for every Docker
// platform, named with Docker's names, that file(1) reports as that
// architecture, and SHA256SUMS that sha256sum -c accepts.
func TestRelease(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"make", "file", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found: %v", tool, err)
			}
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "make", "-C", "..", "--no-print-directory", "release", "RELEASE_DIR="+dir).CombinedOutput()
	if err != nil {
		t.Fatalf("make release: %v\n%s", err, out)
	}
	want := map[string]string{ // Docker's platform, as named, → what file(1) says
		"amd64":   "ELF 64-bit LSB executable, x86-64",
		"arm64":   "ELF 64-bit LSB executable, ARM aarch64",
		"arm-v7":  "ELF 32-bit LSB executable, ARM, EABI5",
		"arm-v6":  "ELF 32-bit LSB executable, ARM, EABI5",
		"386":     "ELF 32-bit LSB executable, Intel 80386",
		"ppc64le": "ELF 64-bit LSB executable, 64-bit PowerPC",
		"s390x":   "ELF 64-bit MSB executable, IBM S/390",
		"riscv64": "ELF 64-bit LSB executable, UCB RISC-V",
	}
	for platform, arch := range want {
		bin := filepath.Join(dir, "vigil-linux-"+platform)
		out, err := exec.Command("file", bin).CombinedOutput()
		if got := string(out); err != nil || !strings.Contains(got, arch) || !strings.Contains(got, "statically linked") {
			t.Errorf("file %s = %q, %v; want %q, statically linked", filepath.Base(bin), got, err, arch)
		}
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = dir
	if out, err := check.CombinedOutput(); err != nil || strings.Count(string(out), ": OK") != len(want) {
		t.Errorf("sha256sum -c SHA256SUMS: %v\n%s", err, out)
	}
	// arm/v6 and arm/v7 differ only in what the code may use: GOARM.
	for platform, goarm := range map[string]string{"arm-v6": "6", "arm-v7": "7"} {
		out, err := exec.Command("go", "version", "-m", filepath.Join(dir, "vigil-linux-"+platform)).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "GOARM="+goarm) {
			t.Errorf("go version -m vigil-linux-%s: want GOARM=%s; %v\n%s", platform, goarm, err, out)
		}
	}
}
