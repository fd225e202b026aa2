package jwtauth_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwks-auth/tyk-jwks-auth/internal/jwtauth"
)

func TestAnswerFor(t *testing.T) {
	tests := []struct {
		err       error
		status    int
		errorCode string
		reason    string
		rejection bool
	}{
		{jwtauth.ErrNoToken, 401, "", "no_token", true},
		{jwtauth.ErrAmbiguousCredentials, 400, "invalid_request", "ambiguous_credentials", true},
		{jwtauth.ErrTokenTooLarge, 401, "invalid_token", "token_too_large", true},
		{jwtauth.ErrTokenMalformed, 401, "invalid_token", "token_malformed", true},
		{jwtauth.ErrDuplicateMember, 401, "invalid_token", "duplicate_member", true},
		{jwtauth.ErrCriticalHeader, 401, "invalid_token", "crit_unsupported", true},
		{jwtauth.ErrAlgorithmNotAllowed, 401, "invalid_token", "alg_not_allowed", true},
		{jwtauth.ErrUnknownKey, 401, "invalid_token", "unknown_kid", true},
		{jwtauth.ErrKeyMismatch, 401, "invalid_token", "key_mismatch", true},
		{jwtauth.ErrSignatureInvalid, 401, "invalid_token", "bad_signature", true},
		{jwtauth.ErrTokenExpired, 401, "invalid_token", "token_expired", true},
		{jwtauth.ErrTokenNotYetValid, 401, "invalid_token", "token_not_yet_valid", true},
		{jwtauth.ErrLifetimeTooLong, 401, "invalid_token", "lifetime_too_long", true},
		{jwtauth.ErrMissingClaim, 401, "invalid_token", "missing_claim", true},
		{jwtauth.ErrInvalidClaim, 401, "invalid_token", "invalid_claim", true},
		{jwtauth.ErrWrongIssuer, 401, "invalid_token", "wrong_issuer", true},
		{jwtauth.ErrWrongAudience, 401, "invalid_token", "wrong_audience", true},
		{jwtauth.ErrInsufficientScope, 403, "insufficient_scope", "insufficient_scope", true},
		{jwtauth.ErrKeysUnavailable, 503, "", "keys_unavailable", false},
		{jwtauth.ErrInvalidSettings, 500, "", "invalid_settings", false},
		{errors.New("database on fire"), 500, "", "internal_error", false},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("verify token: %w", tt.err)} {
			t.Run(err.Error(), func(t *testing.T) {
				answer := jwtauth.ResponseFor(err)

				if answer.Status != tt.status {
					t.Errorf("Status = %d, want %d", answer.Status, tt.status)
				}
				if answer.ErrorCode != tt.errorCode {
					t.Errorf("ErrorCode = %q, want %q", answer.ErrorCode, tt.errorCode)
				}
				if answer.Reason != tt.reason {
					t.Errorf("Reason = %q, want %q", answer.Reason, tt.reason)
				}
				if answer.Description == "" {
					t.Error("Description is empty")
				}
				if strings.Contains(answer.Description, "fire") {
					t.Errorf("Description %q repeats the internal error", answer.Description)
				}
				if got := jwtauth.IsRejection(err); got != tt.rejection {
					t.Errorf("IsRejection = %v, want %v", got, tt.rejection)
				}
			})
		}
	}
}
