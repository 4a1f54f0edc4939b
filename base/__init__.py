"""The neutral bottom of the project: what every package may import (config errors, config files).

Imports none of our packages.
"""
from base.config_files import ConfigError, ConfigFile, Problem, read_yaml

__all__ = ["ConfigError", "ConfigFile", "Problem", "read_yaml"]
