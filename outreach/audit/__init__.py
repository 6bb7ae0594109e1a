"""The audit log of staff actions: who did what, when, to what, with field-level before/after."""
