package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `scan` implements it.
func newScanCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "scan",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("scan: not implemented yet")
		},
	}
}
