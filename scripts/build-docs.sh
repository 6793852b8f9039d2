#!/usr/bin/env bash
# Builds the DocC API documentation of the library targets into .build/docs/<Target>.doccarchive.
# Uses the toolchain's docc directly: symbol graphs from the compiler, then `docc convert`.
set -euo pipefail
cd "$(dirname "$0")/.."
graphs=.build/symbol-graphs
rm -rf "$graphs" && mkdir -p "$graphs" .build/docs
swift build -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$PWD/$graphs" >/dev/null
for target in RCTProtocol RCTTransport RCTControl RCTSimulator; do
  mkdir -p "$graphs/$target"
  # The module's own graph and its extension graphs (Target@Other.symbols.json).
  for graph in "$graphs/$target".symbols.json "$graphs/$target"@*.symbols.json; do
    [ -f "$graph" ] && cp "$graph" "$graphs/$target"/
  done
  catalog="Sources/$target/$target.docc"
  args=()
  [ -d "$catalog" ] && args+=("$catalog")
  docc convert "${args[@]}" \
    --fallback-display-name "$target" --fallback-bundle-identifier "rct.$target" \
    --additional-symbol-graph-dir "$graphs/$target" \
    --output-path ".build/docs/$target.doccarchive" >/dev/null
  echo "built .build/docs/$target.doccarchive"
done
