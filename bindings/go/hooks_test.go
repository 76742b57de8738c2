package wsc

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookLog records what the hooks report, from the loop thread.
type hookLog struct {
	mu     sync.Mutex
	states []string
	pings  []string
	pongs  []string
}

func (h *hookLog) add(to *[]string, s string) {
	h.mu.Lock()
	*to = append(*to, s)
	h.mu.Unlock()
}

func (h *hookLog) snapshot() (states, pings, pongs []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.states...), append([]string(nil), h.pings...),
		append([]string(nil), h.pongs...)
}

func (h *hookLog) options() []Option {
	return []Option{
		WithOnState(func(from, to State) { h.add(&h.states, from.String()+"->"+to.String()) }),
		WithOnPing(func(p []byte) { h.add(&h.pings, string(p)) }),
		WithOnPong(func(p []byte) { h.add(&h.pongs, string(p)) }),
	}
}

func TestHooksSeeServerPingUnsolicitedPongAndStates(t *testing.T) {
	var h hookLog
	c := dial(t, pyPeer(t, "ws")+"/control", h.options()...)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, pings, pongs := h.snapshot()
		if len(pings) > 0 && len(pongs) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("hooks saw pings %q, pongs %q", pings, pongs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Our own ping's pong is not reported as unsolicited.
	if _, err := c.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(1000, ""); err != nil {
		t.Fatal(err)
	}
	states, pings, pongs := h.snapshot()
	if strings.Join(pings, ",") != "server-ping" || strings.Join(pongs, ",") != "server-pong" {
		t.Fatalf("pings %q, pongs %q", pings, pongs)
	}
	want := "connecting->open,open->closing,closing->closed"
	if got := strings.Join(states, ","); got != want {
		t.Fatalf("states %s, want %s", got, want)
	}
}

func TestRemoteAddrIsTheServersSocket(t *testing.T) {
	c := dial(t, echoURL)
	defer c.Close(1000, "")
	addr, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("RemoteAddr %#v", c.RemoteAddr())
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(strings.TrimSuffix(echoURL, "/"), "ws://"))
	if addr.IP.String() != "127.0.0.1" || strconv.Itoa(addr.Port) != port {
		t.Fatalf("RemoteAddr %v, server at %s", addr, echoURL)
	}
	if err := c.Close(1000, ""); err != nil {
		t.Fatal(err)
	}
	if a := c.RemoteAddr(); a != nil {
		t.Fatalf("RemoteAddr after Close: %v", a)
	}
}
