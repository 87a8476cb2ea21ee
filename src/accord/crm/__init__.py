"""Companies, contacts, deals, activities, pipelines and the lifecycle ledger."""
