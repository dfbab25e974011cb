// Package firefoxprofile finds Firefox (and LibreWolf) profiles on disk
// (profiles.ini, installs.ini) and reads the metadata of the cookies in a
// profile's cookies.sqlite (moz_cookies): never the value column. The
// results use chromeprofile's types, so profile binding and the disk watcher
// treat both browsers alike.
package firefoxprofile
