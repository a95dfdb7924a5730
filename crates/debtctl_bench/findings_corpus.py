#!/usr/bin/env python3
"""Writes one directory per rule, each holding one file with N findings of that rule, in the
shape that costs the most: everything at module level or in one function, so that per-finding
work that rescans the file, the scope or the earlier findings shows as quadratic time. YAML
findings take one line each (flow style): a single YAML document over 32,768 lines parses as
one ERROR (tree-sitter-yaml#49).

    python3 crates/debtctl_bench/findings_corpus.py OUT [N]

then, for each rule: `debtctl scan OUT/<rule-dir> --select RULE --no-cache` (see
docs/benchmarks.md, "Cost per finding").
"""
import os
import sys


def go(body):
    return 'package p\n\nimport (\n\t"fmt"\n\t"net/http"\n\t"os"\n)\n\n' + body


RULES = {
    "py/mutable-default-arg": ("a.py", lambda n: "".join(f"def f{i}(a=[]):\n    return a\n" for i in range(n))),
    "py/swallowed-exception": ("a.py", lambda n: "".join("try:\n    f()\nexcept Exception:\n    pass\n" for _ in range(n))),
    "py/raise-without-from": ("a.py", lambda n: "".join("try:\n    f()\nexcept E:\n    raise X()\n" for _ in range(n))),
    "py/open-without-with": ("a.py", lambda n: "".join(f"f{i} = open(p)\n" for i in range(n))),
    "py/ctypes-leak": ("a.py", lambda n: "import ctypes\nlib = ctypes.CDLL(None)\n" + "".join(f"p{i} = lib.malloc(8)\n" for i in range(n))),
    "debt/todo": ("a.py", lambda n: "".join(f"# TODO(PAY-{i}): x\n" for i in range(n))),
    "go/ignored-error": ("a.go", lambda n: go("func f() {\n" + '\tos.Remove("x")\n' * n + "}\n")),
    "go/shadow": ("a.go", lambda n: go("func f() error {\n\tvar err error\n" + "\tif true {\n\t\terr := g()\n\t\t_ = err\n\t}\n" * n + "\treturn err\n}\n")),
    "go/error-wrap-verb": ("a.go", lambda n: go("func f(err error) {\n" + '\t_ = fmt.Errorf("x: %v", err)\n' * n + "}\n")),
    "go/cgo-leak": ("a.go", lambda n: 'package p\n\n// #include <stdio.h>\nimport "C"\n\nfunc f(s string) {\n' + "\tC.puts(C.CString(s))\n" * n + "}\n"),
    "go/append-alias": ("a.go", lambda n: go("func f(b []int) {\n" + "".join(f"\ta{i} := append(b, 1)\n\t_ = a{i}\n" for i in range(n)) + "}\n")),
    "go/defer-in-loop": ("a.go", lambda n: go("func f() {\n\tfor {\n" + "\t\tdefer g()\n" * n + "\t}\n}\n")),
    "go/unclosed-body": ("a.go", lambda n: go("func f(u string) {\n" + "".join(f"\tr{i}, _ := http.Get(u)\n\t_ = r{i}.Status\n" for i in range(n)) + "}\n")),
    "go/module-major-suffix": ("go.mod", lambda n: "module example.com/m\n\ngo 1.22\n\nrequire (\n" + "".join(f"\texample.com/d{i} v2.0.{i}\n" for i in range(n)) + ")\n"),
    "k8s/missing-probe": ("a.yaml", lambda n: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  template:\n    spec:\n      containers:\n" + "".join(f"      - {{name: c{i}, image: x}}\n" for i in range(n))),
    "helm/hardcoded-secret": ("chart/templates/a.yaml", lambda n: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  volumes:\n" + "".join(f"  - {{name: v{i}, secret: {{secretName: s{i}}}}}\n" for i in range(n))),
}


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    for rule, (name, make) in RULES.items():
        d = os.path.join(out, rule.replace("/", "__"))
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if rule.startswith("helm/"):
            with open(os.path.join(d, "chart", "Chart.yaml"), "w") as f:
                f.write("name: chart\n")
        with open(path, "w") as f:
            f.write(make(n))


if __name__ == "__main__":
    main()
