package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/bucketaudit/bucketaudit/demo"
	"github.com/bucketaudit/bucketaudit/fakeaws"
	"github.com/bucketaudit/bucketaudit/internal/golden"
	"github.com/bucketaudit/bucketaudit/inventory"
	"github.com/bucketaudit/bucketaudit/report"
)

// The README is part of the product: these tests run every command it
// shows and check that its excerpts come from a real demo run.

const readmePath = "../README.md"

// readmeBlock returns the text between <!-- BEGIN name --> and <!-- END
// name --> and replaces it when update is set.
func readmeBlock(t *testing.T, name, generated string) {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)(<!-- BEGIN ` + name + ` [^>]*-->\n)(.*?)(<!-- END ` + name + ` -->)`)
	m := re.FindSubmatchIndex(data)
	if m == nil {
		t.Fatalf("README has no block %q", name)
	}
	current := string(data[m[4]:m[5]])
	if golden.Updating() {
		out := append(append(append([]byte{}, data[:m[4]]...), generated...), data[m[5]:]...)
		if err := os.WriteFile(readmePath, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if current != generated {
		t.Errorf("README block %q is not what the demo produces (run go test ./cli -run TestReadme -update):\n--- README\n%s\n--- demo\n%s", name, current, generated)
	}
}

// TestReadmeDemoExcerpts regenerates the README's excerpts from a demo run:
// the terminal summary and a few rows of report.xlsx's Matrix sheet.
func TestReadmeDemoExcerpts(t *testing.T) {
	dir, stdout := runDemoCLI(t)
	// The summary, from the organisation line to the matrix's end (the
	// first line names a random port; the paths are temporary).
	start := strings.Index(stdout, "Organisation ")
	end := strings.Index(stdout, "\nReports:")
	if start < 0 || end < start {
		t.Fatalf("unexpected demo output:\n%s", stdout)
	}
	summary := strings.TrimRight(stdout[start:end], "\n") + "\n"
	readmeBlock(t, "demo-summary", "```text\n$ make demo\n...\n"+summary+"```\n")
	readmeBlock(t, "demo-matrix", matrixExcerpt(t, filepath.Join(dir, "report.xlsx")))
}

// verdictMark renders a verdict as its fill colour in the workbook.
func verdictMark(v string) string {
	if word, count, ok := strings.Cut(v, " · "); ok { // "allow · 2 roles in 1 account"
		return verdictMark(word) + " · " + count
	}
	switch v {
	case "allow":
		return "🟥 allow"
	case "deny":
		return "🟩 deny"
	case "conditional":
		return "🟨 conditional"
	case "unknown":
		return "⬜ unknown"
	}
	return v
}

// matrixExcerpt is a Markdown table of the Matrix sheet, read back from
// the workbook: for each exposure class, the bucket with the most allow
// and conditional cells, and a few of its columns.
func matrixExcerpt(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(report.SheetMatrix)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	cell := func(r []string, name string) string {
		i, ok := col[name]
		if !ok {
			t.Fatalf("no column %q", name)
		}
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	// The most telling bucket of each exposure class.
	best := map[string][]string{}
	score := map[string]int{}
	for _, r := range rows[1:] {
		n := 0
		for _, v := range r {
			if v, _, _ = strings.Cut(v, " · "); v == "allow" || v == "conditional" {
				n++
			}
		}
		if exp := cell(r, "Exposure"); best[exp] == nil || n > score[exp] {
			best[exp], score[exp] = r, n
		}
	}
	cols := []string{"Bucket", "Exposure", "public read", "public write", "any_aws list", "org read", "external list", "same_account read"}
	var b strings.Builder
	b.WriteString("| " + strings.Join(cols, " | ") + " |\n|")
	for range cols {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	var whys []string
	for _, exp := range []string{"public", "external", "org", "private", "unknown"} {
		r := best[exp]
		if r == nil {
			continue
		}
		var vals []string
		for _, c := range cols {
			v := cell(r, c)
			if strings.Contains(c, " ") {
				v = verdictMark(v)
			}
			if v == "" {
				v = "–"
			}
			vals = append(vals, v)
		}
		b.WriteString("| " + strings.Join(vals, " | ") + " |\n")
		for _, c := range []string{"public write", "external list", "org read"} {
			if v := cell(r, c); (v == "allow" || v == "conditional") && len(whys) < 3 && !strings.Contains(strings.Join(whys, "\n"), c) {
				whys = append(whys, fmt.Sprintf("`%s`, *%s why*: %s", cell(r, "Bucket"), c, cell(r, c+" why")))
			}
		}
	}
	b.WriteString("\nEach verdict column is followed by its *why* column, for example:\n\n")
	for _, w := range whys {
		b.WriteString("- " + w + "\n")
	}
	return b.String()
}

// readmeCommands returns the lines of the README's ```sh blocks.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(string(data), -1) {
		for _, line := range strings.Split(m[1], "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// splitCommand splits a README command line into words (single and double
// quotes, no other shell syntax) and an optional "> FILE" redirection.
func splitCommand(t *testing.T, line string) (words []string, redirect string) {
	t.Helper()
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|&;$`<()", r):
			t.Fatalf("README command %q uses shell syntax %q the test does not run; keep commands simple", line, r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	for i, w := range words {
		if w == ">" && i == len(words)-2 {
			return words[:i], words[i+1]
		}
		if strings.HasPrefix(w, ">") {
			t.Fatalf("README command %q: write redirections as '> FILE'", line)
		}
	}
	return words, ""
}

// TestReadmeCommands runs every command of the README's ```sh blocks, in
// order, in one scratch directory, against the demo organisation served by
// fakeaws (the stand-in for "your organisation"). The only changes to the
// commands: `bucketaudit scan` gets --endpoint-url (the emulator) and the
// scanning credentials come from the environment; `make` targets are
// checked with `make -n` (the demo itself is TestDemoEndToEnd, `make test`
// is CI). Every command must succeed or end with a documented status
// (1 findings, 3 incomplete), never a usage error.
func TestReadmeCommands(t *testing.T) {
	cmds := readmeCommands(t)
	if len(cmds) == 0 {
		t.Fatal("the README shows no commands")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fixture, err := inventory.Parse(demo.Fixture(), "demo/org.yaml")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakeaws.New(fixture, fakeaws.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	t.Setenv("AWS_ACCESS_KEY_ID", fakeaws.DefaultAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", fakeaws.DefaultSecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Chdir(t.TempDir())

	seenMake := map[string]bool{}
	for _, line := range cmds {
		words, redirect := splitCommand(t, line)
		switch words[0] {
		case "make":
			if len(words) != 2 {
				t.Fatalf("README: %q: one make target per line", line)
			}
			out, err := exec.Command("make", "-n", "-C", repo, words[1]).CombinedOutput()
			if err != nil {
				t.Errorf("README: %q: the Makefile has no such target: %v\n%s", line, err, out)
			}
			seenMake[words[1]] = true
			if words[1] == "demo" && !strings.Contains(string(out), "bucketaudit demo") {
				t.Errorf("make demo does not run bucketaudit demo:\n%s", out)
			}
		case "cp":
			if len(words) != 3 {
				t.Fatalf("README: %q: cp SRC DST", line)
			}
			data, err := os.ReadFile(filepath.Join(repo, words[1]))
			if err != nil {
				t.Fatalf("README: %q: %v", line, err)
			}
			if err := os.WriteFile(words[2], data, 0o600); err != nil {
				t.Fatal(err)
			}
		case "export":
			name, value, ok := strings.Cut(words[1], "=")
			if !ok || len(words) != 2 {
				t.Fatalf("README: %q: export NAME=VALUE", line)
			}
			t.Setenv(name, value)
		case "bucketaudit":
			args := words[1:]
			if len(args) > 0 && args[0] == "scan" {
				args = append(args, "--endpoint-url", url, "--no-progress")
			}
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), args, nil, &stdout, &stderr)
			if code != ExitOK && code != ExitFindings && code != ExitIncomplete {
				t.Errorf("README: %q: exit %d\nstderr:\n%s", line, code, stderr.String())
				continue
			}
			if redirect != "" {
				if stdout.Len() == 0 {
					t.Errorf("README: %q: nothing on stdout to redirect", line)
				}
				if err := os.WriteFile(redirect, stdout.Bytes(), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			// What the command says it writes is there.
			for i, a := range args[:len(args)-1] {
				var want string
				switch a {
				case "--output-dir":
					want = filepath.Join(args[i+1], "report.json")
				case "--save-snapshot":
					want = args[i+1]
				}
				if _, err := os.Stat(want); want != "" && err != nil {
					t.Errorf("README: %q: %v", line, err)
				}
			}
			if args[0] == "explain" {
				checkExplainExcerpt(t, repo, stdout.String())
			}
			t.Logf("%s → exit %d", line, code)
		default:
			t.Errorf("README: %q: the test does not know how to run %q; add it here or simplify the README", line, words[0])
		}
	}
	for _, target := range []string{"demo", "test"} {
		if !seenMake[target] {
			t.Errorf("README's commands lack make %s", target)
		}
	}
	// make targets named in the prose exist too.
	data, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("`make ([a-z][a-z-]*)`").FindAllStringSubmatch(string(data), -1) {
		if seenMake[m[1]] {
			continue
		}
		seenMake[m[1]] = true
		if out, err := exec.Command("make", "-n", "-C", repo, m[1]).CombinedOutput(); err != nil {
			t.Errorf("README names make %s, which the Makefile lacks: %v\n%s", m[1], err, out)
		}
	}
}

// checkExplainExcerpt checks that every line of the README's explain
// excerpt is a line of what explain printed.
func checkExplainExcerpt(t *testing.T, repo, out string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repo, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- BEGIN explain-excerpt [^>]*-->\n```text\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README has no explain excerpt")
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(out, "\n") {
		lines[strings.TrimRight(l, " ")] = true
	}
	for _, l := range strings.Split(strings.TrimRight(string(m[1]), "\n"), "\n") {
		if !lines[l] {
			t.Errorf("README explain excerpt line not in the output of explain:\n%s\noutput:\n%s", l, out)
		}
	}
}

// TestReadmeDiffExcerpt: the README's diff excerpt is made of lines of the
// golden output of diff.
func TestReadmeDiffExcerpt(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- BEGIN diff-excerpt [^>]*-->\n```text\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README has no diff excerpt")
	}
	out, err := os.ReadFile("testdata/diff/diff.txt")
	if err != nil {
		t.Fatal(err)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		lines[l] = true
	}
	for _, l := range strings.Split(strings.TrimRight(string(m[1]), "\n"), "\n") {
		if !lines[l] {
			t.Errorf("README diff excerpt line is not a line of diff's golden output:\n%s", l)
		}
	}
}

// TestReadmeQuickStart: the Quick start is exactly two commands.
func TestReadmeQuickStart(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Quick start\n.*?```sh\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README has no Quick start with a ```sh block")
	}
	if got := strings.TrimSpace(string(m[1])); got != "make demo\nmake test" {
		t.Errorf("Quick start commands = %q, want exactly make demo and make test", got)
	}
}

// TestReadmeLinks: every relative link of the README points at a file or
// folder of the repository.
func TestReadmeLinks(t *testing.T) {
	data, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`\]\(([^)#]+)(#[^)]*)?\)`).FindAllStringSubmatch(string(data), -1)
	if len(links) == 0 {
		t.Fatal("no links found")
	}
	for _, l := range links {
		target := l[1]
		if strings.Contains(target, "://") {
			continue
		}
		if _, err := os.Stat(filepath.Join("..", target)); err != nil {
			t.Errorf("README links to %s, which does not exist", target)
		}
	}
}
