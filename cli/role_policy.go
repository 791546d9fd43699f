package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `role-policy` implements it.
func newRolePolicyCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "role-policy",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("role-policy: not implemented yet")
		},
	}
}
