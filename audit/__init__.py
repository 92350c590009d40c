"""The operators' audit log: who did what to which record, from where and when, kept after the
operator's account is gone and never changed or deleted (audit.models.AuditEntry)."""
