package access

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
	"github.com/authbridge/authbridge/taxonomy"
)

type grantCase struct {
	Origins []string `json:"origins"`
	Domain  string   `json:"domain"`
	Covered bool     `json:"covered"`
}

func TestCoversTable(t *testing.T) {
	b, err := os.ReadFile("testdata/grants.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Cases []grantCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Cases) == 0 {
		t.Fatal("testdata/grants.json has no cases")
	}
	for _, c := range table.Cases {
		if got := Covers(c.Origins, c.Domain); got != c.Covered {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.Origins, c.Domain, got, c.Covered)
		}
	}
}

func TestMissingAndNotGranted(t *testing.T) {
	origins := []string{"*://*.a.test/*"}
	miss := Missing(origins, []string{"a.test", "b.test", "x.a.test", "c.test"})
	if strings.Join(miss, ",") != "b.test,c.test" {
		t.Fatalf("Missing = %v, want [b.test c.test]", miss)
	}
	e := NotGranted("shop", "Shop", miss)
	if e.Code != apitype.CodeAccessNotGranted || apitype.HTTPStatus(e.Code) != 403 {
		t.Errorf("code %s (HTTP %d), want access_not_granted (403)", e.Code, apitype.HTTPStatus(e.Code))
	}
	if e.Prompt == nil || e.Prompt.Action.ID != taxonomy.ActionAllowAccess {
		t.Errorf("prompt %+v, want the allow_access action", e.Prompt)
	}
	if !strings.Contains(e.Message, Message) || !strings.Contains(e.Message, "b.test, c.test") || !strings.Contains(e.Message, "shop") {
		t.Errorf("message %q names neither the domains, the connector nor the action", e.Message)
	}
}
