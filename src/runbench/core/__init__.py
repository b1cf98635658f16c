"""The UI-free core: model, store, validation, expressions, HTTP and the engine.

Nothing under this package may import textual or rich.
"""
