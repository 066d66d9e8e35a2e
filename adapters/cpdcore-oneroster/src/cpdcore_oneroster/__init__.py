"""OneRoster 1.2 CSV MIS source for cpdcore.

Staff rosters, line management, pupil media consent and outcome aggregates.
"""
