"""The answer service: extractive and LLM answers, verification, abstention, conversation."""
