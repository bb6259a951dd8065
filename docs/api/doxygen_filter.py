#!/usr/bin/env python3
"""Doxygen input filter for Tandem's headers (docs/api/Doxyfile.in).

The headers document themselves in plain `//` comments, written for readers
of the code. This filter shows Doxygen the same text as documentation,
without changing the sources:
  * the comment block at the top of a header (after `#pragma once`) becomes
    the file's description (`@file`);
  * a `//` block directly above a declaration becomes that declaration's
    documentation (`///`);
  * a trailing `// ...` after a member becomes its `///<` documentation;
  * comment text is escaped so that C++ in prose (`Result<T>`, `a\\b`, `@`)
    is not read as HTML or Doxygen commands.
Line numbers are kept, but for one line added after the file description's
first line.
"""
import re
import sys

LINE_COMMENT = re.compile(r"^(\s*)//(?!/)\s?(.*)$")
TRAILING = re.compile(r"^(.*?\S.*?;\s*|.*?\S.*?[{,]\s*)//(?!/)\s?(.*)$")


def escape(text: str) -> str:
    # Backslash and @ start Doxygen commands; < > & start HTML.
    text = text.replace("\\", "\\\\").replace("@", "\\@")
    text = text.replace("<", "\\<").replace(">", "\\>").replace("&", "\\&")
    text = text.replace("#", "\\#").replace("%", "\\%")
    return text


def main() -> None:
    path = sys.argv[1]
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = []
    seen_code = False  # a line other than blank, comment, #pragma once
    file_block_done = False
    in_file_block = False
    for line in lines:
        m = LINE_COMMENT.match(line)
        if m:
            indent, text = m.groups()
            if not seen_code and not file_block_done and not in_file_block:
                # The file's description: `@file` needs a line of its own
                # (text after it would name the file), so this one line
                # becomes two; warnings below it are one line off.
                in_file_block = True
                out.append(f"{indent}/// @file")
            out.append(f"{indent}/// {escape(text)}")
            continue
        stripped = line.strip()
        if in_file_block and not file_block_done:
            file_block_done = True
            in_file_block = False
        if stripped and stripped != "#pragma once" and not stripped.startswith("#include"):
            seen_code = True
        t = TRAILING.match(line)
        if t and not stripped.startswith("#") and '"' not in t.group(1):
            out.append(f"{t.group(1)}///< {escape(t.group(2))}")
            continue
        out.append(line)
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
