package devissuer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"math/big"
)

// publicJWK encodes the public half of a signing key as a JWK (RFC 7517,
// RFC 7518 section 6 and RFC 8037 section 2).
func publicJWK(k *signingKey) map[string]string {
	use := k.use
	if use == "" {
		use = "sig"
	}
	jwk := map[string]string{"kid": k.kid, "alg": k.alg, "use": use}
	switch public := k.private.Public().(type) {
	case *rsa.PublicKey:
		jwk["kty"] = "RSA"
		jwk["n"] = encode(public.N.Bytes())
		jwk["e"] = encode(big.NewInt(int64(public.E)).Bytes())
	case *ecdsa.PublicKey:
		// Coordinates are padded to the curve's size (RFC 7518 section 6.2.1.2).
		size := (public.Curve.Params().BitSize + 7) / 8
		jwk["kty"] = "EC"
		jwk["crv"] = public.Curve.Params().Name
		jwk["x"] = encode(public.X.FillBytes(make([]byte, size)))
		jwk["y"] = encode(public.Y.FillBytes(make([]byte, size)))
	case ed25519.PublicKey:
		jwk["kty"] = "OKP"
		jwk["crv"] = "Ed25519"
		jwk["x"] = encode(public)
	}
	return jwk
}

func encode(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
