"""Personal data held about one contact: the subject access document (`export`) and erasure
(`erase`). They live here because they read and clean every context's records."""
