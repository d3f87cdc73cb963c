package handlers

import (
	"context"
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// MediaTokenStore records the single use of sound-check socket tokens.
type MediaTokenStore interface {
	Use(ctx context.Context, id string, expires time.Time) error
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// mediaTokenTTL is how long a sound-check token may wait between the
// provider's webhook that minted it and the socket that presents it.
const mediaTokenTTL = 2 * time.Minute

// errMediaToken is any reason a token is refused; the reason is logged,
// never told to the caller.
var errMediaToken = errors.New("invalid media token")

// newMediaToken mints a one-time token for provider's sound-check socket.
// It is signed with the session secret and carries its expiry, so any
// instance can check it without shared state; its single use is recorded
// in the database when presented.
func (h *Handler) newMediaToken(provider string) string {
	exp := h.now().Add(mediaTokenTTL).Unix()
	payload := randomToken(16) + "." + provider + "." + strconv.FormatInt(exp, 10)
	enc := base64.RawURLEncoding.EncodeToString([]byte(payload))
	return enc + "." + h.mac("media", enc)
}

// useMediaToken checks a token and consumes it: valid signature, minted
// for this provider, not expired, never used before.
func (h *Handler) useMediaToken(ctx context.Context, token string) error {
	enc, sig, ok := strings.Cut(token, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(h.mac("media", enc))) {
		return errMediaToken
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return errMediaToken
	}
	parts := strings.Split(string(raw), ".")
	if len(parts) != 3 || parts[1] != h.provider.Name() {
		return errMediaToken
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || h.now().Unix() > exp {
		return errMediaToken
	}
	err = h.media.Use(ctx, parts[0], time.Unix(exp, 0))
	if errors.Is(err, models.ErrConflict) {
		return errMediaToken
	}
	return err
}
