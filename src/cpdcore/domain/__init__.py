"""The pure domain of cpdcore: frozen attrs classes and pure functions.

Nothing in this package performs I/O, reads a clock or keeps global state; callers pass
``as_of`` dates and identifiers in. Rules return explanation objects so that a host can
show *why* a decision was made.
"""
