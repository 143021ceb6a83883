"""An example llmrl plugin: a corridor environment and a subprocess sandbox.

Importing the package registers its Gymnasium ids, so plain Gymnasium code works after
``import llmrl_example_plugin``: ``gymnasium.make("llmrl-example/Corridor-v0")``.
"""

from llmrl_core import register_env_specs
from llmrl_example_plugin.plugin import ENVIRONMENTS

register_env_specs(ENVIRONMENTS)  # entry-point strings only: corridor.py loads on gymnasium.make
