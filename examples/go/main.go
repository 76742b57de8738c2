// echo_chat: a minimal chat with a WebSocket echo server through the Go binding.
//
//	wsc serve --port 9001 &
//	go run . ws://127.0.0.1:9001/ hello world              # messages from argv
//	printf 'one\ntwo\n' | go run . ws://127.0.0.1:9001/   # or from stdin
//
// Each message is sent as a text message and its echo printed as "echo: ...".
// The binding uses cgo with `pkg-config wsc` (an installed libwsc).
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"wsc.example/wsc"
)

func main() { os.Exit(run()) }

func run() int {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: echo_chat ws://HOST:PORT/ [MESSAGE...]")
		return 2
	}
	url, lines := os.Args[1], os.Args[2:]
	if len(lines) == 0 {
		for sc := bufio.NewScanner(os.Stdin); sc.Scan(); {
			lines = append(lines, sc.Text())
		}
	}

	// Dial returns once the connection is open (or failed, or ctx ended).
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := wsc.Dial(ctx, url, wsc.WithConnectTimeout(5*time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "echo_chat:", err)
		return 1
	}
	fmt.Println("connected to", url)

	for _, line := range lines {
		if line == "" {
			continue
		}
		if err := c.Send(ctx, wsc.Text, []byte(line)); err != nil {
			fmt.Fprintln(os.Stderr, "echo_chat:", err)
			c.Close(1000, "bye")
			return 1
		}
		m, err := c.Recv(ctx) // pull mode: the next message from the queue
		if err != nil {
			fmt.Fprintln(os.Stderr, "echo_chat:", err)
			c.Close(1000, "bye")
			return 1
		}
		fmt.Printf("echo: %s\n", m.Data)
	}

	// Graceful close: a Close frame, then wait for the server's reply.
	if err := c.Close(1000, "bye"); err != nil {
		fmt.Fprintln(os.Stderr, "echo_chat: close:", err)
		return 1
	}
	fmt.Println("closed")
	return 0
}
