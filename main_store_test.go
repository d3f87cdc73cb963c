package main

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// TestRunStore starts the hidden "store" command the load tests use as a
// separate database process, connects to it, and stops it.
func TestRunStore(t *testing.T) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"store", "--dir", t.TempDir(), "--addr", addr},
			func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("store: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("store did not stop within 20 s of its context ending")
		}
	}()

	connCtx, stop := context.WithTimeout(t.Context(), 30*time.Second)
	defer stop()
	s, err := models.Connect(connCtx, "mongodb://"+addr+"/", "ringdesk")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	for {
		if err = s.Ping(connCtx); err == nil || connCtx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("ping the store: %v", err)
	}
}
