#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a circle.

For each crate of the workspace it reads every source file, finds which modules each module
uses (`use` declarations, `crate::`/`super::`/`self::` paths, and paths through its own child
modules), and looks for strongly connected components in that graph. A module using its own
parent counts like any other use: a parent and a child that use each other are a circle too.
Test modules (`#[cfg(test)] mod tests`) are left out: they may use anything.

    python3 scripts/module-cycles.py            # every crate; exit 1 on a circle
    python3 scripts/module-cycles.py --graph    # also print each crate's edges
"""

import os
import re
import sys

CRATES = ["crates/core/src", "crates/webhooks/src", "crates/mail/src", "crates/web/src", "src"]
ROOT_FILES = {"lib.rs", "main.rs"}


def strip_comments_and_strings(text):
    """Blanks out comments, string and char literals (keeping line breaks)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not text[i - 1].isalnum() and text[i - 1] != "_"):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_of_file(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] == "mod" or (len(rel) == 1 and rel[0] + ".rs" in ROOT_FILES):
        rel = rel[:-1]
    return tuple(rel)


def split_inline_modules(module, text):
    """Yields (module path, code) for a file's module and the inline modules it declares,
    leaving out `#[cfg(test)]` modules."""
    pieces = {module: []}
    stack = [(module, 0)]  # (module, brace depth at which it closes)
    depth = 0
    skip_until = None
    pending_test = False
    for line in text.split("\n"):
        stripped = line.strip()
        if skip_until is None:
            if stripped.startswith("#[cfg(test)]"):
                pending_test = True
            m = re.match(r"(pub(\([^)]*\))?\s+)?mod\s+(\w+)\s*\{", stripped)
            if m:
                if pending_test:
                    skip_until = depth
                else:
                    child = stack[-1][0] + (m.group(3),)
                    pieces.setdefault(child, [])
                    stack.append((child, depth))
                    depth += line.count("{") - line.count("}")
                    pending_test = False
                    continue
            elif stripped and not stripped.startswith("#"):
                pending_test = False
        opened = line.count("{") - line.count("}")
        if skip_until is not None:
            depth += opened
            if depth <= skip_until:
                skip_until = None
                pending_test = False
            continue
        pieces[stack[-1][0]].append(line)
        depth += opened
        while len(stack) > 1 and depth <= stack[-1][1]:
            stack.pop()
    return {m: "\n".join(lines) for m, lines in pieces.items()}


def use_paths(tree, prefix=""):
    """Expands a use tree (`a::{b, c::{d, e}}`) into full paths."""
    tree = tree.strip()
    m = re.match(r"^(.*?)\{(.*)\}$", tree, re.S)
    if not m:
        return [prefix + re.sub(r"\s+as\s+\w+$", "", tree).strip()]
    head, body = m.group(1), m.group(2)
    parts, depth, current = [], 0, ""
    for c in body:
        if c == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += (c == "{") - (c == "}")
        current += c
    parts.append(current)
    out = []
    for part in parts:
        if part.strip():
            out.extend(use_paths(part, prefix + head))
    return out


class Crate:
    """A crate's modules, what each defines, and what each imports under which name."""

    def __init__(self, src):
        self.modules, self.code = set(), {}
        for directory, _, files in os.walk(src):
            for file_name in files:
                if not file_name.endswith(".rs"):
                    continue
                path = os.path.join(directory, file_name)
                module = module_of_file(src, path)
                text = strip_comments_and_strings(open(path, encoding="utf-8").read())
                for m, body in split_inline_modules(module, text).items():
                    self.modules.add(m)
                    self.code[m] = self.code.get(m, "") + "\n" + body
        self.defined = {
            m: set(re.findall(r"\b(?:struct|enum|fn|type|const|static|trait|union)\s+(\w+)", body))
            | set(re.findall(r"macro_rules!\s*(\w+)", body))
            for m, body in self.code.items()
        }
        # name -> path it stands for, and glob imports, per module.
        self.aliases = {m: {} for m in self.modules}
        self.globs = {m: [] for m in self.modules}
        self.uses = {m: [] for m in self.modules}
        for m, body in self.code.items():
            for use in re.findall(r"\buse\s+([^;]+);", body):
                for path in use_paths(use):
                    self.uses[m].append(path)
                    alias = re.search(r"\s+as\s+(\w+)$", use.strip())
                    last = path.split("::")[-1]
                    if last == "*":
                        self.globs[m].append(path[:-3])
                    elif last == "self":
                        self.aliases[m][path.split("::")[-2]] = path[:-6]
                    else:
                        self.aliases[m][last] = path
                # `use a::b as c;` (a single path with an alias)
                single = re.match(r"^([\w:]+)\s+as\s+(\w+)$", use.strip())
                if single:
                    self.aliases[m][single.group(2)] = single.group(1)

    def start(self, current, parts):
        """Where a path's first segment leads: (module, remaining segments) or None."""
        if parts[0] == "crate":
            return (), parts[1:]
        if parts[0] in ("super", "self"):
            base = current
            while parts and parts[0] in ("super", "self"):
                if parts[0] == "super":
                    base = base[:-1]
                parts = parts[1:]
            return base, parts
        if current + (parts[0],) in self.modules:
            return current, parts
        if parts[0] in self.aliases.get(current, {}):
            return "alias", parts
        return None

    def resolve(self, current, path, depth=0):
        """The module that defines what a path names, or None when it leaves the crate."""
        parts = [p for p in path.split("::") if p]
        if not parts or depth > 20:
            return None
        begun = self.start(current, parts)
        if begun is None:
            return None
        if begun[0] == "alias":
            target = self.aliases[current][parts[0]]
            if target.split("::")[0] == parts[0] and len(target.split("::")) == 1:
                return None  # `use some_crate;`
            return self.resolve(current, "::".join([target] + parts[1:]), depth + 1)
        module, rest = begun
        for i, segment in enumerate(rest):
            if module + (segment,) in self.modules:
                module = module + (segment,)
                continue
            if segment in self.defined.get(module, ()):
                return module
            if segment in self.aliases.get(module, {}):
                target = self.aliases[module][segment]
                return self.resolve(module, "::".join([target] + rest[i + 1:]), depth + 1)
            for glob in self.globs.get(module, []):
                found = self.resolve(module, glob + "::" + "::".join(rest[i:]), depth + 1)
                if found is not None:
                    return found
            return module
        return module


def crate_graph(src):
    crate = Crate(src)
    edges = {m: set() for m in crate.modules}
    for m, body in crate.code.items():
        paths = list(crate.uses[m])
        paths.extend(re.findall(r"\b(?:crate|super|self)(?:::\w+)+", body))
        paths.extend(re.findall(r"(?<![:\w])\w+(?:::\w+)+", body))
        for p in paths:
            target = crate.resolve(m, p)
            if target is not None and target != m:
                edges[m].add(target)
    return crate.modules, edges


def cycles(edges):
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def name(module):
    return "::".join(("crate",) + module)


SELF_TEST = {
    # Each case: files of a small crate, and the circles the check must report in it.
    "a child and its parent through a grouped import and a re-export": (
        {
            "lib.rs": "pub mod members;\npub use members::Member;\n",
            "members/mod.rs": "pub mod assignments;\npub struct Member;\n"
                              "pub fn delete() { assignments::take_all(); }\n",
            "members/assignments.rs": "use crate::{Member};\npub fn take_all() {}\n",
        },
        [["members", "members::assignments"]],
    ),
    "three modules in a ring, one path written out in an expression": (
        {
            "lib.rs": "mod a;\nmod b;\nmod c;\n",
            "a.rs": "use super::b::B;\npub struct A;\n",
            "b.rs": "pub struct B;\nfn f() { let _ = crate::c::make(); }\n",
            "c.rs": "// crate::b is only named in this comment\n"
                    "pub fn make() -> crate::a::A { crate::a::A }\n",
        },
        [["a", "b", "c"]],
    ),
    "uses in one direction, an external crate, a test module using its parent": (
        {
            "lib.rs": "pub mod store;\npub mod web;\nuse serde::Serialize;\n",
            "store.rs": "pub fn find() {}\n#[cfg(test)]\nmod tests {\n"
                        "    use crate::web::show;\n}\n",
            "web.rs": "use crate::store;\npub fn show() { store::find(); }\n",
        },
        [],
    ),
}


def self_test():
    """The check finds the circles it exists for, and no others: run before the real one, so
    that a check which can no longer fail does not pass silently."""
    import tempfile
    for case, (files, expected) in SELF_TEST.items():
        with tempfile.TemporaryDirectory() as src:
            for path, text in files.items():
                os.makedirs(os.path.dirname(os.path.join(src, path)), exist_ok=True)
                with open(os.path.join(src, path), "w", encoding="utf-8") as f:
                    f.write(text)
            _, edges = crate_graph(src)
            found = [sorted("::".join(m) for m in c) for c in cycles(edges)]
            if sorted(found) != sorted(expected):
                print(f"module-cycles: self-test failed ({case}): found {found}, "
                      f"expected {expected}")
                return False
    return True


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    show = "--graph" in sys.argv
    if not self_test():
        return 2
    failed = False
    for crate in CRATES:
        src = os.path.join(root, crate)
        modules, edges = crate_graph(src)
        found = cycles(edges)
        count = sum(len(v) for v in edges.values())
        print(f"module-cycles: {crate}: {len(modules)} modules, {count} uses, "
              f"{len(found)} circle{'s' if len(found) != 1 else ''}")
        if show:
            for m in sorted(edges):
                for t in sorted(edges[m]):
                    print(f"  {name(m)} -> {name(t)}")
        for component in found:
            failed = True
            members = set(component)
            print("  circle: " + ", ".join(name(m) for m in component))
            for m in component:
                for t in sorted(edges[m] & members):
                    print(f"    {name(m)} uses {name(t)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
