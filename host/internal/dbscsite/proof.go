package dbscsite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// proof is a browser's checked DBSC proof: a JWT of type "dbsc+jwt", signed
// with ES256 by the session's device key, whose jti is the server's
// challenge.
type proof struct {
	JTI string
	Key *ecdsa.PublicKey // the key that signed it
}

type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

type proofHeader struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	JWK *jwk   `json:"jwk"` // Chromium 156 puts the new key here at registration
}

type proofPayload struct {
	JTI string `json:"jti"`
	Key *jwk   `json:"key"` // where the DBSC draft puts it
}

// parseProof checks token. With key nil (a registration) the token must
// carry its own public key and be signed by it; otherwise it must be signed
// by key, and a key it carries is ignored.
func parseProof(token string, key *ecdsa.PublicKey) (proof, error) {
	if token == "" {
		return proof{}, errors.New("no Secure-Session-Response proof")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return proof{}, fmt.Errorf("proof has %d parts, want 3", len(parts))
	}
	var h proofHeader
	if err := decodePart(parts[0], &h); err != nil {
		return proof{}, fmt.Errorf("proof header: %w", err)
	}
	if h.Typ != "dbsc+jwt" {
		return proof{}, fmt.Errorf("proof typ %q, want dbsc+jwt", h.Typ)
	}
	if h.Alg != "ES256" {
		return proof{}, fmt.Errorf("proof alg %q, want ES256", h.Alg)
	}
	var p proofPayload
	if err := decodePart(parts[1], &p); err != nil {
		return proof{}, fmt.Errorf("proof payload: %w", err)
	}
	if p.JTI == "" {
		return proof{}, errors.New("proof has no jti")
	}
	if key == nil {
		k := h.JWK
		if k == nil {
			k = p.Key
		}
		if k == nil {
			return proof{}, errors.New("registration proof carries no key")
		}
		var err error
		if key, err = k.publicKey(); err != nil {
			return proof{}, fmt.Errorf("proof key: %w", err)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return proof{}, fmt.Errorf("proof signature: %w", err)
	}
	if len(sig) != 64 {
		return proof{}, fmt.Errorf("proof signature is %d bytes, want 64", len(sig))
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(key, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return proof{}, errors.New("proof signature does not verify")
	}
	return proof{JTI: p.JTI, Key: key}, nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (k *jwk) publicKey() (*ecdsa.PublicKey, error) {
	if k.Kty != "EC" || k.Crv != "P-256" {
		return nil, fmt.Errorf("key is %s %s, want EC P-256", k.Kty, k.Crv)
	}
	x, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil || len(x) != 32 {
		return nil, errors.New("key x is not 32 base64url bytes")
	}
	y, err := base64.RawURLEncoding.DecodeString(k.Y)
	if err != nil || len(y) != 32 {
		return nil, errors.New("key y is not 32 base64url bytes")
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
}
