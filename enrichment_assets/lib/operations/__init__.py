"""Operations: what an operator is told when a run fails."""
