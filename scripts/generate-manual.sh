#!/usr/bin/env bash
# Regenerates Documentation/rct.1 from the command definitions (swift-argument-parser's plugin).
set -euo pipefail
cd "$(dirname "$0")/.."
swift package --disable-sandbox plugin generate-manual --authors "the rct developers" >/dev/null
# A blank line in mdoc is a paragraph break that groff warns about: say it as .Pp.
sed 's/^$/.Pp/' .build/plugins/GenerateManual/outputs/rct/rct.1 > Documentation/rct.1
echo "Documentation/rct.1 updated"
