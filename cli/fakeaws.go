package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `fakeaws` implements it.
func newFakeAWSCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "fakeaws",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("fakeaws: not implemented yet")
		},
	}
}
