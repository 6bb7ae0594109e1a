"""The directory: HSDS-shaped organizations, services, locations, schedules and taxonomy."""
