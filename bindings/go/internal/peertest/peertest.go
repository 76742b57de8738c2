// Package peertest starts the test peers of tests/peers (Python and Node
// servers that print the port they listen on) for the binding's tests and
// those of its codec subpackages.
package peertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// SourceDir is the repository's root: $WSC_SOURCE_DIR, else ../.. of the
// test's directory (bindings/go) or ../../.. of a subpackage's.
func SourceDir() string {
	if d := os.Getenv("WSC_SOURCE_DIR"); d != "" {
		return d
	}
	for _, up := range []string{"../..", "../../.."} {
		d, _ := filepath.Abs(up)
		if _, err := os.Stat(filepath.Join(d, "tests", "peers")); err == nil {
			return d
		}
	}
	return ""
}

// Start runs a server whose stdout goes to a file (no pipe, so no
// goroutine copies it) and waits for the line matching re; it returns the
// first submatch and a stop function.
func Start(re *regexp.Regexp, name string, args ...string) (string, func(), error) {
	out, err := os.CreateTemp("", "wsc-go-peer-*.out")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout = out
	cmd.Stderr = os.Stderr
	// stdin is a pipe kept open until stop: peers that exit at EOF on stdin
	// (the Node ones) then live as long as the test, and die with it.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		out.Close()
		os.Remove(out.Name())
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		out.Close()
		os.Remove(out.Name())
		return "", nil, err
	}
	stop := func() {
		_ = stdin.Close()
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		out.Close()
		os.Remove(out.Name())
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(out.Name())
		if m := re.FindSubmatch(b); m != nil {
			return string(m[1]), stop, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("%s did not print its port", name)
}

// Concurrently starts `starters` goroutines that each start perStarter
// goroutines running call(starter, i), all outstanding at once, and
// returns the errors they returned once all have ended.
func Concurrently(starters, perStarter int, call func(starter, i int) error) []error {
	var wg sync.WaitGroup
	errs := make(chan error, starters*perStarter)
	for w := 0; w < starters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var calls sync.WaitGroup
			for i := 0; i < perStarter; i++ {
				calls.Add(1)
				go func(i int) {
					defer calls.Done()
					if err := call(w, i); err != nil {
						errs <- err
					}
				}(i)
			}
			calls.Wait()
		}(w)
	}
	wg.Wait()
	close(errs)
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}

// EndedBy starts pending in a goroutine, then (50 ms later, so pending is on
// its way) runs trigger, and returns trigger's error or else the error
// pending ended with, or an error if it did not end within 3 s.
func EndedBy(pending func() error, trigger func() error) error {
	ended := make(chan error, 1)
	go func() { ended <- pending() }()
	time.Sleep(50 * time.Millisecond)
	if err := trigger(); err != nil {
		return fmt.Errorf("trigger: %w", err)
	}
	select {
	case err := <-ended:
		return err
	case <-time.After(3 * time.Second):
		return fmt.Errorf("the pending call did not end")
	}
}

var portLine = regexp.MustCompile(`PORT (\d+)`)

// URL starts a peer that prints "PORT n", stops it when the test ends, and
// returns ws://127.0.0.1:n/.
func URL(t testing.TB, name string, args ...string) string {
	t.Helper()
	port, stop, err := Start(portLine, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return "ws://127.0.0.1:" + port + "/"
}

// Context is a context with timeout d, cancelled when the test ends.
func Context(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
