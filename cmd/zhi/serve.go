package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"zhi/engine"
	"zhi/server"
)

var serveCommand = command{
	name:  "serve",
	short: "answer OpenAI-compatible HTTP requests, many clients at once",
	setup: func(fs *pflag.FlagSet) func([]string) error {
		var (
			mf       modelFlags
			host     string
			port     int
			apiKey   string
			parallel int
			queue    int
			alias    string
		)
		mf.register(fs)
		fs.IntVar(&mf.context, "ctx", 0, "context size of each slot in tokens (same as --ctx-size)")
		fs.StringVar(&host, "host", "127.0.0.1", "address to listen on")
		fs.IntVar(&port, "port", 8080, "port to listen on (0: any free one)")
		fs.StringVar(&apiKey, "api-key", "", `require "Authorization: Bearer KEY" (default $ZHI_API_KEY)`)
		fs.IntVar(&parallel, "parallel", 4, "requests computed together, each in its own KV cache slot")
		fs.IntVar(&queue, "queue", 0, "requests that may wait for a slot before more are refused (0: 4 per slot)")
		fs.StringVar(&alias, "alias", "", "model name in the API (default: the file name without .gguf)")
		return func(args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("unexpected argument %q", args[0])
			}
			if parallel < 1 || queue < 0 || port < 0 || port > 65535 {
				return fmt.Errorf("--parallel must be at least 1, --queue not negative, --port in 0..65535")
			}
			if apiKey == "" {
				apiKey = os.Getenv("ZHI_API_KEY")
			}
			e, err := mf.open()
			if err != nil {
				return err
			}
			defer e.Close()
			sched, err := engine.NewScheduler(e, engine.SchedulerOptions{Slots: parallel, Queue: queue})
			if err != nil {
				return err
			}
			defer sched.Close()
			id := alias
			if id == "" {
				id = strings.TrimSuffix(filepath.Base(mf.path), ".gguf")
			}
			srv, err := server.New(e, sched, server.Options{ModelID: id, APIKey: apiKey})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "zhi: serving %s on http://%s\n", id, ln.Addr())
			return serveUntilSignal(ln, srv)
		}
	},
}

// serveUntilSignal answers requests on ln until SIGINT or SIGTERM, then
// stops accepting connections and waits for the requests in flight to
// finish; a second signal drops them instead.
func serveUntilSignal(ln net.Listener, h http.Handler) error {
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-signals:
	}
	fmt.Fprintln(os.Stderr, "zhi: finishing the requests in flight (signal again to drop them)")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-signals:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := hs.Shutdown(ctx); errors.Is(err, context.Canceled) {
		// Closing the connections cancels their requests' contexts, and
		// with them their jobs.
		hs.Close()
	}
	return nil
}
