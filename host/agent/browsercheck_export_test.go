package agent

// BrowserCheck exposes the session manager's BrowserCheck to the tests.
var BrowserCheck = (*Agent).browserCheck
