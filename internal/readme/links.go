package readme

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Link is a link or image of a Markdown file: its destination as written
// and the line it is on (1-based).
type Link struct {
	Dest string
	Line int
}

// Doc is what a Markdown file offers and asks of others: the anchors its
// headings get on GitHub, and its links and images.
type Doc struct {
	Anchors map[string]bool
	Links   []Link
}

// Parse reads Markdown as CommonMark (links in code spans and fenced
// blocks are not links; link text may span lines) and returns its anchors
// and links.
func Parse(src []byte) Doc {
	doc := Doc{Anchors: map[string]bool{}}
	seen := map[string]int{}
	root := goldmark.New().Parser().Parse(text.NewReader(src))
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			slug := Slug(plainText(n, src))
			// GitHub numbers repeated anchors: x, x-1, x-2, ...
			if k := seen[slug]; k > 0 {
				seen[slug]++
				slug = fmt.Sprintf("%s-%d", slug, k)
			} else {
				seen[slug] = 1
			}
			doc.Anchors[slug] = true
		case *ast.Link:
			doc.Links = append(doc.Links, Link{string(n.Destination), line(n, src)})
		case *ast.Image:
			doc.Links = append(doc.Links, Link{string(n.Destination), line(n, src)})
		}
		return ast.WalkContinue, nil
	})
	return doc
}

// Slug is the anchor GitHub gives a heading whose text (as rendered:
// without backticks or emphasis marks) is heading: lower case, every
// character but letters, digits, marks, spaces, '-' and '_' removed, each
// space a '-'. A heading repeated in a file gets -1, -2, ... (Parse adds them).
func Slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-', r == '_', unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plainText is a node's text as rendered: code spans' content, links' text,
// emphasis without its marks.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch c := c.(type) {
		case *ast.Text:
			b.Write(c.Value(src))
			if c.SoftLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(c.Value)
		case *ast.RawHTML:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return b.String()
}

// line is the line of src where n's first text begins, or of its block.
func line(n ast.Node, src []byte) int {
	start := -1
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if t, ok := c.(*ast.Text); ok && entering {
			start = t.Segment.Start
			return ast.WalkStop, nil
		}
		return ast.WalkContinue, nil
	})
	for p := n; start < 0 && p != nil; p = p.Parent() {
		if p.Type() == ast.TypeBlock && p.Lines().Len() > 0 {
			start = p.Lines().At(0).Start
		}
	}
	if start < 0 {
		return 0
	}
	return bytes.Count(src[:start], []byte("\n")) + 1
}

// CheckLinks fails the test for every relative link of the Markdown files
// (paths relative to the working directory) that does not resolve: a file
// or directory that does not exist or lies outside root, or an #anchor that
// no heading of the target Markdown file (or of the file itself) makes.
// Links with a scheme (https:, mailto:) are not followed. An anchor into a
// file that is not Markdown (source.go#L10) is left to GitHub.
func CheckLinks(tb testing.TB, root string, files ...string) {
	tb.Helper()
	root, err := filepath.Abs(root)
	if err != nil {
		tb.Fatal(err)
	}
	docs := map[string]Doc{}
	read := func(path string) (Doc, error) {
		if d, ok := docs[path]; ok {
			return d, nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return Doc{}, err
		}
		docs[path] = Parse(src)
		return docs[path], nil
	}
	for _, file := range files {
		abs, err := filepath.Abs(file)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := read(abs)
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range doc.Links {
			if err := resolve(root, abs, l.Dest, read); err != nil {
				tb.Errorf("%s:%d: link %s: %v", file, l.Line, l.Dest, err)
			}
		}
	}
}

func resolve(root, from, dest string, read func(string) (Doc, error)) error {
	u, err := url.Parse(dest)
	if err != nil {
		return err
	}
	if u.Scheme != "" || u.Host != "" {
		return nil
	}
	target := from
	if u.Path != "" {
		if strings.HasPrefix(u.Path, "/") {
			return fmt.Errorf("an absolute path; write it relative to %s", filepath.Base(from))
		}
		target = filepath.Join(filepath.Dir(from), filepath.FromSlash(u.Path))
		if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("outside the repository")
		}
		if _, err := os.Stat(target); err != nil {
			return fmt.Errorf("no such file or directory")
		}
	}
	if u.Fragment == "" || !strings.HasSuffix(target, ".md") {
		return nil
	}
	doc, err := read(target)
	if err != nil {
		return err
	}
	if !doc.Anchors[u.Fragment] {
		return fmt.Errorf("%s has no heading with anchor #%s", filepath.Base(target), u.Fragment)
	}
	return nil
}
