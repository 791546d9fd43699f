package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `explain` implements it.
func newExplainCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "explain",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("explain: not implemented yet")
		},
	}
}
