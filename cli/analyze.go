package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// NOTE(skeleton): placeholder until the issue that owns `analyze` implements it.
func newAnalyzeCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "analyze",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("analyze: not implemented yet")
		},
	}
}
