package wsc

/*
#include <stdlib.h>
#include "helpers.h"
*/
import "C"

import "unsafe"

// MetricsText returns the metrics of the library's default loop (the one
// every Conn and Pool of this package runs on) in the Prometheus text
// exposition format 0.0.4, labelled per endpoint ("host:port"):
// connections by state, attempts, opens, errors by status, reconnects,
// messages and bytes both ways (payload and wire), queue depths, discarded
// messages, RTT and handshake histograms, pool gauges and totals. Serve it
// as is from a /metrics handler (Content-Type "text/plain; version=0.0.4"),
// or append it to what a Prometheus registry gathers. A call costs the
// library one snapshot; the data path pays nothing for it.
func MetricsText() (string, error) {
	var out *C.char
	r := C.wscgo_metrics_text(&out)
	if r.status != C.WSC_OK {
		return "", errorFrom("metrics", r)
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoString(out), nil
}
