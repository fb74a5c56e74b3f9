"""Run the in-engine tests and exit non-zero on failure:

    UnrealEditor-Cmd Project.uproject -run=pythonscript \
        -script="anymole_unreal_tests/run_tests.py" -unattended -nullrhi -nosplash -stdout

Optional: ANYMOLE_TEST_SEQUENCE=/Game/Path/To/AnimSequence (else the first AnimSequence under
/Game is used); ANYMOLE_SERVER (+ ANYMOLE_TOKEN) for the end-to-end test against a server.
In the full editor: Tools > Execute Python Script… on this file (the level preview test needs a
real viewport, so run it there rather than with -nullrhi).
"""

import os
import sys
import unittest


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=os.path.dirname(here))
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    print("%d passed, %d failed, %d skipped" % (result.testsRun - len(result.failures) - len(result.errors) - len(result.skipped),
                                                len(result.failures) + len(result.errors), len(result.skipped)))
    if not result.wasSuccessful():
        raise RuntimeError("AnyMoLe in-engine tests failed")


main()
