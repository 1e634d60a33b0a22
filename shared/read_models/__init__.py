"""Read models: state one part of Carbonlink maintains so that others can read it without importing its code.

Each module documents one read model: its Redis key layout, the pydantic view readers get, and who writes it.
Readers use only what is documented here; the owner is the only writer.
"""
