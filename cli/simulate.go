package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `simulate` implements it.
func newSimulateCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "simulate",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("simulate: not implemented yet")
		},
	}
}
