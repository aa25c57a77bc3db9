"""Pure domain logic: no Flask, no database session. Everything here is unit-tested in isolation."""
