#!/bin/sh
# A "compiler" for harness.test that fails the way a crashing plugin does.
echo "PLEASE submit a bug report to https://github.com/llvm/llvm-project/issues/" >&2
echo "Stack dump: (pretend)" >&2
exit 139
