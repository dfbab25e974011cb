package main

import (
	"os"

	"github.com/authbridge/authbridge/host/chromeprofile"
)

func main() {
	if err := chromeprofile.BenchReadCookieMeta(os.Stdout, 200); err != nil {
		panic(err)
	}
}
