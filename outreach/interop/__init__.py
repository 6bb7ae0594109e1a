"""Data exchange in Open Referral HSDS 3.0: the official schema files (``hsds/``) and the export."""
