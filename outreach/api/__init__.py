"""The read-only Open Referral HSDS 3.0 API under ``/api/`` (see ``routes`` and ``openapi``)."""
