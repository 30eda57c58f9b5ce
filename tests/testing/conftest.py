"""pytester, for the tests that run a pytest session of their own (the plugin, the contract)."""

pytest_plugins = ["pytester"]
