package access

// NOTE(skeleton): signature is the contract for cli (scan, analyze, demo);
// the access matrix issue implements it.

import (
	"context"
	"errors"
	"time"

	"github.com/bucketaudit/bucketaudit/inventory"
)

// Options tune Analyze.
type Options struct {
	// Now is the clock for GeneratedAt; nil means time.Now.
	Now         func() time.Time
	ToolVersion string
	// Sources names where the document came from (snapshot files, "scan").
	Sources []string
	// TrustedAccounts labels known partner accounts (ID → label), merged
	// with those recorded in the snapshot.
	TrustedAccounts map[string]string
}

// Analyze computes the access matrix and findings of every bucket in doc.
func Analyze(ctx context.Context, doc *inventory.Document, opts Options) (*Report, error) {
	return nil, errors.New("access: not implemented yet")
}
