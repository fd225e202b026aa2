package jwtauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxJSONDepth bounds the nesting of the token's header and payload. Real
// tokens nest two or three levels; the bound keeps a hostile token from
// costing deep recursion.
const maxJSONDepth = 32

// maxNumericDate is 9999-12-31T23:59:59Z in seconds since the epoch.
const maxNumericDate = 253402300799

// unverified holds what inspect reads from a token before its signature
// is checked. It is used only to pick the issuer's key set; golang-jwt then
// verifies the token as a whole.
type unverified struct {
	issuer string

	// payload is the payload segment as it was signed.
	payload string
}

// inspect checks the token's shape before golang-jwt parses it: a compact
// JWS of three base64url segments whose header and payload are JSON
// objects without duplicate member names, and a header without crit. It
// returns the iss claim, so the caller can pick the key set of that
// issuer and no other.
//
// Duplicate names are rejected because JSON parsers disagree on which
// value wins (RFC 7515 section 5.2 and RFC 7519 section 4 allow rejecting
// them): a token must mean one thing to every reader.
func inspect(token string) (unverified, error) {
	if strings.HasPrefix(token, "{") {
		return unverified{}, fmt.Errorf("%w: JWS JSON serialization is not supported, only compact", ErrTokenMalformed)
	}
	segments := strings.Split(token, ".")
	switch len(segments) {
	case 3:
	case 5:
		return unverified{}, fmt.Errorf("%w: encrypted tokens (JWE) are not supported", ErrTokenMalformed)
	default:
		return unverified{}, fmt.Errorf("%w: %d segments, a JWS has 3", ErrTokenMalformed, len(segments))
	}

	headerJSON, err := decodeSegment(segments[0])
	if err != nil {
		return unverified{}, fmt.Errorf("%w: header: %v", ErrTokenMalformed, err)
	}
	payloadJSON, err := decodeSegment(segments[1])
	if err != nil {
		return unverified{}, fmt.Errorf("%w: payload: %v", ErrTokenMalformed, err)
	}
	if err := checkUniqueNames(headerJSON); err != nil {
		return unverified{}, fmt.Errorf("header: %w", err)
	}
	if err := checkUniqueNames(payloadJSON); err != nil {
		return unverified{}, fmt.Errorf("payload: %w", err)
	}

	var header map[string]any
	if err := json.Unmarshal(headerJSON, &header); err != nil {
		return unverified{}, fmt.Errorf("%w: header is not a JSON object", ErrTokenMalformed)
	}
	// This plugin implements no JWS extension, so any crit entry names a
	// parameter it does not understand, and RFC 7515 section 4.1.11 then
	// requires rejecting the token.
	if crit, ok := header["crit"]; ok {
		return unverified{}, fmt.Errorf("%w: %v", ErrCriticalHeader, crit)
	}

	// A map, not a struct: encoding/json matches struct fields without
	// regard to case, and "EXP" must not stand in for "exp".
	var payload map[string]any
	if err := json.Unmarshal(payloadJSON, &payload); err != nil {
		return unverified{}, fmt.Errorf("%w: payload is not a JSON object", ErrTokenMalformed)
	}

	// golang-jwt converts these numbers to int64 seconds, and a value
	// outside int64 converts differently on different processors (a huge
	// exp comes out in the past on amd64). Only years 1970 to 9999 pass.
	for _, name := range []string{"exp", "nbf", "iat"} {
		if seconds, ok := payload[name].(float64); ok && (seconds < 0 || seconds > maxNumericDate) {
			return unverified{}, fmt.Errorf("%w: %s %g is outside the years 1970 to 9999", ErrInvalidClaim, name, seconds)
		}
	}

	// golang-jwt reads exp 0 as no exp at all; it is the first second of
	// 1970, long past.
	if exp, ok := payload["exp"].(float64); ok && exp == 0 {
		return unverified{}, fmt.Errorf("%w: exp is 0", ErrTokenExpired)
	}

	issuer, ok := payload["iss"].(string)
	if payload["iss"] != nil && !ok {
		return unverified{}, fmt.Errorf("%w: iss is not a string", ErrInvalidClaim)
	}
	return unverified{issuer: issuer, payload: segments[1]}, nil
}

// decodeSegment decodes unpadded base64url and rejects the non-canonical
// encodings that lenient decoders accept.
func decodeSegment(segment string) ([]byte, error) {
	return base64.RawURLEncoding.Strict().DecodeString(segment)
}

var errDuplicateName = errors.New("duplicate member name")

// checkUniqueNames reports whether data is one JSON object in which no
// object, at any depth, repeats a member name.
func checkUniqueNames(data []byte) error {
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.UseNumber()

	first, err := decoder.Token()
	if err != nil || first != json.Delim('{') {
		return fmt.Errorf("%w: not a JSON object", ErrTokenMalformed)
	}
	if err := checkObject(decoder, 1); err != nil {
		return err
	}
	if _, err := decoder.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON object", ErrTokenMalformed)
	}
	return nil
}

// checkObject reads the members of an object whose '{' has been read.
func checkObject(decoder *json.Decoder, depth int) error {
	seen := make(map[string]bool)
	for decoder.More() {
		nameToken, err := decoder.Token()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
		}
		name, _ := nameToken.(string)
		if seen[name] {
			return fmt.Errorf("%w: %w %q", ErrDuplicateMember, errDuplicateName, name)
		}
		seen[name] = true
		if err := checkValue(decoder, depth); err != nil {
			return err
		}
	}
	_, err := decoder.Token() // the closing '}'
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	return nil
}

// checkValue reads one JSON value, descending into objects and arrays.
func checkValue(decoder *json.Decoder, depth int) error {
	token, err := decoder.Token()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
	}
	delim, ok := token.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxJSONDepth {
		return fmt.Errorf("%w: JSON nested deeper than %d levels", ErrTokenMalformed, maxJSONDepth)
	}
	switch delim {
	case '{':
		return checkObject(decoder, depth+1)
	case '[':
		for decoder.More() {
			if err := checkValue(decoder, depth+1); err != nil {
				return err
			}
		}
		if _, err := decoder.Token(); err != nil {
			return fmt.Errorf("%w: %v", ErrTokenMalformed, err)
		}
	}
	return nil
}
