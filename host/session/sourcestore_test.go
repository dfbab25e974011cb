package session

import (
	"testing"

	"github.com/authbridge/authbridge/host/connector"
)

func TestSourceStoreLabel(t *testing.T) {
	tests := []struct {
		def  connector.Definition
		want string
	}{
		{connector.Definition{Domains: []string{"shop.test"}}, "default"},
		{connector.Definition{Domains: []string{"shop.test"}, SourceStore: "Work"}, "Work"},
	}
	for _, tt := range tests {
		if got := sourceStoreLabel(tt.def); got != tt.want {
			t.Errorf("sourceStoreLabel(%+v) = %q, want %q", tt.def, got, tt.want)
		}
	}
}
