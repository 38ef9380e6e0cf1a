"""The audit trail: every API call and agent event as a CloudTrail-shaped record."""
