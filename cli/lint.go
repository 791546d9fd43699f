package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `lint` implements it.
func newLintCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "lint",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("lint: not implemented yet")
		},
	}
}
