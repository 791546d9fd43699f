package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/bucketaudit/bucketaudit/policy"
)

// lintError is a problem that keeps a file from parsing.
type lintError struct {
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// lintWarning is a policy.Warning in the lint output.
type lintWarning struct {
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Code      string `json:"code"`
	Message   string `json:"message"`
	Statement string `json:"statement,omitempty"`
}

// lintResult is one file's result (one JSON line with --format json).
type lintResult struct {
	File     string        `json:"file"`
	Parsed   bool          `json:"parsed"`
	Errors   []lintError   `json:"errors"`
	Warnings []lintWarning `json:"warnings"`
	// unreadable: the file could not be read (a usage error, not a finding).
	unreadable bool
}

// newLintCmd is `bucketaudit lint [--format text|json] FILE...`.
func newLintCmd(e *env) *cobra.Command {
	var format, kind string
	var failOnWarning bool
	cmd := &cobra.Command{
		Use:   "lint [--format text|json] FILE...",
		Short: "Check IAM policy files: syntax errors with positions, likely mistakes as warnings",
		Long: `lint parses each policy file and reports errors (with line and column) and warnings:
object actions granted only on a bucket ARN (the missing "/*"), bucket actions only on object ARNs,
Allow with NotPrincipal, Principal "*" without a condition, actions that match nothing, duplicate keys,
and documents larger than AWS accepts (--kind names the kind of policy: bucket, identity, scp, rcp,
kms, vpce; without it, every limit the document exceeds). Every error of a file is reported, not
only the first.
Exit codes: 0 every file parses (warnings or not, unless --fail-on-warning); 1 a file does not
parse, or with --fail-on-warning has a warning; 2 usage error or a file that cannot be read
(missing, a directory); 4 the results could not be written.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usageErr("--format must be text or json, not %q", format)
			}
			if _, err := policy.LintSize(nil, kind); err != nil {
				return usageErr("--kind: %v", err)
			}
			failed, warned, unreadable := 0, 0, 0
			for _, file := range args {
				res := lintFile(file, kind)
				switch {
				case res.unreadable:
					unreadable++
				case !res.Parsed:
					failed++
				}
				if len(res.Warnings) > 0 {
					warned++
				}
				if err := writeLint(e.stdout, format, res); err != nil {
					return fmt.Errorf("write lint result: %w", err)
				}
			}
			if unreadable > 0 {
				return usageErr("%d of %d files cannot be read", unreadable, len(args))
			}
			if failed > 0 {
				return fmt.Errorf("%w: %d of %d files do not parse", ErrFindings, failed, len(args))
			}
			if failOnWarning && warned > 0 {
				return fmt.Errorf("%w: %d of %d files have warnings (--fail-on-warning)", ErrFindings, warned, len(args))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json (one line per file)")
	cmd.Flags().StringVar(&kind, "kind", "", "the kind of policy, for its size limit: bucket, identity, scp, rcp, kms or vpce (default: every limit)")
	cmd.Flags().BoolVar(&failOnWarning, "fail-on-warning", false, "exit 1 when a file has a warning")
	return cmd
}

// lintFile lints one file; kind chooses the size limit (policy.LintSize).
func lintFile(file, kind string) lintResult {
	res := lintResult{File: file, Errors: []lintError{}, Warnings: []lintWarning{}}
	data, err := os.ReadFile(file)
	if err != nil {
		res.Errors = append(res.Errors, lintError{Message: fmt.Sprintf("read %s: %v", file, err)})
		res.unreadable = true
		return res
	}
	p, errs := policy.ParseAll(data)
	if len(errs) > 0 {
		for _, pe := range errs {
			res.Errors = append(res.Errors, lintError{Line: pe.Line, Column: pe.Column, Message: pe.Msg})
		}
		return res
	}
	res.Parsed = true
	size, _ := policy.LintSize(data, kind) // kind is checked before
	for _, w := range append(size, policy.Lint(p)...) {
		res.Warnings = append(res.Warnings, lintWarning{Line: w.Line, Column: w.Column, Code: w.Code, Message: w.Message, Statement: w.Statement})
	}
	return res
}

func writeLint(w io.Writer, format string, res lintResult) error {
	if format == "json" {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	for _, e := range res.Errors {
		if e.Line > 0 {
			if _, err := fmt.Fprintf(w, "%s:%d:%d: error: %s\n", res.File, e.Line, e.Column, e.Message); err != nil {
				return err
			}
			continue
		}
		if _, err := fmt.Fprintf(w, "%s: error: %s\n", res.File, e.Message); err != nil {
			return err
		}
	}
	for _, x := range res.Warnings {
		if _, err := fmt.Fprintf(w, "%s:%d:%d: warning [%s]: %s\n", res.File, x.Line, x.Column, x.Code, x.Message); err != nil {
			return err
		}
	}
	if res.Parsed && len(res.Warnings) == 0 {
		_, err := fmt.Fprintf(w, "%s: ok\n", res.File)
		return err
	}
	return nil
}
