package release

import (
	"errors"
	"testing"

	"github.com/authbridge/authbridge/host/apitype"
)

func TestHubAdmitsUpToTheCapPerUser(t *testing.T) {
	var h hub
	for range 2 {
		if err := h.admit(1000, 2); err != nil {
			t.Fatal(err)
		}
	}
	var ae *apitype.Error
	if err := h.admit(1000, 2); !errors.As(err, &ae) || ae.Code != apitype.CodeBusy {
		t.Fatalf("a third stream of the same user: %v, want busy", err)
	}
	if err := h.admit(1001, 2); err != nil {
		t.Fatalf("another user's stream: %v", err)
	}
	h.release(1000)
	if err := h.admit(1000, 2); err != nil {
		t.Fatalf("after one closed: %v", err)
	}
}

func TestHubPublishWakesOnlyThatConnectorOnce(t *testing.T) {
	var h hub
	a, b := h.subscribe("a"), h.subscribe("b")
	h.publish("a")
	h.publish("a") // coalesced with the pending one
	if len(a) != 1 || len(b) != 0 {
		t.Fatalf("pending wake-ups a=%d b=%d, want 1 and 0", len(a), len(b))
	}
	h.unsubscribe("a", a)
	<-a
	h.publish("a")
	if len(a) != 0 {
		t.Fatal("an unsubscribed stream was woken")
	}
}
