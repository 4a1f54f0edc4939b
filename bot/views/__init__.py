"""How features speak: the wording of knowledge-base and usage replies."""
