"""The FAQ knowledge base, the matcher and its evaluation."""
