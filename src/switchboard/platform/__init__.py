"""The composition root: what assembles a running deployment out of the kernel and the apps.

The only package that knows every installed app (`installed_apps`), the web layer and the
sandbox; the kernel knows none of them (import-linter's contracts in pyproject.toml).
"""
