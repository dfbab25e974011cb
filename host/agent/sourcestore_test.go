package agent

import (
	"reflect"
	"testing"

	"github.com/authbridge/authbridge/host/connector"
)

func TestCookiesGetParams(t *testing.T) {
	tests := []struct {
		def       connector.Definition
		want      map[string]any
		wantLabel string
	}{
		{connector.Definition{Domains: []string{"shop.test"}}, map[string]any{"domains": []string{"shop.test"}}, "default"},
		{connector.Definition{Domains: []string{"shop.test"}, SourceStore: "Work"}, map[string]any{"domains": []string{"shop.test"}, "store": "Work"}, "Work"},
	}
	for _, tt := range tests {
		if got := cookiesGetParams(tt.def); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("cookiesGetParams(%+v) = %v, want %v", tt.def, got, tt.want)
		}
		if got := sourceStoreLabel(tt.def); got != tt.wantLabel {
			t.Errorf("sourceStoreLabel(%+v) = %q, want %q", tt.def, got, tt.wantLabel)
		}
	}
}
