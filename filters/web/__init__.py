"""Steps of the math_web family: URL blocklist, math-preserving extraction, language ID, math classifier, Web-Pro."""
