// RPC bench client on the wsc Go binding's JSON-RPC client (wsc.DialRPC, Call with
// encoding/json), built by bench/rpc_run into BUILD/bench/bench-rpc-wsc-go. N calls of "echo"
// with params [seq, "xx...x"] of S bytes as compact JSON, at most W outstanding (W
// goroutines, each making its next call when its last one ends), every result decoded and
// checked against its params; the RESULT line of bench/bench_common.h (mode throughput).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"wsc.example/wsc"
)

var (
	url    = flag.String("url", "ws://127.0.0.1:9001/", "")
	mode   = flag.String("mode", "throughput", "throughput")
	size   = flag.Int("size", 64, "")
	window = flag.Int("window", 1, "")
	count  = flag.Int("count", 1000, "")
)

func paramsOf(seq int) []any {
	fixed := len(fmt.Sprintf("[%d,\"\"]", seq))
	pad := 0
	if *size > fixed {
		pad = *size - fixed
	}
	return []any{seq, strings.Repeat("x", pad)}
}

func pct(v []time.Duration, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	i := int(q * float64(len(v)))
	if i >= len(v) {
		i = len(v) - 1
	}
	return float64(v[i].Nanoseconds()) / 1000
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsc.DialRPC(ctx, *url, wsc.RPCConfig{DefaultTimeout: time.Minute},
		wsc.WithMaxMessageBytes(int64(*size+1024)))
	if err != nil {
		return err
	}
	defer c.Close()
	rtt := make([]time.Duration, *count)
	var next, verified int64 = -1, 0
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start, cpu0 := time.Now(), cpuSeconds()
	for w := 0; w < *window && w < *count; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seq := int(atomic.AddInt64(&next, 1))
				if seq >= *count {
					return
				}
				params := paramsOf(seq)
				var result []any
				t := time.Now()
				if err := c.Call(context.Background(), "echo", params, &result); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				rtt[seq] = time.Since(t)
				if len(result) == 2 && result[0] == float64(seq) && result[1] == params[1] {
					atomic.AddInt64(&verified, 1)
				}
			}
		}()
	}
	wg.Wait()
	seconds, cpu := time.Since(start).Seconds(), cpuSeconds()-cpu0
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	sort.Slice(rtt, func(i, j int) bool { return rtt[i] < rtt[j] })
	fmt.Printf("RESULT client=rpc_wsc_go mode=%s size=%d window=%d count=%d seconds=%.6f "+
		"msgs_per_s=%.1f mb_per_s=%.3f p50_us=%.1f p99_us=%.1f p999_us=%.1f verified=%d cpu_s=%.6f\n",
		*mode, *size, *window, *count, seconds, float64(*count)/seconds,
		float64(*count)*float64(*size)/seconds/1e6, pct(rtt, 0.5), pct(rtt, 0.99),
		pct(rtt, 0.999), verified, cpu)
	return nil
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// cpuSeconds is the process's CPU time (user + system): the RESULT line's cpu_s is its change
// over the timed section, as in bench/bench_common.h.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
