package main

import (
	"strings"
	"testing"
)

func TestBenchReadCookieMeta(t *testing.T) {
	var sb strings.Builder
	if err := benchReadCookieMeta(&sb, 20); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sb.String(), "median") {
		t.Errorf("benchReadCookieMeta wrote %q", sb.String())
	}
	t.Log(sb.String())
}
