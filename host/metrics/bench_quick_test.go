package metrics

import (
	"context"
	"os"
	"testing"
)

func TestQuickBench(t *testing.T) {
	if os.Getenv("QB") == "" {
		t.Skip()
	}
	if err := Bench(context.Background(), t.TempDir(), 1000000, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
