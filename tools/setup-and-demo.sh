#!/bin/bash
# The README's demo command: installs the Debian packages that are missing
# (tools/setup-deps.sh runs apt-get update itself; needs root when something
# is missing), builds everything into ./build (or $PYDRON_BUILD_DIR), and
# runs tools/demo.sh: docs/examples/calibration.c built with plain clang-19
# and with Pydron, both run on every local core and compared.
# Arguments go to the demo program: [rows [width]].
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/tools/setup-deps.sh"
bash "$root/tools/build.sh"
exec bash "$root/tools/demo.sh" "$@"
