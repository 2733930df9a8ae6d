"""Operations on live infrastructure: rollback, state, locks. They refuse rather than guess."""
