"""Integrations: the only modules that talk to the network (AWS, GitHub, git)."""
