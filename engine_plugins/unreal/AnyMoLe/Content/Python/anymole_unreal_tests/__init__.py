"""In-engine tests of the AnyMoLe adapter (need a running Unreal Editor; they cannot run in
the repository's CI). See ``run_tests.py`` and the plugin README."""
