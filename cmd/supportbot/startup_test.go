package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkAskProcess measures a whole `supportbot ask` process: start,
// load the knowledge, compile the matcher, answer, exit.
func BenchmarkAskProcess(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "supportbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := exec.Command(bin, "ask", "收不到短信咋办").Output()
		if err != nil || !strings.Contains(string(out), "短信重发") {
			b.Fatalf("ask: %v\n%s", err, out)
		}
	}
}
