"""Web views, one module per area. Each view parses input, checks the membership, calls a
selector or a service, and renders: no ORM writes here."""
