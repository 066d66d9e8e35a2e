"""Use cases, one module per concept; :class:`cpdcore.app.Cpd` exposes them."""
