package wsc

/*
#cgo pkg-config: wsc
#include <wsc/wsc.h>
*/
import "C"

import (
	"strings"
	"time"
)

// Option configures Dial. Each mirrors one WSC_OPT_* key of the C ABI (the
// library validates values; a bad one makes Dial fail with ErrInvalid),
// except WithCloseTimeout, which is the binding's own.
type Option func(*config)

type intOpt struct {
	key   C.int
	value int64
}

type strOpt struct {
	key   C.int
	value string
}

type config struct {
	ints         []intOpt
	strs         []strOpt
	headers      [][2]string
	closeTimeout time.Duration
	hooks        hooks
}

const defaultCloseTimeout = 10 * time.Second

func (c *config) setInt(key C.int, v int64)         { c.ints = append(c.ints, intOpt{key, v}) }
func (c *config) setStr(key C.int, v string)        { c.strs = append(c.strs, strOpt{key, v}) }
func (c *config) setDur(key C.int, d time.Duration) { c.setInt(key, millis(d)) }

// millis rounds a positive duration up to whole milliseconds, so a small
// positive value never turns into 0 (which means "off" for several options).
func millis(d time.Duration) int64 {
	if d <= 0 {
		return int64(d / time.Millisecond)
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// WithConnectTimeout limits TCP + TLS + upgrade (WSC_OPT_CONNECT_TIMEOUT_MS; default 10s).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) { c.setDur(C.WSC_OPT_CONNECT_TIMEOUT_MS, d) }
}

// WithPingInterval sends a ping every d; 0 = no heartbeat (WSC_OPT_PING_INTERVAL_MS).
func WithPingInterval(d time.Duration) Option {
	return func(c *config) { c.setDur(C.WSC_OPT_PING_INTERVAL_MS, d) }
}

// WithPongTimeout fails the connection when a pong takes longer (WSC_OPT_PONG_TIMEOUT_MS).
func WithPongTimeout(d time.Duration) Option {
	return func(c *config) { c.setDur(C.WSC_OPT_PONG_TIMEOUT_MS, d) }
}

// WithIdleTimeout fails the connection after d without any frame; 0 = none.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.setDur(C.WSC_OPT_IDLE_TIMEOUT_MS, d) }
}

// WithWriteTimeout fails the connection when writing stalls for d; 0 = none.
func WithWriteTimeout(d time.Duration) Option {
	return func(c *config) { c.setDur(C.WSC_OPT_WRITE_TIMEOUT_MS, d) }
}

// WithReconnect turns automatic reconnect with backoff on or off (default off).
func WithReconnect(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_RECONNECT, boolInt(on)) }
}

// WithReconnectBackoff sets the backoff range (WSC_OPT_RECONNECT_MIN_MS/_MAX_MS).
func WithReconnectBackoff(min, max time.Duration) Option {
	return func(c *config) {
		c.setDur(C.WSC_OPT_RECONNECT_MIN_MS, min)
		c.setDur(C.WSC_OPT_RECONNECT_MAX_MS, max)
	}
}

// WithReconnectMaxAttempts gives up after n attempts; 0 = unlimited.
func WithReconnectMaxAttempts(n int) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_RECONNECT_MAX_ATTEMPTS, int64(n)) }
}

// WithReconnectOnNormalClose also reconnects after a server close 1000.
func WithReconnectOnNormalClose(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_RECONNECT_ON_NORMAL_CLOSE, boolInt(on)) }
}

// WithReconnectSeed makes the backoff jitter deterministic (tests only).
func WithReconnectSeed(seed int64) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_RECONNECT_SEED, seed) }
}

// WithMaxMessageBytes sets the largest message accepted (default 16 MiB).
func WithMaxMessageBytes(n int64) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_MAX_MESSAGE_BYTES, n) }
}

// WithSendQueueBytes bounds the send queue (default 64 MiB); full = Send waits.
func WithSendQueueBytes(n int64) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_SEND_QUEUE_BYTES, n) }
}

// WithRecvQueueBytes bounds the receive queue (default 64 MiB); full = the
// socket is paused until Recv takes messages.
func WithRecvQueueBytes(n int64) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_RECV_QUEUE_BYTES, n) }
}

// WithSendRate limits sends to perSecond messages with the given burst
// (0 burst = perSecond).
func WithSendRate(perSecond, burst int) Option {
	return func(c *config) {
		c.setInt(C.WSC_OPT_SEND_RATE_PER_S, int64(perSecond))
		if burst > 0 {
			c.setInt(C.WSC_OPT_SEND_BURST, int64(burst))
		}
	}
}

// WithCompression offers permessage-deflate (RFC 7692); the WithDeflate*
// options below set its parameters.
func WithCompression(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_COMPRESSION, boolInt(on)) }
}

// WithDeflateClientMaxWindowBits sets the window we compress with, 9..15
// (default 15; the server may ask for less) (WSC_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS).
func WithDeflateClientMaxWindowBits(bits int) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_DEFLATE_CLIENT_MAX_WINDOW_BITS, int64(bits)) }
}

// WithDeflateServerMaxWindowBits asks the server to compress with at most a
// 2^bits window, 9..15; 0 = no request (default).
func WithDeflateServerMaxWindowBits(bits int) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_DEFLATE_SERVER_MAX_WINDOW_BITS, int64(bits)) }
}

// WithDeflateClientNoContextTakeover resets our compression context for every message.
func WithDeflateClientNoContextTakeover(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_DEFLATE_CLIENT_NO_CONTEXT_TAKEOVER, boolInt(on)) }
}

// WithDeflateServerNoContextTakeover asks the server to reset its context for every message.
func WithDeflateServerNoContextTakeover(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_DEFLATE_SERVER_NO_CONTEXT_TAKEOVER, boolInt(on)) }
}

// WithDeflateMinBytes sends messages shorter than n uncompressed (default 256).
func WithDeflateMinBytes(n int64) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_DEFLATE_MIN_BYTES, n) }
}

// WithTLSVerify turns certificate verification on (default) or off.
func WithTLSVerify(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_TLS_VERIFY, boolInt(on)) }
}

// WithTLSMinVersion sets the lowest TLS version: 12 (default) or 13.
func WithTLSMinVersion(v int) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_TLS_MIN_VERSION, int64(v)) }
}

// WithProxyFromEnv uses http_proxy/https_proxy/no_proxy from the environment.
func WithProxyFromEnv(on bool) Option {
	return func(c *config) { c.setInt(C.WSC_OPT_PROXY_FROM_ENV, boolInt(on)) }
}

// WithSubprotocols offers these subprotocols, in order of preference.
func WithSubprotocols(protocols ...string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_SUBPROTOCOLS, strings.Join(protocols, ",")) }
}

// WithOrigin sets the Origin header.
func WithOrigin(origin string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_ORIGIN, origin) }
}

// WithTLSCAFile trusts the CAs in this PEM bundle instead of the system store.
func WithTLSCAFile(path string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_TLS_CA_FILE, path) }
}

// WithTLSClientCert presents a client certificate (PEM files).
func WithTLSClientCert(certFile, keyFile string) Option {
	return func(c *config) {
		c.setStr(C.WSC_OPT_TLS_CERT_FILE, certFile)
		c.setStr(C.WSC_OPT_TLS_KEY_FILE, keyFile)
	}
}

// WithTLSCiphers sets the TLS 1.2 cipher list (OpenSSL syntax).
func WithTLSCiphers(list string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_TLS_CIPHERS, list) }
}

// WithTLS13Ciphersuites sets the TLS 1.3 ciphersuites (OpenSSL syntax).
func WithTLS13Ciphersuites(list string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_TLS13_CIPHERSUITES, list) }
}

// WithTLSGroups sets the key exchange groups (OpenSSL syntax).
func WithTLSGroups(list string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_TLS_GROUPS, list) }
}

// WithTLSServerName sets the SNI and the name the certificate must match.
func WithTLSServerName(name string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_TLS_SERVER_NAME, name) }
}

// WithProxy connects through an HTTP proxy: http://[user:pass@]host:port.
func WithProxy(url string) Option {
	return func(c *config) { c.setStr(C.WSC_OPT_PROXY, url) }
}

// WithHeader adds a handshake header (repeatable).
func WithHeader(name, value string) Option {
	return func(c *config) { c.headers = append(c.headers, [2]string{name, value}) }
}

// WithCloseTimeout bounds how long Close waits for the close handshake
// (default 10s). It is the binding's own setting, not a C option.
func WithCloseTimeout(d time.Duration) Option {
	return func(c *config) { c.closeTimeout = d }
}

// hooks are the user's callbacks. They run on the library's loop thread
// (shared by every connection of the process): they must return quickly
// and must not block on this Conn (no Recv, Send that waits, Close, Ping).
type hooks struct {
	onState        func(from, to State)
	onPing, onPong func(payload []byte)
}

// The control frame kinds of the C ABI's wsc_control.
const (
	controlPing = C.WSC_CONTROL_PING
	controlPong = C.WSC_CONTROL_PONG
)

// WithOnState calls f at each state change (Connecting, Open, Closing,
// Closed, Reconnecting; a reconnect shows as Open -> Reconnecting ->
// Connecting -> Open). f runs on the library's loop thread: it must return
// quickly and must not wait on the connection.
func WithOnState(f func(from, to State)) Option {
	return func(c *config) { c.hooks.onState = f }
}

// WithOnPing calls f with the payload of each ping the server sends (the
// library has already queued the pong; like gorilla's SetPingHandler, but
// the answer is not f's job). Same thread rules as WithOnState.
func WithOnPing(f func(payload []byte)) Option {
	return func(c *config) { c.hooks.onPing = f }
}

// WithOnPong calls f with the payload of each pong that answers none of our
// pings: an unsolicited pong, which RFC 6455 allows as a one-way heartbeat.
// The round trip of our own pings is Ping's result and Stats().RTTLast.
// Same thread rules as WithOnState.
func WithOnPong(f func(payload []byte)) Option {
	return func(c *config) { c.hooks.onPong = f }
}
