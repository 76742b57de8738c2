package wsc

// The library's own log lines, handed to a Logger the program supplies.
//
// This file has //export functions, so its preamble holds declarations only.

/*
#include "helpers.h"
*/
import "C"

import "sync"

// LogLevel orders log lines; a Logger set at a level gets that level and
// the more severe ones.
type LogLevel int

const (
	LogOff   LogLevel = 0
	LogError LogLevel = 1
	LogWarn  LogLevel = 2
	LogInfo  LogLevel = 3
	LogDebug LogLevel = 4
)

func (l LogLevel) String() string {
	switch l {
	case LogError:
		return "error"
	case LogWarn:
		return "warn"
	case LogInfo:
		return "info"
	case LogDebug:
		return "debug"
	}
	return "off"
}

// Logger receives the library's log lines. origin is "wsc" for the
// library's own events (each attempt, the open with TLS details and
// handshake time, errors, reconnects with their delay and reason, close
// codes) and "lws" for libwebsockets' lines. Log runs on a library thread
// (mostly the loop thread), possibly on several at once: it must be safe
// for concurrent use and must not block for long, nor call SetLogger. Lines
// never carry request headers, proxy credentials, cookies, or URL paths and
// queries.
type Logger interface {
	Log(level LogLevel, origin, message string)
}

// LoggerFunc adapts a function to Logger, e.g. for the standard log package:
//
//	wsc.SetLogger(wsc.LoggerFunc(func(l wsc.LogLevel, origin, msg string) {
//		log.Printf("%s %s: %s", origin, l, msg)
//	}), wsc.LogInfo)
type LoggerFunc func(level LogLevel, origin, message string)

// Log calls f.
func (f LoggerFunc) Log(level LogLevel, origin, message string) { f(level, origin, message) }

var (
	loggerMu sync.Mutex // serialises SetLogger
	logger   struct {
		sync.RWMutex
		l Logger
	}
)

// SetLogger sends the library's log lines at level and above to l, for
// the whole process (the library's logging is process-wide). Lines below
// level are dropped inside the library before they are made. A nil l or
// LogOff is silence, the default: the library never writes to stderr
// itself. When SetLogger returns, the previous Logger is no longer called.
func SetLogger(l Logger, level LogLevel) error {
	if level < LogOff || level > LogDebug {
		return &Error{Op: "set logger", Status: ErrInvalid, Detail: "level must be LogOff..LogDebug"}
	}
	if l == nil {
		level = LogOff
	}
	loggerMu.Lock()
	defer loggerMu.Unlock()
	if level != LogOff {
		logger.Lock()
		logger.l = l
		logger.Unlock()
	}
	// Returns once no call of the previous handler is running.
	if r := C.wscgo_set_log(C.int(level)); r.status != C.WSC_OK {
		return errorFrom("set logger", r)
	}
	if level == LogOff {
		logger.Lock()
		logger.l = nil
		logger.Unlock()
	}
	return nil
}

//export wscgoLog
func wscgoLog(level C.int, origin, message *C.char) {
	o, m := C.GoString(origin), C.GoString(message)
	logger.RLock()
	l := logger.l
	logger.RUnlock()
	if l != nil {
		l.Log(LogLevel(level), o, m)
	}
}
