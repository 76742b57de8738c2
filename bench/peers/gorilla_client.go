// Peer client on gorilla/websocket (Debian golang-github-gorilla-websocket-dev), built by
// bench/run with GO111MODULE=off GOPATH=/usr/share/gocode. Same CLI, protocol and RESULT line
// as the C/C++ clients (bench/bench_common.h).
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

var (
	url    = flag.String("url", "ws://127.0.0.1:9001/", "")
	mode   = flag.String("mode", "throughput", "")
	size   = flag.Int("size", 64, "")
	window = flag.Int("window", 1, "")
	count  = flag.Int("count", 1000, "")
	conns  = flag.Int("conns", 1000, "")
	pingMs = flag.Int("ping-ms", 10000, "")
	idleMs = flag.Int("idle-ms", 12000, "")
	caFile = flag.String("ca", "", "wss: PEM file to trust (the bench certificate)")
	resume = flag.Int("resume", 1, "wss: 1 = resume TLS sessions (one client session cache)")
	_      = flag.String("payload", "pattern", "only pattern (gorilla runs no deflate cells)")
	_      = flag.Int("deflate", 0, "ignored: gorilla runs no deflate cells")
)

// tlsConfig is nil for ws:// and trusts --ca for wss://; with --resume 1 every dial shares
// one session cache, so reconnects resume.
var tlsCfg *tls.Config

func dialer() websocket.Dialer {
	if tlsCfg == nil && *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			fail("ca: %v", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tlsCfg = &tls.Config{RootCAs: pool}
		if *resume != 0 {
			tlsCfg.ClientSessionCache = tls.NewLRUClientSessionCache(16)
		}
	}
	return websocket.Dialer{TLSClientConfig: tlsCfg, HandshakeTimeout: 60 * time.Second}
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(1)
}

func pattern(n int) []byte {
	b := make([]byte, n)
	for i := 8; i < n; i++ {
		b[i] = byte((i*7 + 13) & 0xff)
	}
	return b
}

func pct(v []int64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	i := int(q * float64(len(v)))
	if i >= len(v) {
		i = len(v) - 1
	}
	return float64(v[i]) / 1000
}

func rssKb() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n
		}
	}
	return -1
}

func cpuS() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func resultMsgs(seconds float64, samples []int64, verified int) {
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	s, w, mb := *size, *window, float64(*count)*float64(*size)/seconds/1e6
	if *mode == "connect" {
		s, w, mb = 0, 0, 0
	}
	fmt.Printf("RESULT client=gorilla mode=%s size=%d window=%d count=%d seconds=%.6f msgs_per_s=%.1f "+
		"mb_per_s=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f verified=%d\n", *mode, s, w, *count, seconds,
		float64(*count)/seconds, mb, pct(samples, 0.5), pct(samples, 0.99), pct(samples, 0.999), verified)
}

func messages() {
	d := dialer()
	d.ReadBufferSize, d.WriteBufferSize = 65536, 65536
	c, _, err := d.Dial(*url, nil)
	if err != nil {
		fail("dial: %v", err)
	}
	c.SetReadLimit(int64(*size) + 1024)
	pat := pattern(*size)
	tSend := make([]int64, *count)
	rtt := make([]int64, *count)
	sem := make(chan struct{}, *window)
	start := time.Now()
	ns := func() int64 { return int64(time.Since(start)) }
	go func() {
		out := make([]byte, *size)
		copy(out, pat)
		for seq := 0; seq < *count; seq++ {
			sem <- struct{}{}
			binary.LittleEndian.PutUint64(out, uint64(seq))
			atomic.StoreInt64(&tSend[seq], ns())
			if err := c.WriteMessage(websocket.BinaryMessage, out); err != nil {
				fail("write: %v", err)
			}
		}
	}()
	var tEnd int64
	for seq := 0; seq < *count; seq++ {
		_, m, err := c.ReadMessage()
		if err != nil {
			fail("read: %v", err)
		}
		now := ns()
		if len(m) != *size || binary.LittleEndian.Uint64(m) != uint64(seq) || !bytes.Equal(m[8:], pat[8:]) {
			fail("verify: message %d differs", seq)
		}
		rtt[seq] = now - atomic.LoadInt64(&tSend[seq])
		<-sem
		tEnd = now
	}
	resultMsgs(float64(tEnd)/1e9, rtt, *count)
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
	c.Close()
}

func connect() {
	lat := make([]int64, 0, *count)
	resumed := 0 // wss handshakes that resumed a TLS session
	t0 := time.Now()
	for i := 0; i < *count; i++ {
		s := time.Now()
		d := dialer()
		c, _, err := d.Dial(*url, nil)
		if err != nil {
			fail("dial: %v", err)
		}
		if tc, ok := c.UnderlyingConn().(*tls.Conn); ok && tc.ConnectionState().DidResume {
			resumed++
		}
		c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""))
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				if !websocket.IsCloseError(err, 1000) {
					fail("close not clean: %v", err)
				}
				break
			}
		}
		c.Close()
		lat = append(lat, int64(time.Since(s)))
	}
	// Resumption on, wss: every handshake after the first must have resumed, or the cell lies.
	if *resume != 0 && strings.HasPrefix(*url, "wss:") && resumed < *count-1 {
		fail("only %d of %d handshakes resumed", resumed, *count)
	}
	resultMsgs(time.Since(t0).Seconds(), lat, *count)
}

func scale() {
	rss0 := rssKb()
	t0 := time.Now()
	cs := make([]*websocket.Conn, *conns)
	var wg sync.WaitGroup
	var dropped, idleDone int32
	errs := make(chan error, *conns)
	urls := strings.Split(*url, ",") // spread over several server ports (bench/scale_run)
	for i := range cs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := websocket.Dialer{HandshakeTimeout: 60 * time.Second}
			c, _, err := d.Dial(urls[i%len(urls)], nil)
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
		}(i)
	}
	wg.Wait()
	openS := time.Since(t0).Seconds()
	if len(errs) > 0 {
		fail("scale: %d dials failed: %v", len(errs), <-errs)
	}
	rss1 := rssKb()
	// Heartbeats: a reader goroutine (handles pongs) and a ping ticker per connection.
	for _, c := range cs {
		go func(c *websocket.Conn) {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					if atomic.LoadInt32(&idleDone) == 0 {
						atomic.AddInt32(&dropped, 1)
					}
					return
				}
			}
		}(c)
		go func(c *websocket.Conn) {
			t := time.NewTicker(time.Duration(*pingMs) * time.Millisecond)
			defer t.Stop()
			for range t.C {
				if atomic.LoadInt32(&idleDone) != 0 {
					return
				}
				c.WriteControl(websocket.PingMessage, nil, time.Now().Add(10*time.Second))
			}
		}(c)
	}
	c0, w0 := cpuS(), time.Now()
	time.Sleep(time.Duration(*idleMs) * time.Millisecond)
	cpu, wall := cpuS()-c0, time.Since(w0).Seconds()
	atomic.StoreInt32(&idleDone, 1)
	if dropped > 0 {
		fail("scale: %d connections dropped while idle", dropped)
	}
	fmt.Printf("RESULT client=gorilla mode=scale conns=%d open_s=%.4f rss_kb_per_conn=%.2f rss_before_kb=%d "+
		"rss_after_kb=%d idle_cpu_pct=%.3f ping_ms=%d idle_ms=%d verified=%d\n", *conns, openS,
		float64(rss1-rss0)/float64(*conns), rss0, rss1, 100*cpu/wall, *pingMs, *idleMs, len(cs))
	for _, c := range cs {
		c.Close()
	}
}

func main() {
	flag.Parse()
	if *mode == "latency" {
		*window = 1
	}
	switch *mode {
	case "connect":
		connect()
	case "scale":
		scale()
	default:
		messages()
	}
}
