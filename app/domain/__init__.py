"""Pure Python rules of the platform (no Flask): identifiers, access matrix, perimeters, habilitations."""
