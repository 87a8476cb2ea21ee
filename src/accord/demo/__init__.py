"""The seeded demo-data generator, with the true parameters it draws from."""
