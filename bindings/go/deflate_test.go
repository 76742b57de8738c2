package wsc

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// permessage-deflate against Python websockets: the options reach the C
// library, and the wire stats show compression.
func TestDeflateCompressesOnTheWire(t *testing.T) {
	base := pyPeer(t, "ws", "--deflate-min-bytes", "0")
	c := dial(t, base+"/deflate", WithCompression(true), WithDeflateClientMaxWindowBits(11),
		WithDeflateServerMaxWindowBits(12), WithDeflateClientNoContextTakeover(true),
		WithDeflateServerNoContextTakeover(true), WithDeflateMinBytes(64))
	defer c.Close(1000, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	agreed, err := c.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"client_max_window_bits": 11`, `"server_max_window_bits": 12`,
		`"client_no_context_takeover": true`, `"server_no_context_takeover": true`} {
		if !strings.Contains(string(agreed.Data), want) {
			t.Errorf("server applies %s, want %s", agreed.Data, want)
		}
	}
	msg := []byte(strings.Repeat(`{"id":1,"name":"sensor","ok":true},`, 1000))
	if err := c.Send(ctx, Text, msg); err != nil {
		t.Fatal(err)
	}
	got, err := c.Recv(ctx)
	if err != nil || !bytes.Equal(got.Data, msg) {
		t.Fatalf("echo: %v, %d bytes", err, len(got.Data))
	}
	st := c.Stats()
	if st.BytesSent != uint64(len(msg)) || st.WireBytesSent*4 > st.BytesSent ||
		st.WireBytesReceived*4 > st.BytesReceived {
		t.Fatalf("not compressed on the wire: %+v", st)
	}
}

func TestDeflateBadWindowIsRefused(t *testing.T) {
	_, err := Dial(context.Background(), "ws://127.0.0.1:1/", WithCompression(true),
		WithDeflateClientMaxWindowBits(8))
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "window") {
		t.Fatalf("Dial with window 8: %v", err)
	}
}
