"""The CRM write path. Every write to companies, contacts, deals, activities and the lifecycle
ledger goes through one of these modules, inside a transaction."""
