// errcheckish: an errcheck-equivalent for the debtctl catalog (go/ignored-error).
// Reports, with go/types: calls used as statements (and `go` statements) whose results
// include an error; `_` bound to an error result in assignments and var specs.
// Deferred calls are not checked (catalog default). Exclusions as the catalog lists
// (errcheck v1.6's: fmt.Fprint* only to os.Stdout, os.Stderr, *bytes.Buffer, *strings.Builder).
// `_` is reported only with -blank (errcheck's -blank; the catalog's check-blank).
// -exclude FILE takes errcheck's -exclude syntax (`io.Copy`, `(*net/http.Server).Shutdown`,
// `(io.Closer).Close`, `//` comments), matched as errcheck v1.6 names a callee: the
// function's full name, and for a method called through an interface, that interface.
// Import paths under `/vendor/` are named without the vendoring prefix, as errcheck does.
// With -tests, `_test.go` files too: in-package ones with the package, external ones as
// their own package.
// With -errorf, it checks errorlint's `errorf` semantics instead (go/error-wrap-verb): a
// `fmt.Errorf` with a constant format whose verb for an argument whose type implements
// `error` is not `%w` (every such argument, as since Go 1.20 several `%w` are allowed),
// reported at the argument with its verb; `err.Error()` is a string, not reported.
// With -bodyclose, bodyclose's semantics instead (go/unclosed-body; see bodyclose.go).
// Usage: errcheckish [-blank] [-tests] [-errorf] [-bodyclose] [-exclude FILE] DIR... (one package per directory, default
// build context, non-test files).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

var errType = types.Universe.Lookup("error").Type()

func isErr(t types.Type) bool { return types.Identical(t, errType) }

var (
	blankFlag   = flag.Bool("blank", false, "report errors assigned to _")
	testsFlag   = flag.Bool("tests", false, "also check _test.go files (in-package and external tests)")
	errorfFlag  = flag.Bool("errorf", false, "check errorlint's errorf semantics instead of errcheck's")
	excludeFile = flag.String("exclude", "", "errcheck -exclude file")
	excludes    = map[string]bool{}
)

// devendor drops a GOPATH vendoring prefix: a/vendor/b/c -> b/c.
func devendor(s string) string {
	for {
		i := strings.Index(s, "/vendor/")
		if i < 0 {
			return s
		}
		j := strings.LastIndexAny(s[:i], "(*")
		s = s[:j+1] + s[i+len("/vendor/"):]
	}
}

// userExcluded: errcheck's namesForExcludeCheck, for the -exclude list.
func userExcluded(info *types.Info, call *ast.CallExpr) bool {
	if len(excludes) == 0 {
		return false
	}
	var id *ast.Ident
	switch f := unparen(call.Fun).(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	default:
		return false
	}
	fn, ok := info.Uses[id].(*types.Func)
	if !ok {
		return false
	}
	if excludes[devendor(fn.FullName())] {
		return true
	}
	if sel, ok := unparen(call.Fun).(*ast.SelectorExpr); ok {
		if s := info.Selections[sel]; s != nil && types.IsInterface(s.Recv()) {
			if n, ok := s.Recv().(*types.Named); ok {
				return excludes[devendor("("+n.String()+")."+fn.Name())]
			}
		}
	}
	return false
}

func main() {
	flag.Parse()
	if *excludeFile != "" {
		f, err := os.Open(*excludeFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			l := strings.TrimSpace(sc.Text())
			if l != "" && !strings.HasPrefix(l, "//") {
				excludes[l] = true
			}
		}
		if err := sc.Err(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	fset := token.NewFileSet()
	build.Default.CgoEnabled = false
	imp := importer.ForCompiler(fset, "source", nil).(types.ImporterFrom)
	for _, dir := range flag.Args() {
		ctxt := build.Default
		ctxt.CgoEnabled = true
		bp, err := ctxt.ImportDir(dir, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, dir, err)
			continue
		}
		names := append(append([]string{}, bp.GoFiles...), bp.CgoFiles...)
		if *testsFlag {
			names = append(names, bp.TestGoFiles...)
		}
		checkPackage(fset, imp, dir, bp.ImportPath, names)
		if *testsFlag && len(bp.XTestGoFiles) > 0 {
			checkPackage(fset, imp, dir, bp.ImportPath+"_test", bp.XTestGoFiles)
		}
	}
}

func checkPackage(fset *token.FileSet, imp types.ImporterFrom, dir, path string, names []string) {
	{
		var files []*ast.File
		for _, name := range names {
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ParseComments)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				continue
			}
			files = append(files, f)
		}
		info := &types.Info{Defs: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
		nerr := 0
		conf := types.Config{Importer: imp, FakeImportC: true, Error: func(e error) {
			if nerr == 0 {
				fmt.Fprintln(os.Stderr, "type error:", e)
			}
			nerr++
		}}
		// Every type error was reported (and counted) by conf.Error above; the package is
		// checked as far as it type-checks, so Check's own error adds nothing.
		pkg, _ := conf.Check(path, fset, files, info)
		if *bodycloseFlag {
			checkBodyclose(fset, files, info, pkg)
			return
		}
		for _, f := range files {
			if *errorfFlag {
				checkErrorf(fset, f, info)
			} else {
				check(fset, f, info)
			}
		}
	}
}

func results(info *types.Info, call *ast.CallExpr) []types.Type {
	tv, ok := info.Types[call]
	if !ok || tv.IsType() || tv.Type == nil {
		return nil
	}
	if tup, ok := tv.Type.(*types.Tuple); ok {
		var out []types.Type
		for i := 0; i < tup.Len(); i++ {
			out = append(out, tup.At(i).Type())
		}
		return out
	}
	return []types.Type{tv.Type}
}

func excluded(info *types.Info, call *ast.CallExpr) bool {
	if userExcluded(info, call) {
		return true
	}
	sel, ok := unparen(call.Fun).(*ast.SelectorExpr)
	if !ok {
		return false
	}
	name := sel.Sel.Name
	if id, ok := sel.X.(*ast.Ident); ok {
		if pn, ok := info.Uses[id].(*types.PkgName); ok {
			p := pn.Imported().Path()
			return (p == "fmt" && strings.HasPrefix(name, "Print")) ||
				(p == "fmt" && strings.HasPrefix(name, "Fprint") && fprintExcluded(info, call)) ||
				(p == "math/rand" && name == "Read")
		}
	}
	s := info.Selections[sel]
	if s == nil {
		return false
	}
	// Both the receiver as written and the method's own receiver (a method promoted
	// from an embedded bytes.Buffer is (*bytes.Buffer).Write, as errcheck names it).
	recvs := []types.Type{s.Recv()}
	if f, ok := s.Obj().(*types.Func); ok {
		if r := f.Type().(*types.Signature).Recv(); r != nil {
			recvs = append(recvs, r.Type())
		}
	}
	for _, recv := range recvs {
		if excludedMethod(recv, name) {
			return true
		}
	}
	return false
}

// fprintExcluded: errcheck v1.6's fmt.Fprint*(os.Stdout), (os.Stderr), (*bytes.Buffer),
// (*strings.Builder): the writer as written, or its type.
func fprintExcluded(info *types.Info, call *ast.CallExpr) bool {
	if len(call.Args) == 0 {
		return false
	}
	if sel, ok := call.Args[0].(*ast.SelectorExpr); ok {
		if id, ok := sel.X.(*ast.Ident); ok {
			if pn, ok := info.Uses[id].(*types.PkgName); ok && pn.Imported().Path() == "os" &&
				(sel.Sel.Name == "Stdout" || sel.Sel.Name == "Stderr") {
				return true
			}
		}
	}
	t := info.TypeOf(call.Args[0])
	if t == nil {
		return false
	}
	s := devendor(t.String())
	return s == "*bytes.Buffer" || s == "*strings.Builder"
}

func excludedMethod(recv types.Type, name string) bool {
	if p, ok := recv.(*types.Pointer); ok {
		recv = p.Elem()
	}
	n, ok := recv.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return false
	}
	full := n.Obj().Pkg().Path() + "." + n.Obj().Name()
	switch {
	case (full == "bytes.Buffer" || full == "strings.Builder") && strings.HasPrefix(name, "Write"):
		return true
	case strings.HasPrefix(full, "hash.Hash") && name == "Write":
		return true
	case full == "math/rand.Rand" && name == "Read":
		return true
	}
	return false
}

func report(fset *token.FileSet, pos token.Pos, kind string) {
	p := fset.Position(pos)
	fmt.Printf("%s:%d:%d: %s\n", p.Filename, p.Line, p.Column, kind)
}

func callOf(e ast.Expr) *ast.CallExpr {
	c, _ := unparen(e).(*ast.CallExpr)
	return c
}

func check(fset *token.FileSet, f *ast.File, info *types.Info) {
	ast.Inspect(f, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.ExprStmt:
			if c := callOf(s.X); c != nil && !excluded(info, c) {
				for _, t := range results(info, c) {
					if isErr(t) {
						report(fset, c.Pos(), "call")
						break
					}
				}
			}
		case *ast.GoStmt:
			if !excluded(info, s.Call) {
				for _, t := range results(info, s.Call) {
					if isErr(t) {
						report(fset, s.Call.Pos(), "go")
						break
					}
				}
			}
		case *ast.AssignStmt:
			blank(fset, info, s.Lhs, s.Rhs)
		case *ast.ValueSpec:
			var lhs []ast.Expr
			for _, n := range s.Names {
				lhs = append(lhs, n)
			}
			blank(fset, info, lhs, s.Values)
		}
		return true
	})
}

func isBlank(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "_"
}

func blank(fset *token.FileSet, info *types.Info, lhs, rhs []ast.Expr) {
	if !*blankFlag {
		return
	}
	if len(lhs) == len(rhs) {
		for i, l := range lhs {
			c := callOf(rhs[i])
			if !isBlank(l) || c == nil || excluded(info, c) {
				continue
			}
			r := results(info, c)
			if len(r) == 1 && isErr(r[0]) {
				report(fset, c.Pos(), "blank")
			}
		}
	} else if len(rhs) == 1 {
		c := callOf(rhs[0])
		if c == nil || excluded(info, c) {
			return
		}
		r := results(info, c)
		if len(r) != len(lhs) {
			return
		}
		for i, l := range lhs {
			if isBlank(l) && isErr(r[i]) {
				report(fset, c.Pos(), "blank")
				return
			}
		}
	}
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

var errIface = errType.Underlying().(*types.Interface)

// checkErrorf: errorlint's errorf check. A `fmt.Errorf` call with a constant format; each
// verb is matched to its argument as fmt does (flags, `*` width and precision take an
// argument, `[n]` indexes explicitly); an argument whose type implements `error` formatted
// with a verb other than `%w` is reported at the argument, with the verb.
func checkErrorf(fset *token.FileSet, f *ast.File, info *types.Info) {
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		sel, ok := unparen(call.Fun).(*ast.SelectorExpr)
		if !ok || sel.Sel.Name != "Errorf" {
			return true
		}
		id, ok := sel.X.(*ast.Ident)
		if !ok {
			return true
		}
		if pn, isPkg := info.Uses[id].(*types.PkgName); !isPkg || pn.Imported().Path() != "fmt" {
			return true
		}
		tv, ok := info.Types[call.Args[0]]
		if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
			return true
		}
		for _, v := range formatVerbs(constant.StringVal(tv.Value)) {
			if v.arg+1 >= len(call.Args) || v.verb == 'w' {
				continue
			}
			arg := call.Args[v.arg+1]
			t := info.TypeOf(arg)
			if t == nil || !types.Implements(t, errIface) {
				continue
			}
			if b, ok := t.(*types.Basic); ok && b.Kind() == types.UntypedNil {
				continue
			}
			report(fset, arg.Pos(), "errorf %"+string(v.verb))
		}
		return true
	})
}

type fmtVerb struct {
	verb rune
	arg  int
}

// formatVerbs: the verbs of a format and the argument each formats, as fmt reads them.
func formatVerbs(format string) []fmtVerb {
	var out []fmtVerb
	arg := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		// flags
		for i < len(format) && strings.IndexByte("+-# 0", format[i]) >= 0 {
			i++
		}
		// [n] before width, width (`*` takes an argument), [n] before precision, precision
		for part := 0; part < 2; part++ {
			if i < len(format) && format[i] == '[' {
				j := strings.IndexByte(format[i:], ']')
				if j < 0 {
					return out
				}
				var n int
				if _, err := fmt.Sscanf(format[i+1:i+j], "%d", &n); err == nil && n > 0 {
					arg = n - 1
				}
				i += j + 1
			}
			if i < len(format) && format[i] == '*' {
				arg++
				i++
			} else {
				for i < len(format) && format[i] >= '0' && format[i] <= '9' {
					i++
				}
			}
			if part == 0 && i < len(format) && format[i] == '.' {
				i++
				continue
			}
			break
		}
		if i < len(format) && format[i] == '[' {
			j := strings.IndexByte(format[i:], ']')
			if j < 0 {
				return out
			}
			var n int
			if _, err := fmt.Sscanf(format[i+1:i+j], "%d", &n); err == nil && n > 0 {
				arg = n - 1
			}
			i += j + 1
		}
		if i >= len(format) {
			break
		}
		if format[i] == '%' {
			continue
		}
		verb, size := utf8.DecodeRuneInString(format[i:])
		i += size - 1
		out = append(out, fmtVerb{verb, arg})
		arg++
	}
	return out
}
