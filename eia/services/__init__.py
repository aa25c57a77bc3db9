"""Use cases. The only layer that commits a transaction or writes the audit log: each public
function here is one unit of work, and every state change appends its audit event in the same
transaction as the change."""
