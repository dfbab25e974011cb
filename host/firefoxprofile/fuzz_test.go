package firefoxprofile

import "testing"

func FuzzParseINI(f *testing.F) {
	f.Add([]byte("[Profile0]\nName=a\nPath=x.default\nDefault=1\n"))
	f.Add([]byte("\ufeff[General]\n;c\n#c\nbad line\n[x]\n=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, s := range parseINI(b) {
			if s.keys == nil {
				t.Fatal("section without keys map")
			}
		}
	})
}

func FuzzParseOriginAttributes(f *testing.F) {
	f.Add("^partitionKey=%28https%2Cnews.test%29&userContextId=1")
	f.Add("^firstPartyDomain=a.test")
	f.Fuzz(func(t *testing.T, s string) {
		a := parseOriginAttributes(s)
		if a.partitionSite != "" && len(a.partitionSite) < len("x://y") {
			t.Fatalf("partition site %q", a.partitionSite)
		}
	})
}
