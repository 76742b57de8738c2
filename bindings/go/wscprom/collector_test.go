package wscprom

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"wsc.example/wsc"
)

// echoServer starts `wsc serve` (WSC_CLI) and returns its host:port.
func echoServer(t *testing.T) string {
	t.Helper()
	cli := os.Getenv("WSC_CLI")
	if cli == "" {
		t.Skip("WSC_CLI not set")
	}
	cmd := exec.Command(cli, "serve", "--port", "0", "--bind", "127.0.0.1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`ws://(127\.0\.0\.1:\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("no address in %q", line)
	}
	return m[1]
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

func TestCollectorThroughARegistryAndPromhttp(t *testing.T) {
	addr := echoServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsc.Dial(ctx, "ws://"+addr+"/")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(1000, "")
	for i := 0; i < 3; i++ {
		if err := c.Send(ctx, wsc.Text, []byte("scrape me")); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector())
	// Gather checks every metric (names, label consistency, histograms).
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range families {
		for _, m := range f.Metric {
			l := labelsOf(m)
			if l["endpoint"] != addr {
				continue
			}
			switch {
			case f.GetName() == "wsc_messages_sent_total" && f.GetType() == dto.MetricType_COUNTER:
				found["sent"] = m.GetCounter().GetValue() == 3
			case f.GetName() == "wsc_connections" && l["state"] == "open":
				found["open"] = m.GetGauge().GetValue() == 1
			case f.GetName() == "wsc_handshake_seconds" && f.GetType() == dto.MetricType_HISTOGRAM:
				found["handshake"] = m.GetHistogram().GetSampleCount() == 1
			}
		}
	}
	for _, k := range []string{"sent", "open", "handshake"} {
		if !found[k] {
			t.Errorf("%s: not found or wrong value in %v", k, families)
		}
	}

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := `wsc_messages_received_total{endpoint="` + addr + `"} 3`
	if !strings.Contains(string(body), want) {
		t.Fatalf("scrape lacks %q:\n%s", want, body)
	}
}
