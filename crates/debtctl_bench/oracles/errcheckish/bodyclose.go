// -bodyclose: bodyclose's semantics (github.com/timakin/bodyclose, as its README, its
// tests' `want` cases and its analyzer define them), written here with go/types on the
// syntax tree instead of SSA. Where the two readings differ is in ../README.md.
//
// A package is checked only when it imports net/http itself. Every function (declared or
// literal) is checked, except one whose results include an `*net/http.Response`. A call
// whose type mentions `*net/http.Response` (not `http.ResponseController`, not
// `(*httptest.ResponseRecorder).Result`), made as a call (not by `go` or `defer`), is
// reported at its `(` unless its response is closed:
//   - its Body is closed: `resp.Body.Close()` called or deferred, directly or through a
//     local variable holding the body; the body returned as an `io.ReadCloser` or
//     `io.Closer`; the body handed as an `io.Closer` to a deferred call of a function of
//     this package that calls a `Close` method;
//   - the response handed to a function of this package (or a literal without free
//     variables) whose body first calls an interface's `Close` method or returns an
//     `io.ReadCloser`, before it makes a request of its own that is open;
//   - the response stored in a package-level variable;
//   - the response held by a variable a function literal captures: the first such
//     literal decides, and the response counts as closed when that literal is called,
//     deferred or passed to a call;
//   - the response stored in a struct field, and a body closed in the statements that
//     follow in the same block.
//
// A response discarded (`_`, a call used as a statement), passed to another package's
// function, formatted, appended, or used only for its fields is open. A use reached from
// more than one assignment (an SSA phi) counts only when it closes the body.
package main

import (
	"flag"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

var bodycloseFlag = flag.Bool("bodyclose", false, "check bodyclose's semantics instead of errcheck's")

const responseType = "*net/http.Response"

type bcPass struct {
	fset    *token.FileSet
	info    *types.Info
	pkg     *types.Package
	decls   map[*types.Func]*ast.FuncDecl
	parent  map[ast.Node]ast.Node
	fileOf  map[ast.Node]*ast.File
	visited map[*ast.CallExpr]bool
}

func checkBodyclose(fset *token.FileSet, files []*ast.File, info *types.Info, pkg *types.Package) {
	if pkg == nil || !importsHTTP(pkg) {
		return
	}
	p := &bcPass{fset: fset, info: info, pkg: pkg, decls: map[*types.Func]*ast.FuncDecl{},
		parent: map[ast.Node]ast.Node{}, fileOf: map[ast.Node]*ast.File{}, visited: map[*ast.CallExpr]bool{}}
	var funcs []ast.Node
	for _, f := range files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return false
			}
			if len(stack) > 0 {
				p.parent[n] = stack[len(stack)-1]
			}
			stack = append(stack, n)
			switch d := n.(type) {
			case *ast.FuncDecl:
				if fn, ok := info.Defs[d.Name].(*types.Func); ok {
					p.decls[fn] = d
				}
				if d.Body != nil {
					funcs = append(funcs, d)
					p.fileOf[d] = f
				}
			case *ast.FuncLit:
				funcs = append(funcs, d)
				p.fileOf[d] = f
			}
			return true
		})
	}
	for _, fn := range funcs {
		sig := p.signature(fn)
		if sig == nil || returnsResponse(sig) {
			continue
		}
		for _, call := range p.callsIn(fn) {
			if p.isRequest(call) && p.isOpen(call, fn, 0) {
				report(fset, call.Lparen, "bodyclose")
			}
		}
	}
}

func importsHTTP(pkg *types.Package) bool {
	for _, imp := range pkg.Imports() {
		if devendor(imp.Path()) == "net/http" {
			return true
		}
	}
	return false
}

func fileImportsHTTP(f *ast.File) bool {
	for _, imp := range f.Imports {
		if p, err := strconv.Unquote(imp.Path.Value); err == nil && devendor(p) == "net/http" {
			return true
		}
	}
	return false
}

func returnsResponse(sig *types.Signature) bool {
	for i := 0; i < sig.Results().Len(); i++ {
		if sig.Results().At(i).Type().String() == responseType {
			return true
		}
	}
	return false
}

func (p *bcPass) signature(fn ast.Node) *types.Signature {
	switch f := fn.(type) {
	case *ast.FuncDecl:
		if o, ok := p.info.Defs[f.Name].(*types.Func); ok {
			return o.Type().(*types.Signature)
		}
	case *ast.FuncLit:
		if s, ok := p.info.TypeOf(f).(*types.Signature); ok {
			return s
		}
	}
	return nil
}

func body(fn ast.Node) *ast.BlockStmt {
	switch f := fn.(type) {
	case *ast.FuncDecl:
		return f.Body
	case *ast.FuncLit:
		return f.Body
	}
	return nil
}

// inspectOwn visits the nodes of fn's body in source order, not those of nested literals
// (each is a function of its own).
func inspectOwn(fn ast.Node, visit func(ast.Node)) {
	b := body(fn)
	if b == nil {
		return
	}
	ast.Inspect(b, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		if _, ok := n.(*ast.FuncLit); ok {
			return false
		}
		visit(n)
		return true
	})
}

func (p *bcPass) callsIn(fn ast.Node) []*ast.CallExpr {
	var out []*ast.CallExpr
	inspectOwn(fn, func(n ast.Node) {
		if c, ok := n.(*ast.CallExpr); ok {
			out = append(out, c)
		}
	})
	return out
}

// up is the parent of n, parentheses skipped.
func (p *bcPass) up(n ast.Node) ast.Node {
	for {
		q := p.parent[n]
		if _, ok := q.(*ast.ParenExpr); !ok {
			return q
		}
		n = q
	}
}

// isRequest: an SSA call whose type mentions *net/http.Response.
func (p *bcPass) isRequest(call *ast.CallExpr) bool {
	tv, ok := p.info.Types[call]
	if !ok || tv.IsType() || tv.Type == nil {
		return false
	}
	if _, ok := p.info.Types[call.Fun]; ok && p.info.Types[call.Fun].IsBuiltin() {
		return false
	}
	// The standard library is never vendored; devendor reads one name, not a tuple.
	t := tv.Type.String()
	if !strings.Contains(t, responseType) || strings.Contains(t, "net/http.ResponseController") {
		return false
	}
	switch q := p.up(call).(type) {
	case *ast.GoStmt, *ast.DeferStmt:
		_ = q
		return false
	}
	if sel, ok := unparen(call.Fun).(*ast.SelectorExpr); ok && sel.Sel.Name == "Result" {
		if s := p.info.Selections[sel]; s != nil && devendor(s.Recv().String()) == "*net/http/httptest.ResponseRecorder" {
			return false
		}
	}
	return true
}

// resultIndex: which result of the call is the response (-1: none is exactly one).
func (p *bcPass) resultIndex(call *ast.CallExpr) (int, int) {
	t := p.info.TypeOf(call)
	if tup, ok := t.(*types.Tuple); ok {
		for i := 0; i < tup.Len(); i++ {
			if tup.At(i).Type().String() == responseType {
				return i, tup.Len()
			}
		}
		return -1, tup.Len()
	}
	if t.String() == responseType {
		return 0, 1
	}
	return -1, 1
}

func (p *bcPass) isOpen(call *ast.CallExpr, fn ast.Node, depth int) bool {
	if depth > 4 {
		return false
	}
	idx, n := p.resultIndex(call)
	if idx < 0 {
		return true
	}
	switch q := p.up(call).(type) {
	case *ast.AssignStmt:
		if n > 1 && len(q.Rhs) == 1 && len(q.Lhs) == n {
			return !p.bindingCloses(q.Lhs[idx], q, fn, depth)
		}
		for i, r := range q.Rhs {
			if unparen(r) == call && i < len(q.Lhs) {
				return !p.bindingCloses(q.Lhs[i], q, fn, depth)
			}
		}
	case *ast.ValueSpec:
		if n > 1 && len(q.Values) == 1 && len(q.Names) == n {
			return !p.bindingCloses(q.Names[idx], q, fn, depth)
		}
		for i, r := range q.Values {
			if unparen(r) == call && i < len(q.Names) {
				return !p.bindingCloses(q.Names[i], q, fn, depth)
			}
		}
	case *ast.SelectorExpr:
		// `f().Body...` of a single-result call.
		if q.Sel.Name == "Body" {
			return !p.bodyCloses(q, fn)
		}
	case *ast.CallExpr:
		// `g(f())`: the response goes to g.
		for _, a := range q.Args {
			if unparen(a) == call {
				return !p.handedToCloser(q, fn, depth)
			}
		}
	}
	return true
}

// bindingCloses: the response stored into lhs by stmt is closed.
func (p *bcPass) bindingCloses(lhs ast.Expr, stmt ast.Node, fn ast.Node, depth int) bool {
	switch l := unparen(lhs).(type) {
	case *ast.Ident:
		if l.Name == "_" {
			return false
		}
		v, ok := p.objOf(l).(*types.Var)
		if !ok {
			return false
		}
		if v.Parent() == p.pkg.Scope() {
			return true // a global: not checked
		}
		if !within(v.Pos(), fn) || p.captured(v, fn) || p.addressTaken(v, fn) {
			return p.closureDecides(v, fn)
		}
		return p.valueCloses(v, stmt, fn, depth)
	case *ast.SelectorExpr:
		return p.closedInBlockAfter(stmt, fn)
	}
	return false
}

func (p *bcPass) objOf(id *ast.Ident) types.Object {
	if o := p.info.Defs[id]; o != nil {
		return o
	}
	return p.info.Uses[id]
}

func within(pos token.Pos, n ast.Node) bool { return n.Pos() <= pos && pos < n.End() }

// refsIn: the identifiers of fn (nested literals included) that refer to v.
func (p *bcPass) refsIn(v *types.Var, n ast.Node) []*ast.Ident {
	var out []*ast.Ident
	ast.Inspect(n, func(m ast.Node) bool {
		if id, ok := m.(*ast.Ident); ok && p.objOf(id) == v {
			out = append(out, id)
		}
		return true
	})
	return out
}

// literalOf: the outermost function literal of fn that holds n, if any.
func (p *bcPass) literalOf(n ast.Node, fn ast.Node) *ast.FuncLit {
	var lit *ast.FuncLit
	for q := p.parent[n]; q != nil && q != fn; q = p.parent[q] {
		if l, ok := q.(*ast.FuncLit); ok {
			lit = l
		}
	}
	return lit
}

func (p *bcPass) captured(v *types.Var, fn ast.Node) bool {
	for _, id := range p.refsIn(v, fn) {
		if p.literalOf(id, fn) != nil {
			return true
		}
	}
	return false
}

func (p *bcPass) addressTaken(v *types.Var, fn ast.Node) bool {
	for _, id := range p.refsIn(v, fn) {
		if u, ok := p.up(id).(*ast.UnaryExpr); ok && u.Op == token.AND {
			return true
		}
	}
	return false
}

// closureDecides: a variable that lives on the heap (captured, or the current literal's
// free variable): the first literal of fn that refers to it decides, closed when that
// literal is called (or deferred, or passed to a call).
func (p *bcPass) closureDecides(v *types.Var, fn ast.Node) bool {
	for _, id := range p.refsIn(v, fn) {
		lit := p.literalOf(id, fn)
		if lit == nil {
			continue
		}
		if f := p.fileOf[lit]; f != nil && !fileImportsHTTP(f) {
			return true
		}
		return p.literalCalled(lit, fn)
	}
	return false
}

func (p *bcPass) literalCalled(lit *ast.FuncLit, fn ast.Node) bool {
	isGo := func(c *ast.CallExpr) bool { _, ok := p.up(c).(*ast.GoStmt); return ok }
	switch q := p.up(lit).(type) {
	case *ast.CallExpr:
		return !isGo(q)
	case *ast.AssignStmt, *ast.ValueSpec:
		var names []ast.Expr
		if a, ok := q.(*ast.AssignStmt); ok {
			names = a.Lhs
		} else {
			for _, n := range q.(*ast.ValueSpec).Names {
				names = append(names, n)
			}
		}
		for _, n := range names {
			id, ok := n.(*ast.Ident)
			if !ok {
				continue
			}
			v, ok := p.objOf(id).(*types.Var)
			if !ok {
				continue
			}
			for _, r := range p.refsIn(v, fn) {
				if c, ok := p.up(r).(*ast.CallExpr); ok && !isGo(c) {
					return true
				}
			}
		}
	}
	return false
}

// A binding of v in fn: the statement, and the node whose statement list holds it.
type binding struct {
	at    ast.Node
	scope ast.Node
}

func (p *bcPass) bindings(v *types.Var, fn ast.Node) []binding {
	var out []binding
	if !within(v.Pos(), body(fn)) {
		out = append(out, binding{fn, fn}) // a parameter: bound at entry
	}
	for _, id := range p.refsIn(v, fn) {
		switch q := p.up(id).(type) {
		case *ast.AssignStmt:
			for _, l := range q.Lhs {
				if unparen(l) == id {
					out = append(out, binding{q, p.parent[q]})
				}
			}
		case *ast.ValueSpec:
			decl := p.parent[p.parent[q]]
			out = append(out, binding{q, p.parent[decl]})
		case *ast.RangeStmt:
			if q.Key == id || q.Value == id {
				out = append(out, binding{q, q})
			}
		}
	}
	return out
}

func (p *bcPass) isAncestor(a, n ast.Node) bool {
	for q := n; q != nil; q = p.parent[q] {
		if q == a {
			return true
		}
	}
	return false
}

// reaches: the value bound by d can be the one read at use (structured code: a later
// binding kills it when its statement list holds the use; a loop carries it back to the
// loop's earlier statements when v is declared outside the loop).
func (p *bcPass) reaches(d binding, use ast.Node, all []binding, v *types.Var) bool {
	from := d.at.End()
	if d.at.Pos() > use.Pos() {
		var loop ast.Node
		for q := p.parent[d.at]; q != nil; q = p.parent[q] {
			switch q.(type) {
			case *ast.ForStmt, *ast.RangeStmt:
				if p.isAncestor(q, use) && v.Pos() < q.Pos() {
					loop = q
				}
			}
			if loop != nil {
				break
			}
		}
		if loop == nil {
			return false
		}
		from = loop.Pos()
	} else if _, ok := d.at.(*ast.RangeStmt); ok {
		from = d.at.Pos()
	}
	for _, k := range all {
		if k.at == d.at {
			continue
		}
		if k.at.Pos() >= from && k.at.End() <= use.Pos() && p.isAncestor(k.scope, use) {
			return false
		}
	}
	return true
}

// valueCloses: the value stmt binds to the local v is closed by one of its uses.
func (p *bcPass) valueCloses(v *types.Var, stmt ast.Node, fn ast.Node, depth int) bool {
	all := p.bindings(v, fn)
	var d binding
	for _, b := range all {
		if b.at == stmt {
			d = b
		}
	}
	if d.at == nil {
		return false
	}
	for _, id := range p.refsIn(v, fn) {
		if id.Pos() >= stmt.Pos() && id.End() <= stmt.End() {
			continue
		}
		if !p.reaches(d, id, all, v) {
			continue
		}
		phi := false
		for _, o := range all {
			if o.at != d.at && p.reaches(o, id, all, v) {
				phi = true
			}
		}
		if p.useCloses(id, fn, phi, depth) {
			return true
		}
	}
	return false
}

// useCloses: this read of the response closes it (or hands it to what bodyclose takes
// for closing). Through a phi only a closed body counts.
func (p *bcPass) useCloses(id *ast.Ident, fn ast.Node, phi bool, depth int) bool {
	switch q := p.up(id).(type) {
	case *ast.SelectorExpr:
		if q.X == id || unparen(q.X) == id {
			return q.Sel.Name == "Body" && p.bodyCloses(q, fn)
		}
	case *ast.CallExpr:
		if phi {
			return false
		}
		for _, a := range q.Args {
			if unparen(a) == id {
				return p.handedToCloser(q, fn, depth)
			}
		}
	case *ast.AssignStmt:
		if phi {
			return false
		}
		for i, r := range q.Rhs {
			if unparen(r) == id && len(q.Lhs) == len(q.Rhs) {
				return p.bindingCloses(q.Lhs[i], q, fn, depth+1)
			}
		}
	case *ast.KeyValueExpr, *ast.CompositeLit:
		if phi {
			return false
		}
		return p.closedInBlockAfter(q, fn)
	}
	return false
}

// bodyCloses: this `X.Body` is closed: `.Close()` called or deferred, the body held by a
// local whose `.Close()` is called, returned as an io.ReadCloser/io.Closer, or handed as
// an io.Closer to a deferred call of a function that closes.
func (p *bcPass) bodyCloses(sel *ast.SelectorExpr, fn ast.Node) bool {
	switch q := p.up(sel).(type) {
	case *ast.SelectorExpr:
		if q.Sel.Name == "Close" {
			if c, ok := p.up(q).(*ast.CallExpr); ok && unparen(c.Fun) == q {
				_, isGo := p.up(c).(*ast.GoStmt)
				return !isGo
			}
		}
	case *ast.AssignStmt:
		for i, r := range q.Rhs {
			if unparen(r) != sel || len(q.Lhs) != len(q.Rhs) {
				continue
			}
			id, ok := unparen(q.Lhs[i]).(*ast.Ident)
			if !ok || id.Name == "_" {
				return false
			}
			v, ok := p.objOf(id).(*types.Var)
			if !ok {
				return false
			}
			for _, r := range p.refsIn(v, fn) {
				if s, ok := p.up(r).(*ast.SelectorExpr); ok && s.Sel.Name == "Close" {
					if c, ok := p.up(s).(*ast.CallExpr); ok && unparen(c.Fun) == s {
						return true
					}
				}
			}
		}
	case *ast.ReturnStmt:
		sig := p.signature(fn)
		for i, r := range q.Results {
			if unparen(r) == sel && sig != nil && i < sig.Results().Len() {
				t := sig.Results().At(i).Type().String()
				return t == "io.ReadCloser" || t == "io.Closer"
			}
		}
	case *ast.CallExpr:
		if _, ok := p.up(q).(*ast.DeferStmt); !ok {
			return false
		}
		sig, ok := p.info.TypeOf(q.Fun).(*types.Signature)
		if !ok {
			return false
		}
		for i, a := range q.Args {
			if unparen(a) != sel || i >= sig.Params().Len() {
				continue
			}
			if sig.Params().At(i).Type().String() != "io.Closer" {
				return false
			}
			if callee := p.staticCallee(q, fn); callee != nil {
				closes := false
				inspectOwn(callee, func(n ast.Node) {
					if c, ok := n.(*ast.CallExpr); ok && p.invokesClose(c) {
						closes = true
					}
				})
				return closes
			}
		}
	}
	return false
}

// invokesClose: a call of a `Close` method through an interface.
func (p *bcPass) invokesClose(c *ast.CallExpr) bool {
	sel, ok := unparen(c.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Close" {
		return false
	}
	s := p.info.Selections[sel]
	return s != nil && s.Kind() == types.MethodVal && types.IsInterface(s.Recv())
}

// staticCallee: the declaration of a function or concrete method of this package, or a
// function literal without free variables, that the call calls.
func (p *bcPass) staticCallee(c *ast.CallExpr, fn ast.Node) ast.Node {
	var id *ast.Ident
	switch f := unparen(c.Fun).(type) {
	case *ast.FuncLit:
		if p.closed(f) {
			return f
		}
		return nil
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		if s := p.info.Selections[f]; s != nil && types.IsInterface(s.Recv()) {
			return nil
		}
		id = f.Sel
	default:
		return nil
	}
	switch o := p.info.Uses[id].(type) {
	case *types.Func:
		if d := p.decls[o]; d != nil && d.Body != nil {
			return d
		}
	case *types.Var:
		// A local bound once to a literal without free variables.
		var lit *ast.FuncLit
		n := 0
		for _, r := range p.refsIn(o, fn) {
			if a, ok := p.up(r).(*ast.AssignStmt); ok {
				for i, l := range a.Lhs {
					if unparen(l) == r && len(a.Rhs) == len(a.Lhs) {
						n++
						lit, _ = unparen(a.Rhs[i]).(*ast.FuncLit)
					}
				}
			}
		}
		if n == 1 && lit != nil && p.closed(lit) {
			return lit
		}
	}
	return nil
}

// closed: the literal refers to no variable of an enclosing function.
func (p *bcPass) closed(lit *ast.FuncLit) bool {
	free := false
	ast.Inspect(lit, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if v, ok := p.info.Uses[id].(*types.Var); ok && !v.IsField() && v.Parent() != p.pkg.Scope() && !within(v.Pos(), lit) {
				free = true
			}
		}
		return !free
	})
	return !free
}

// handedToCloser: the response passed to call goes to a function of this package whose
// body, in order, closes something through an interface (or returns an io.ReadCloser)
// before it makes an open request.
func (p *bcPass) handedToCloser(call *ast.CallExpr, fn ast.Node, depth int) bool {
	if _, ok := p.up(call).(*ast.GoStmt); ok {
		return false
	}
	callee := p.staticCallee(call, fn)
	if callee == nil || p.visited[call] {
		return false
	}
	p.visited[call] = true
	defer delete(p.visited, call)
	sig := p.signature(callee)
	returnsRC := false
	if sig != nil {
		for i := 0; i < sig.Results().Len(); i++ {
			if sig.Results().At(i).Type().String() == "io.ReadCloser" {
				returnsRC = true
			}
		}
	}
	decided, closes := false, false
	inspectOwn(callee, func(n ast.Node) {
		if decided {
			return
		}
		switch x := n.(type) {
		case *ast.CallExpr:
			if p.invokesClose(x) {
				decided, closes = true, true
			} else if p.isRequest(x) && p.isOpen(x, callee, depth+1) {
				decided = true
			}
		case *ast.ReturnStmt:
			if returnsRC {
				decided, closes = true, true
			}
		}
	})
	return closes
}

// closedInBlockAfter: a response stored in a field; bodyclose looks for a closed body in
// the same basic block: the statements after this one in its list, up to the first that
// branches.
func (p *bcPass) closedInBlockAfter(n ast.Node, fn ast.Node) bool {
	var stmt ast.Node = n
	for stmt != nil {
		if _, ok := stmt.(ast.Stmt); ok {
			break
		}
		stmt = p.parent[stmt]
	}
	blk, ok := p.parent[stmt].(*ast.BlockStmt)
	if !ok {
		return false
	}
	after := false
	for _, s := range blk.List {
		if s == stmt {
			after = true
		}
		if !after {
			continue
		}
		found, branches := false, false
		ast.Inspect(s, func(m ast.Node) bool {
			switch x := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.ReturnStmt:
				if m != s || s != stmt {
					branches = true
				}
			case *ast.SelectorExpr:
				if x.Sel.Name == "Body" && devendor(typeString(p.info.TypeOf(x.X))) == responseType {
					if p.bodyCloses(x, fn) {
						found = true
					}
				}
			}
			return true
		})
		if found {
			return true
		}
		if branches {
			return false
		}
	}
	return false
}

func typeString(t types.Type) string {
	if t == nil {
		return ""
	}
	return t.String()
}
