// Package chromeprofile finds the browser profiles of Chromium-based
// browsers on disk, reads the metadata (never the values) of the cookies in
// their on-disk cookie stores, binds the profile a bridge serves to its
// directory from evidence, and writes a connector's cookies into a
// persistent browser profile through the browser itself.
package chromeprofile
