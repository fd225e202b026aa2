package jwtauth

import (
	"errors"
	"net/http"
)

// Errors returned by ExtractToken and Verifier.Verify. Each rejection of a
// request wraps exactly one of them, so callers can tell with errors.Is
// why a token was rejected, and ResponseFor can turn it into a response.
var (
	// ErrNoToken means the request carries no bearer credential at all.
	ErrNoToken = errors.New("no bearer token in the request")

	// ErrAmbiguousCredentials means the request carries more than one
	// credential: two Authorization headers, or tokens in two sources.
	// The plugin never guesses which one the client meant.
	ErrAmbiguousCredentials = errors.New("request carries more than one credential")

	// ErrTokenTooLarge means the credential exceeds the size limit; it is
	// rejected before any parsing.
	ErrTokenTooLarge = errors.New("token is too large")

	// ErrTokenMalformed means the credential is not a compact JWS: wrong
	// segment count, invalid base64url or JSON, or a header it cannot use.
	ErrTokenMalformed = errors.New("token is malformed")

	// ErrDuplicateMember means the token's header or payload repeats a
	// JSON member name, so parsers could disagree on its meaning.
	ErrDuplicateMember = errors.New("token JSON repeats a member name")

	// ErrCriticalHeader means the header lists crit parameters, which name
	// JWS extensions this plugin does not implement (RFC 7515 4.1.11).
	ErrCriticalHeader = errors.New("token requires an unsupported JWS extension")

	// ErrAlgorithmNotAllowed means the token's alg is not in the allow-list.
	ErrAlgorithmNotAllowed = errors.New("token signing algorithm is not allowed")

	// ErrUnknownKey means no key in the issuer's key set has the token's
	// kid (a refresh is tried at most once per
	// jwks_unknown_kid_refresh_interval), or, for a token without kid, no
	// key fits its alg.
	ErrUnknownKey = errors.New("token key is not in the issuer's key set")

	// ErrKeyMismatch means the key named by kid cannot verify the token's
	// alg: another key type or curve, a different alg on the key, or a key
	// whose use is not "sig".
	ErrKeyMismatch = errors.New("token key does not match its signing algorithm")

	// ErrSignatureInvalid means the signature does not verify with the key.
	ErrSignatureInvalid = errors.New("token signature is invalid")

	// ErrTokenExpired means exp is in the past, beyond the leeway.
	ErrTokenExpired = errors.New("token has expired")

	// ErrTokenNotYetValid means nbf or iat is in the future, beyond the leeway.
	ErrTokenNotYetValid = errors.New("token is not valid yet")

	// ErrLifetimeTooLong means exp is further after iat than the settings'
	// max_token_lifetime allows.
	ErrLifetimeTooLong = errors.New("token lifetime is too long")

	// ErrMissingClaim means a required claim (exp, or the identity claim) is absent.
	ErrMissingClaim = errors.New("token lacks a required claim")

	// ErrInvalidClaim means a claim has the wrong JSON type or an unusable value.
	ErrInvalidClaim = errors.New("token has an invalid claim")

	// ErrWrongIssuer means iss is not the configured issuer.
	ErrWrongIssuer = errors.New("token issuer is not accepted")

	// ErrWrongAudience means aud contains none of the configured audiences.
	ErrWrongAudience = errors.New("token audience is not accepted")

	// ErrInsufficientScope means a valid token lacks a scope, role or other
	// claim value that a claim rule of the API requires.
	ErrInsufficientScope = errors.New("token lacks a required scope or role")

	// ErrKeysUnavailable means the issuer's key set could not be fetched, so
	// no token can be verified. This is the plugin's failure, not the caller's.
	ErrKeysUnavailable = errors.New("no signing keys are available from the issuer")

	// ErrInvalidSettings means the per-API settings cannot be used.
	ErrInvalidSettings = errors.New("invalid jwks_auth settings")
)

// ErrorResponse is the gateway's response to a request that was not
// authenticated.
type ErrorResponse struct {
	// Status is the HTTP status code.
	Status int

	// ErrorCode is the RFC 6750 error parameter of the WWW-Authenticate
	// challenge: "invalid_token", or empty when the request carried no
	// credential (RFC 6750 section 3.1 wants no error code then).
	ErrorCode string

	// Description is safe to show the client: it never contains the token,
	// key material or internal errors.
	Description string

	// Reason is a stable code for logs and metrics, such as "token_expired".
	Reason string
}

// responses maps each sentinel to its response. The descriptions tell the
// client what to fix; they are the error_description and the JSON body.
var responses = []struct {
	err      error
	response ErrorResponse
}{
	{ErrNoToken, ErrorResponse{http.StatusUnauthorized, "", "bearer token required", "no_token"}},
	{ErrAmbiguousCredentials, ErrorResponse{http.StatusBadRequest, "invalid_request", "request carries more than one credential", "ambiguous_credentials"}},
	{ErrTokenTooLarge, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token is too large", "token_too_large"}},
	{ErrTokenMalformed, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token is malformed", "token_malformed"}},
	{ErrDuplicateMember, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token JSON repeats a member name", "duplicate_member"}},
	{ErrCriticalHeader, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token requires an unsupported JWS extension", "crit_unsupported"}},
	{ErrAlgorithmNotAllowed, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token signing algorithm is not allowed", "alg_not_allowed"}},
	{ErrUnknownKey, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token key id is not in the issuer's key set", "unknown_kid"}},
	{ErrKeyMismatch, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token key cannot verify the token's algorithm", "key_mismatch"}},
	{ErrSignatureInvalid, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token signature is invalid", "bad_signature"}},
	{ErrTokenExpired, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token has expired", "token_expired"}},
	{ErrTokenNotYetValid, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token is not valid yet", "token_not_yet_valid"}},
	{ErrLifetimeTooLong, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token lifetime exceeds the maximum this API allows", "lifetime_too_long"}},
	{ErrMissingClaim, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token lacks a required claim", "missing_claim"}},
	{ErrInvalidClaim, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token has an invalid claim", "invalid_claim"}},
	{ErrWrongIssuer, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token issuer is not accepted", "wrong_issuer"}},
	{ErrWrongAudience, ErrorResponse{http.StatusUnauthorized, "invalid_token", "token audience is not accepted", "wrong_audience"}},
	{ErrInsufficientScope, ErrorResponse{http.StatusForbidden, "insufficient_scope", "token lacks a scope or role this API requires", "insufficient_scope"}},
	{ErrKeysUnavailable, ErrorResponse{http.StatusServiceUnavailable, "", "authentication is temporarily unavailable", "keys_unavailable"}},
	{ErrInvalidSettings, ErrorResponse{http.StatusInternalServerError, "", "authentication is not configured correctly for this API", "invalid_settings"}},
}

// ResponseFor returns the response for an error from ExtractToken or Verify. An
// error that wraps none of the sentinels is treated as the plugin's own
// failure (500), never as a bad token.
func ResponseFor(err error) ErrorResponse {
	for _, a := range responses {
		if errors.Is(err, a.err) {
			return a.response
		}
	}
	return ErrorResponse{http.StatusInternalServerError, "", "authentication failed on the server", "internal_error"}
}

// IsRejection reports whether err is the caller's fault (a 4xx response)
// rather than the plugin's or the issuer's (5xx).
func IsRejection(err error) bool {
	return ResponseFor(err).Status < http.StatusInternalServerError
}
