package wsc

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// sampleValue finds the sample named exactly series (name{labels}) in a
// Prometheus text exposition; -1 when absent.
func sampleValue(t *testing.T, text, series string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, series+" ") {
			v, err := strconv.ParseFloat(strings.TrimPrefix(line, series+" "), 64)
			if err != nil {
				t.Fatalf("%q: %v", line, err)
			}
			return v
		}
	}
	return -1
}

func metricsNow(t *testing.T) string {
	t.Helper()
	text, err := MetricsText()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestMetricsTextCountsWhatWasSent(t *testing.T) {
	ep := `endpoint="` + strings.TrimSuffix(strings.TrimPrefix(echoURL, "ws://"), "/") + `"`
	before := sampleValue(t, metricsNow(t), "wsc_messages_sent_total{"+ep+"}")
	if before < 0 {
		before = 0
	}
	c := dial(t, echoURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		if err := c.Send(ctx, Text, []byte("metrics")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	text := metricsNow(t)
	if got := sampleValue(t, text, "wsc_messages_sent_total{"+ep+"}"); got != before+5 {
		t.Fatalf("messages sent %v, want %v\n%s", got, before+5, text)
	}
	if got := sampleValue(t, text, "wsc_connections{"+ep+`,state="open"}`); got < 1 {
		t.Fatalf("open connections %v\n%s", got, text)
	}
	if !strings.Contains(text, "# TYPE wsc_handshake_seconds histogram\n") {
		t.Fatalf("no handshake histogram:\n%s", text)
	}
	c.Close(1000, "")
	// Counters never go down when a connection goes away.
	if got := sampleValue(t, metricsNow(t), "wsc_messages_sent_total{"+ep+"}"); got != before+5 {
		t.Fatalf("after close: messages sent %v, want %v", got, before+5)
	}
}

type captured struct {
	mu    sync.Mutex
	lines []string
}

func (c *captured) Log(level LogLevel, origin, message string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, level.String()+" "+origin+" "+message)
}

func (c *captured) all() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

func TestSetLoggerGetsLibraryEventsAtItsLevel(t *testing.T) {
	if err := SetLogger(&captured{}, LogLevel(9)); err == nil {
		t.Fatal("level 9 accepted")
	}
	log := &captured{}
	if err := SetLogger(log, LogInfo); err != nil {
		t.Fatal(err)
	}
	defer SetLogger(nil, LogOff)
	c := dial(t, echoURL+"?token=s3cr3t", WithHeader("Authorization", "Bearer t0ken"))
	c.Close(1000, "")
	host := strings.TrimSuffix(strings.TrimPrefix(echoURL, "ws://"), "/")
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(log.all(), "info wsc closed "+host) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	all := log.all()
	if !strings.Contains(all, "info wsc open "+host+" in ") {
		t.Fatalf("no open line:\n%s", all)
	}
	if !strings.Contains(all, "info wsc closed "+host+": code 1000") {
		t.Fatalf("no close line:\n%s", all)
	}
	if strings.Contains(all, "debug ") {
		t.Fatalf("debug lines at LogInfo:\n%s", all)
	}
	if strings.Contains(all, "s3cr3t") || strings.Contains(all, "t0ken") {
		t.Fatalf("a secret in the log:\n%s", all)
	}
	// Off: nothing more arrives.
	if err := SetLogger(nil, LogOff); err != nil {
		t.Fatal(err)
	}
	n := len(strings.Split(log.all(), "\n"))
	c2 := dial(t, echoURL)
	c2.Close(1000, "")
	if got := len(strings.Split(log.all(), "\n")); got != n {
		t.Fatalf("lines after SetLogger(nil): %d, before %d", got, n)
	}
}
