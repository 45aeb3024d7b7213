"""A lit test format for tests that can only find out while running that they
cannot run here (the network is down, a package cannot be downloaded).

It is lit's ShTest, except that a failing test whose output contains a line
`PYDRON-UNSUPPORTED: <reason>` is reported as UNSUPPORTED, and the reason is
printed on stderr (lit -s does not show the output of unsupported tests).
Lives in a module of its own (not in lit.local.cfg) so that lit's worker
processes can unpickle it.
"""
import re
import sys

import lit.formats
import lit.Test

MARK = re.compile(r"^PYDRON-UNSUPPORTED: (.*)$", re.M)


class ShTestWithUnsupported(lit.formats.ShTest):
    def execute(self, test, litConfig):
        result = super().execute(test, litConfig)
        code = getattr(result, "code", None)
        output = getattr(result, "output", "") or ""
        if code == lit.Test.FAIL:
            m = MARK.search(output)
            if m:
                sys.stderr.write("note: %s: UNSUPPORTED: %s\n" % (
                    test.getFullName(), m.group(1).strip()))
                sys.stderr.flush()
                return lit.Test.Result(lit.Test.UNSUPPORTED, output)
        return result
