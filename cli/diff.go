package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `diff` implements it.
func newDiffCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "diff",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("diff: not implemented yet")
		},
	}
}
