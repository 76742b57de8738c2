// Bench client on the wsc Go binding (bindings/go), built by bench/run into
// BUILD/bench/bench-wsc-go. Same CLI, protocol and RESULT line as the C/C++ clients
// (bench/bench_common.h) and the gorilla peer: binary messages of S bytes, bytes 0..7 the
// sequence number (uint64 little endian), then the pattern (i*7+13)&0xff; every echo is
// checked for length, in-order sequence number and bytes.
//
//   - throughput/latency: one connection; a sender goroutine keeps at most W messages in
//     flight (Send copies the data and waits while the send queue is full), the main
//     goroutine Recvs and verifies.
//   - connect: N sequential Dial + Close(1000); Close must report a clean handshake.
//   - scale: C Dials from C goroutines (at most 256 in flight), each with the library heartbeat
//     (WithPingInterval(--ping-ms)); after --idle-ms every connection must still be open.
package main

import (
	"bytes"
	"context"
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

	"wsc.example/wsc"
)

const client = "wsc_go"

var (
	url    = flag.String("url", "ws://127.0.0.1:9001/", "")
	mode   = flag.String("mode", "throughput", "throughput|latency|connect|scale")
	size   = flag.Int("size", 64, "")
	window = flag.Int("window", 1, "")
	count  = flag.Int("count", 1000, "")
	conns  = flag.Int("conns", 1000, "")
	pingMs = flag.Int("ping-ms", 10000, "")
	idleMs = flag.Int("idle-ms", 12000, "")
)

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
	fmt.Printf("RESULT client=%s mode=%s size=%d window=%d count=%d seconds=%.6f msgs_per_s=%.1f "+
		"mb_per_s=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f verified=%d\n", client, *mode, s, w,
		*count, seconds, float64(*count)/seconds, mb, pct(samples, 0.5), pct(samples, 0.99),
		pct(samples, 0.999), verified)
}

func messages() {
	ctx := context.Background()
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	c, err := wsc.Dial(dctx, *url)
	cancel()
	if err != nil {
		fail("dial: %v", err)
	}
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
			if err := c.Send(ctx, wsc.Binary, out); err != nil { // Send copies out
				fail("send: %v", err)
			}
		}
	}()
	var tEnd int64
	for seq := 0; seq < *count; seq++ {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := c.Recv(rctx)
		cancel()
		if err != nil {
			fail("recv: %v", err)
		}
		now := ns()
		if m.Type != wsc.Binary {
			fail("verify: message %d is %v, want binary", seq, m.Type)
		}
		if len(m.Data) != *size {
			fail("verify: message %d has %d bytes, want %d", seq, len(m.Data), *size)
		}
		if got := binary.LittleEndian.Uint64(m.Data); got != uint64(seq) {
			fail("verify: got sequence %d, want %d", got, seq)
		}
		if !bytes.Equal(m.Data[8:], pat[8:]) {
			fail("verify: message %d payload differs", seq)
		}
		rtt[seq] = now - atomic.LoadInt64(&tSend[seq])
		<-sem
		tEnd = now
	}
	resultMsgs(float64(tEnd)/1e9, rtt, *count)
	c.Close(1000, "")
}

func connect() {
	lat := make([]int64, 0, *count)
	t0 := time.Now()
	for i := 0; i < *count; i++ {
		s := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		c, err := wsc.Dial(ctx, *url)
		cancel()
		if err != nil {
			fail("dial: %v", err)
		}
		// Close waits for the close handshake; nil = it finished cleanly.
		if err := c.Close(1000, ""); err != nil {
			fail("close not clean: %v", err)
		}
		if code, reason, ok := c.CloseStatus(); !ok || code != 1000 {
			fail("close not clean: code %d reason %q ended %v", code, reason, ok)
		}
		lat = append(lat, int64(time.Since(s)))
	}
	resultMsgs(time.Since(t0).Seconds(), lat, *count)
}

func scale() {
	rss0 := rssKb()
	t0 := time.Now()
	cs := make([]*wsc.Conn, *conns)
	var wg sync.WaitGroup
	errs := make(chan error, *conns)
	// Dial blocks until open, and each blocked Dial holds an OS thread in
	// cgo; 10,000 at once starve the library's loop thread on one CPU (all
	// dials then hit the connect timeout). Keep 256 in flight, like a pool.
	inflight := make(chan struct{}, 256)
	for i := range cs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			inflight <- struct{}{}
			defer func() { <-inflight }()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err := wsc.Dial(ctx, *url, wsc.WithPingInterval(time.Duration(*pingMs)*time.Millisecond))
			if err != nil {
				errs <- err
				return
			}
			cs[i] = c
		}(i)
	}
	wg.Wait()
	openS := time.Since(t0).Seconds()
	rss1 := rssKb()
	if n := len(errs); n > 0 {
		fail("scale: %d of %d dials failed: %v", n, *conns, <-errs)
	}
	c0, w0 := cpuS(), time.Now()
	time.Sleep(time.Duration(*idleMs) * time.Millisecond)
	cpu, wall := cpuS()-c0, time.Since(w0).Seconds()
	dropped := 0
	for _, c := range cs {
		if c.State() != wsc.Open {
			dropped++
		}
	}
	if dropped > 0 {
		fail("scale: %d connections dropped while idle", dropped)
	}
	fmt.Printf("RESULT client=%s mode=scale conns=%d open_s=%.4f rss_kb_per_conn=%.2f rss_before_kb=%d "+
		"rss_after_kb=%d idle_cpu_pct=%.3f ping_ms=%d idle_ms=%d verified=%d\n", client, *conns, openS,
		float64(rss1-rss0)/float64(*conns), rss0, rss1, 100*cpu/wall, *pingMs, *idleMs, len(cs))
	for _, c := range cs {
		wg.Add(1)
		go func(c *wsc.Conn) {
			defer wg.Done()
			c.Close(1000, "")
		}(c)
	}
	wg.Wait()
}

func main() {
	flag.Parse()
	if *mode == "latency" {
		*window = 1
	}
	if *size < 8 || *window < 1 || *count < 1 || *conns < 1 {
		fail("need --size >= 8, --window >= 1, --count >= 1, --conns >= 1")
	}
	switch *mode {
	case "connect":
		connect()
	case "scale":
		scale()
	case "throughput", "latency":
		messages()
	default:
		fail("unknown --mode %q", *mode)
	}
}
