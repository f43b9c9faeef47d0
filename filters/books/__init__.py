"""Steps of the textbook_qa family: chunks, rules QA extraction, QA filters and LLM parsers, reference answers."""
