package connector

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// The kinds of definition, as recorded in Definition.Kind.
const (
	// KindBuiltin is a definition compiled into the host.
	KindBuiltin = "builtin"
	// KindNative is a file in the native schema.
	KindNative = "native"
	// KindDataConnectors is a data-export app manifest (*-playwright.json).
	KindDataConnectors = "data-connectors"
)

// maxFileSize caps what a definition file may weigh; the app's manifests
// are a few kilobytes.
const maxFileSize = 1 << 20

// FileError reports a definition file that was refused. Err is a *FieldError,
// several joined with errors.Join, or the error that kept the file from
// being read.
type FileError struct {
	Path string
	Err  error
}

// Error names the file on every line, one line per problem.
func (e *FileError) Error() string {
	var errs []error
	if multi, ok := e.Err.(interface{ Unwrap() []error }); ok {
		errs = multi.Unwrap()
	} else {
		errs = []error{e.Err}
	}
	lines := make([]string, len(errs))
	for i, err := range errs {
		lines[i] = e.Path + ": " + err.Error()
	}
	return strings.Join(lines, "\n")
}

func (e *FileError) Unwrap() error { return e.Err }

// readFile reads a definition file of at most maxFileSize bytes. It is the
// one place a definition file is opened. Only regular files are read: a
// symbolic link is resolved and its target must be a regular file too, and
// the file is opened without blocking, so that a FIFO (or a device) put in
// a connectors folder is refused by name instead of hanging the agent.
// A UTF-8 byte-order mark is skipped; a UTF-16 one, or bytes that are not
// UTF-8, are refused by name. No error quotes the file's content.
func readFile(path string) ([]byte, error) {
	fail := func(err error) ([]byte, error) { return nil, &FileError{Path: path, Err: err} }
	fi, err := os.Lstat(path)
	if err != nil {
		return fail(err)
	}
	link := ""
	if fi.Mode()&fs.ModeSymlink != 0 {
		link = "is a symbolic link to a file that "
		if fi, err = os.Stat(path); err != nil {
			return fail(fmt.Errorf("is a symbolic link whose target cannot be read: %w", errors.Unwrap(err)))
		}
	}
	if !fi.Mode().IsRegular() {
		return fail(fmt.Errorf("%sis %s, not a regular file: only regular files are read", link, fileKind(fi.Mode())))
	}
	f, err := openNoBlock(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	// The file may have been replaced since the Lstat: check what was opened.
	if fi, err = f.Stat(); err != nil {
		return fail(err)
	} else if !fi.Mode().IsRegular() {
		return fail(fmt.Errorf("is %s, not a regular file: only regular files are read", fileKind(fi.Mode())))
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return fail(err)
	}
	if len(data) > maxFileSize {
		return fail(fmt.Errorf("file is larger than %d bytes", maxFileSize))
	}
	return checkEncoding(path, data)
}

// checkEncoding skips a UTF-8 byte-order mark and refuses what is not UTF-8.
func checkEncoding(path string, data []byte) ([]byte, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte("\xfe\xff")) || bytes.HasPrefix(data, []byte("\xff\xfe")) {
		return nil, &FileError{Path: path, Err: errors.New("starts with a UTF-16 byte-order mark: save the file as UTF-8")}
	}
	if !utf8.Valid(data) {
		bad := 0
		for bad < len(data) {
			r, n := utf8.DecodeRune(data[bad:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			bad += n
		}
		line, col := position(data, int64(bad)+1)
		return nil, &FileError{Path: path, Err: fmt.Errorf("is not valid UTF-8 (line %d, column %d): save the file as UTF-8", line, col)}
	}
	return data, nil
}

// fileKind names the kind of a file that is not a regular one.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// detect tells a manifest (a top-level "connector_id" or "runtime") from a
// native definition, and refuses what is not a single JSON object.
func detect(data []byte) (string, error) {
	var top map[string]jsontext.Value
	if err := decode(data, &top, false, ""); err != nil {
		return "", err
	}
	if top == nil {
		return "", &FieldError{Problem: "must hold a JSON object"}
	}
	_, hasID := top["connector_id"]
	_, hasRuntime := top["runtime"]
	if hasID || hasRuntime {
		return KindDataConnectors, nil
	}
	return KindNative, nil
}

// parseKind parses data of a known kind; bases are the definitions a
// manifest may inherit from.
func parseKind(data []byte, source, kind string, bases []Definition) (Definition, error) {
	var (
		d   Definition
		err error
	)
	if kind == KindNative {
		d, err = parseNative(data)
	} else {
		d, err = parseManifest(data, bases)
	}
	if err != nil {
		return Definition{}, &FileError{Path: source, Err: err}
	}
	d.Source = source
	d.Kind = kind
	return d, nil
}

func parseNative(data []byte) (Definition, error) {
	var d Definition
	if err := decode(data, &d, true, ""); err != nil {
		return Definition{}, err
	}
	if err := Validate(d); err != nil {
		return Definition{}, err
	}
	normalize(&d)
	return d, nil
}

// normalize puts domains in their normal form.
func normalize(d *Definition) {
	for i, dom := range d.Domains {
		d.Domains[i] = normalizeDomain(dom)
	}
	for i, dom := range d.SignInDomains {
		d.SignInDomains[i] = normalizeDomain(dom)
	}
}

// manifest is the part of a data-export app manifest that the host reads.
// The camelCase fields are the app's legacy duplicates, read when the
// snake_case ones are missing.
type manifest struct {
	ConnectorID      string            `json:"connector_id"`
	LegacyID         string            `json:"id"`
	Name             string            `json:"name"`
	Runtime          string            `json:"runtime"`
	ConnectURL       string            `json:"connect_url"`
	LegacyConnectURL string            `json:"connectURL"`
	ConnectSelector  string            `json:"connect_selector"`
	LegacySelector   string            `json:"connectSelector"`
	Icon             string            `json:"icon"`
	LegacyIconURL    string            `json:"iconURL"`
	ConsumerMetadata *consumerMetadata `json:"consumer_metadata"`
	Auth             jsontext.Value    `json:"auth"`
}

// consumerMetadata is the app's description of the brand a manifest serves.
type consumerMetadata struct {
	DisplayName string `json:"display_name"`
	BrandDomain string `json:"brand_domain"`
}

// authBlock is a manifest's optional "auth" block, in the native field names.
// Nil slices and pointers mean "not set": an empty list set here replaces an
// inherited one.
type authBlock struct {
	Domains     []string `json:"domains"`
	AuthCookies []string `json:"auth_cookies"`
	// SignInDomains are never inherited: a manifest declares its own.
	SignInDomains []string    `json:"sign_in_domains"`
	LoginURL      string      `json:"login_url"`
	Verify        *authVerify `json:"verify"`
	Session       *Session    `json:"session"`
}

type authVerify struct {
	URL                *string  `json:"url"`
	LoggedInSelector   *string  `json:"logged_in_selector"`
	LoginSelector      *string  `json:"login_selector"`
	LoginPatterns      []string `json:"login_patterns"`
	MFAPatterns        []string `json:"mfa_patterns"`
	CheckpointPatterns []string `json:"checkpoint_patterns"`
	Browser            *bool    `json:"browser"`
}

// parseManifest reads a data-export app manifest as a definition, in steps:
// decode, resolve the legacy field names, find the built-in it inherits
// from, apply the auth block over it, validate, and name each problem by
// the manifest field the user can fix.
func parseManifest(data []byte, bases []Definition) (Definition, error) {
	m, auth, err := decodeManifest(data)
	if err != nil {
		return Definition{}, err
	}
	f, err := resolveLegacy(m)
	if err != nil {
		return Definition{}, err
	}
	cu, err := checkURL(f.connectURL)
	if err != nil {
		return Definition{}, fieldErr(f.urlField, "%q %v", f.connectURL, err)
	}
	o := &origins{fields: map[string]string{
		"name":                      "name",
		"id":                        f.idField,
		"login_url":                 f.urlField,
		"verify.url":                f.urlField,
		"verify.logged_in_selector": f.selectorField,
		"session":                   "auth.session",
	}}
	d := Definition{
		ID:       f.id,
		Name:     f.name,
		LoginURL: f.connectURL,
		Icon:     f.icon,
		Verify: Verify{
			URL:              f.connectURL,
			LoggedInSelector: f.selector,
			Browser:          true,
		},
		Session: auth.Session,
	}
	// The site a manifest signs in on decides what it inherits: connect_url's
	// host first (a shop branded shop.example that signs in on amazon.com
	// needs Amazon's cookies), then the brand domain.
	o.addDomain(registrableDomain(cu.Hostname()), f.urlField)
	keys := []string{cu.Hostname()}
	if brand := brandHost(m.ConsumerMetadata); brand != "" {
		keys = append(keys, brand)
		o.addDomain(registrableDomain(brand), "consumer_metadata.brand_domain")
	}
	base := findBase(keys, bases)
	if base != nil {
		d.InheritsFrom = base.ID
	}
	inheritDomains(o, auth.Domains, base)
	d.Domains = o.domains
	applyAuth(&d, auth, o)
	inheritLists(&d, auth, base, o)
	if err := Validate(d); err != nil {
		return Definition{}, renameFields(err, o.rename)
	}
	normalize(&d)
	return d, nil
}

// decodeManifest decodes a manifest and its auth block; unknown fields are
// refused in the auth block only (the app's manifests carry many fields the
// host does not read).
func decodeManifest(data []byte) (manifest, authBlock, error) {
	var m manifest
	if err := decode(data, &m, false, ""); err != nil {
		return manifest{}, authBlock{}, err
	}
	var auth authBlock
	if len(m.Auth) > 0 && string(m.Auth) != "null" {
		if err := decode(m.Auth, &auth, true, "auth"); err != nil {
			return manifest{}, authBlock{}, err
		}
	}
	if auth.Verify == nil {
		auth.Verify = &authVerify{}
	}
	return m, auth, nil
}

// manifestFields are a manifest's identity fields once the legacy camelCase
// duplicates are resolved, each with the name of the field it came from.
type manifestFields struct {
	id, idField             string
	connectURL, urlField    string
	selector, selectorField string
	name, icon              string
}

// resolveLegacy takes each snake_case field, or its legacy duplicate when it
// is missing, and fills the name from the consumer metadata or the id.
func resolveLegacy(m manifest) (manifestFields, error) {
	pick := func(v, field, legacy, legacyField string) (string, string) {
		if v == "" && legacy != "" {
			return legacy, legacyField
		}
		return v, field
	}
	var f manifestFields
	f.id, f.idField = pick(m.ConnectorID, "connector_id", m.LegacyID, "id")
	if f.id == "" {
		return f, fieldErr("connector_id", "is missing")
	}
	f.connectURL, f.urlField = pick(m.ConnectURL, "connect_url", m.LegacyConnectURL, "connectURL")
	if f.connectURL == "" {
		return f, fieldErr("connect_url", "is missing")
	}
	f.selector, f.selectorField = pick(m.ConnectSelector, "connect_selector", m.LegacySelector, "connectSelector")
	f.name = m.Name
	if f.name == "" && m.ConsumerMetadata != nil {
		f.name = m.ConsumerMetadata.DisplayName
	}
	if f.name == "" {
		f.name = f.id
	}
	f.icon, _ = pick(m.Icon, "icon", m.LegacyIconURL, "iconURL")
	return f, nil
}

// brandHost is the host of the consumer metadata's brand domain, which may
// be written as a URL; empty when there is none.
func brandHost(cm *consumerMetadata) string {
	if cm == nil || cm.BrandDomain == "" {
		return ""
	}
	brand := cm.BrandDomain
	if u, err := url.Parse(brand); err == nil && u.Hostname() != "" && strings.Contains(brand, "://") {
		brand = u.Hostname()
	}
	return brand
}

// findBase is the first of bases that covers a key, trying the keys in
// order; nil when none does.
func findBase(keys []string, bases []Definition) *Definition {
	for _, key := range keys {
		for i := range bases {
			if bases[i].Covers(normalizeDomain(key)) {
				return &bases[i]
			}
		}
	}
	return nil
}

// inheritDomains adds the auth block's domains, or else the base's.
func inheritDomains(o *origins, own []string, base *Definition) {
	if own != nil {
		for i, dom := range own {
			o.addDomain(normalizeDomain(dom), fmt.Sprintf("auth.domains[%d]", i))
		}
		return
	}
	if base != nil {
		for i, dom := range base.Domains {
			o.addDomain(normalizeDomain(dom), inherited(base, fmt.Sprintf("domains[%d]", i)))
		}
	}
}

// applyAuth sets the fields the auth block gives over those the manifest's
// own fields filled.
func applyAuth(d *Definition, auth authBlock, o *origins) {
	av := auth.Verify
	if auth.SignInDomains != nil {
		d.SignInDomains = append([]string{}, auth.SignInDomains...)
		o.fields["sign_in_domains"] = "auth.sign_in_domains"
	}
	if auth.LoginURL != "" {
		d.LoginURL = auth.LoginURL
		o.fields["login_url"] = "auth.login_url"
	}
	if av.URL != nil {
		d.Verify.URL = *av.URL
		o.fields["verify.url"] = "auth.verify.url"
	}
	if av.LoggedInSelector != nil {
		d.Verify.LoggedInSelector = *av.LoggedInSelector
		o.fields["verify.logged_in_selector"] = "auth.verify.logged_in_selector"
	}
	if av.Browser != nil {
		d.Verify.Browser = *av.Browser
	}
}

// inheritLists sets the inheritable lists and the sign-in selector: the
// auth block's value, else the base's.
func inheritLists(d *Definition, auth authBlock, base *Definition, o *origins) {
	pick := func(own []string, field string, baseList func(Definition) []string) []string {
		if own != nil {
			o.fields[field] = "auth." + field
			return append([]string{}, own...)
		}
		if base != nil {
			o.fields[field] = inherited(base, field)
			return append([]string(nil), baseList(*base)...)
		}
		return nil
	}
	av := auth.Verify
	d.AuthCookies = pick(auth.AuthCookies, "auth_cookies", func(b Definition) []string { return b.AuthCookies })
	d.Verify.LoginPatterns = pick(av.LoginPatterns, "verify.login_patterns", func(b Definition) []string { return b.Verify.LoginPatterns })
	d.Verify.MFAPatterns = pick(av.MFAPatterns, "verify.mfa_patterns", func(b Definition) []string { return b.Verify.MFAPatterns })
	d.Verify.CheckpointPatterns = pick(av.CheckpointPatterns, "verify.checkpoint_patterns", func(b Definition) []string { return b.Verify.CheckpointPatterns })
	switch {
	case av.LoginSelector != nil:
		d.Verify.LoginSelector = *av.LoginSelector
	case base != nil:
		d.Verify.LoginSelector = base.Verify.LoginSelector
	}
}

// inherited names a field taken from base.
func inherited(base *Definition, field string) string {
	return field + " (inherited from " + base.ID + ")"
}

// origins maps the fields of the definition built from a manifest to the
// manifest fields they came from, so that Validate's errors name what the
// user can fix.
type origins struct {
	// fields maps a native field name ("verify.url") to its manifest field.
	fields map[string]string
	// domains are the definition's domains, domainFrom the field of each.
	domains, domainFrom []string
}

// addDomain adds dom, taken from the manifest field from, unless it is
// there already.
func (o *origins) addDomain(dom, from string) {
	if slices.Contains(o.domains, dom) {
		return
	}
	o.domains = append(o.domains, dom)
	o.domainFrom = append(o.domainFrom, from)
}

// rename turns a native field path of a Validate error into the manifest
// field it came from.
func (o *origins) rename(field string) string {
	if rest, ok := strings.CutPrefix(field, "domains["); ok {
		if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil && i < len(o.domainFrom) {
			return o.domainFrom[i]
		}
	}
	head, tail, _ := strings.Cut(field, "[")
	if tail != "" {
		tail = "[" + tail
	}
	if from, ok := o.fields[head]; ok {
		return from + tail
	}
	if top, sub, ok := strings.Cut(head, "."); ok {
		if from, ok := o.fields[top]; ok {
			return from + "." + sub + tail
		}
	}
	return field
}

// renameFields rewrites the Field of every *FieldError in err.
func renameFields(err error, rename func(string) string) error {
	var errs []error
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		errs = multi.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]error, 0, len(errs))
	for _, e := range errs {
		if fe, ok := e.(*FieldError); ok && fe.Field != "" {
			e = &FieldError{Field: rename(fe.Field), Problem: fe.Problem}
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

// decodeOptions read a file as encoding/json would: names match ignoring
// case (but not '_' or '-'), a repeated name's last value wins, and the
// encoding was checked before (readFile).
var decodeOptions = json.JoinOptions(
	json.MatchCaseInsensitiveNames(true),
	jsonv1.MatchCaseSensitiveDelimiter(true),
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
)

// strictOptions refuse the object members the Go type does not know.
var strictOptions = json.JoinOptions(decodeOptions, json.RejectUnknownMembers(true))

// decode unmarshals data, one JSON value, into v, refusing unknown fields
// when strict. prefix is the path of data inside the file ("auth" for a
// manifest's auth block). Errors are *FieldError.
func decode(data []byte, v any, strict bool, prefix string) error {
	opts := decodeOptions
	if strict {
		opts = strictOptions
	}
	if err := json.Unmarshal(data, v, opts); err != nil {
		return jsonError(data, err, prefix)
	}
	return nil
}

// jsonError turns a decoding error into a *FieldError that names the field,
// or the line and column for a syntax error, from the json package's typed
// errors. It never quotes the file's content.
func jsonError(data []byte, err error, prefix string) error {
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case errors.As(err, &syntax):
		// ByteOffset is where the offending byte starts; at the end of
		// the input, it is the input's length.
		offset := syntax.ByteOffset + 1
		if errors.Is(syntax.Err, io.ErrUnexpectedEOF) {
			offset = syntax.ByteOffset
		}
		line, col := position(data, offset)
		where := ""
		if prefix != "" {
			where = " in " + prefix
		}
		return &FieldError{Problem: fmt.Sprintf("invalid JSON%s at line %d, column %d: %s", where, line, col, syntaxProblem(data, syntax))}
	case errors.As(err, &semantic) && errors.Is(semantic.Err, json.ErrUnknownName):
		return &FieldError{Field: fieldPath(prefix, semantic.JSONPointer), Problem: "is not a known field"}
	case errors.As(err, &semantic) && semantic.GoType != nil:
		field := fieldPath(prefix, semantic.JSONPointer)
		got := kindName(semantic.JSONKind)
		if field == "" {
			want := jsonTypeName(semantic.GoType)
			if want == "an object" {
				want = "a JSON object"
			}
			return &FieldError{Problem: "must hold " + want + ", not " + got}
		}
		return &FieldError{Field: field, Problem: fmt.Sprintf("must be %s, not %s", jsonTypeName(semantic.GoType), got)}
	}
	return &FieldError{Field: prefix, Problem: "invalid JSON"}
}

// syntaxProblem says what was wrong where a syntax error stopped the
// parser, from the error's offset and the byte before it, without quoting
// the offending character.
func syntaxProblem(data []byte, e *jsontext.SyntacticError) string {
	if errors.Is(e.Err, io.ErrUnexpectedEOF) {
		return "unexpected end of JSON input"
	}
	before := bytes.TrimRight(data[:min(max(e.ByteOffset, 0), int64(len(data)))], " \t\r\n")
	switch {
	case len(before) == 0 || bytes.HasSuffix(before, []byte(":")) || bytes.HasSuffix(before, []byte("[")):
		return "unexpected character looking for beginning of value"
	case bytes.HasSuffix(before, []byte("{")):
		return "unexpected character looking for beginning of object key string"
	case bytes.ContainsAny(before[len(before)-1:], `"}]0123456789el`):
		return "unexpected character after a value"
	}
	return "unexpected character"
}

// fieldPath turns a JSON pointer inside the object at prefix into the
// field names of errors: "/verify/login_patterns/0" is
// "verify.login_patterns[0]".
func fieldPath(prefix string, p jsontext.Pointer) string {
	path := prefix
	for tok := range p.Tokens() {
		switch {
		case tok != "" && strings.Trim(tok, "0123456789") == "":
			path += "[" + tok + "]"
		case path == "":
			path = tok
		default:
			path += "." + tok
		}
	}
	return path
}

// kindName names the kind of a JSON value as errors do.
func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "string"
	case '0':
		return "number"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "another value"
}

// position turns offset, the number of bytes read with the offending one
// included, into the 1-based line and column of that byte.
func position(data []byte, offset int64) (line, col int) {
	if offset > 0 {
		offset--
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// jsonTypeName names the JSON shape a Go type decodes from.
func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(jsonTypeName(t.Elem()), "a "), "an ") + "s"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Pointer:
		return jsonTypeName(t.Elem())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}
