#!/usr/bin/env bash
# Writes a copy of a bundle without its `schema` blocks (and without the rules that read
# `request.body`, which need them, and without its tests, which expect the schemas' answers): the
# "off" side of the schema throughput measurement in docs/schemas.md#cost.
#
#   benchmarks/load/without-schemas.sh [BUNDLE_DIR] [OUT_DIR]    # default policies/shop /tmp/shop-noschema
set -euo pipefail
src="${1:-policies/shop}"
out="${2:-/tmp/shop-noschema}"
rm -rf "$out"
cp -r "$src" "$out"
rm -f "$out"/*_test.warden
python3 - "$out" <<'PY'
import glob, re, sys
for path in glob.glob(sys.argv[1] + "/*.warden"):
    text = open(path).read()
    out, i = [], 0
    while True:
        m = re.search(r"(?m)^schema [^{]*\{", text[i:])
        if not m:
            out.append(text[i:])
            break
        start = i + m.start()
        out.append(text[i:start])
        j, depth = i + m.end(), 1
        while depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        i = j
    text = "".join(out)
    # A rule whose conditions read request.body: from its first line to its `because` line.
    text = re.sub(r"(?ms)^(?:// [^\n]*\n)*(?:forbid|permit)[^\n]*\n(?:  [^\n]*\n)*?(?=[^\n]*request\.body)[^\n]*\n(?:  [^\n]*\n)*", "", text)
    open(path, "w").write(text)
PY
echo "wrote $out"
