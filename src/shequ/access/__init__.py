"""Access control (门禁) with status checks at estate doors (R5)."""
