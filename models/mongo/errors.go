package mongo

import (
	"context"
	"errors"
	"fmt"
	"net"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"

	"github.com/ringdesk/ringdesk/models"
)

// storeErr turns a driver error into a domain error so callers can decide
// on a status without knowing the driver. op names what failed.
func storeErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return fmt.Errorf("%s: %w", op, models.ErrNotFound)
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%s: %w", op, models.ErrConflict)
	case isUnavailable(err):
		return fmt.Errorf("%s: %w: %v", op, models.ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

// isUnavailable reports whether err means "try again later": the server
// cannot be reached, is stepping down or shutting down, is out of disk, or
// did not answer in time.
func isUnavailable(err error) bool {
	var netErr net.Error
	var selErr topology.ServerSelectionError
	var srvErr mongo.ServerError
	return mongo.IsTimeout(err) || mongo.IsNetworkError(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, mongo.ErrClientDisconnected) ||
		errors.As(err, &selErr) || errors.As(err, &netErr) ||
		errors.As(err, &srvErr) && transientServerError(srvErr)
}

// unavailableCodes are MongoDB's error codes for a server that is up but
// cannot serve the operation right now.
var unavailableCodes = []int{
	6,     // HostUnreachable
	7,     // HostNotFound
	89,    // NetworkTimeout
	91,    // ShutdownInProgress
	189,   // PrimarySteppedDown
	262,   // ExceededTimeLimit
	9001,  // SocketException
	10107, // NotWritablePrimary
	11600, // InterruptedAtShutdown
	11602, // InterruptedDueToReplStateChange
	13435, // NotPrimaryNoSecondaryOk
	13436, // NotPrimaryOrSecondary
	14031, // OutOfDiskSpace
}

func transientServerError(err mongo.ServerError) bool {
	for _, code := range unavailableCodes {
		if err.HasErrorCode(code) {
			return true
		}
	}
	// The server labels errors that a retry on a healthy primary would
	// get past, such as an election in progress.
	return err.HasErrorLabel("RetryableWriteError")
}
