"""An example llmrl plugin: a corridor environment and a subprocess sandbox."""
